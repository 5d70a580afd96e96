import { describe, expect, it } from 'vitest';
import { defaultLocalDataDir } from '../../../runtime/local/data-dir.ts';

describe('defaultLocalDataDir', () => {
  it('is a folder per run under <tmp>/ors-local, named by UTC start time and pid', () => {
    expect(defaultLocalDataDir(new Date('2026-12-03T05:07:09.123Z'), 4242, '/var/tmp')).toBe('/var/tmp/ors-local/20261203-050709-4242');
  });
});

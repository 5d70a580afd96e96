import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };

const root = path.resolve(import.meta.dirname, '../..');
const ors = (...args: string[]) =>
  execFileSync(process.execPath, ['runtime/cli/ors.ts', ...args], { cwd: root, encoding: 'utf8' });

describe('ors CLI', () => {
  it('prints its version', () => {
    expect(ors('--version').trim()).toBe(packageJson.version);
  });

  it('lists every subcommand in --help', () => {
    const help = ors('--help');
    for (const sub of ['runtime', 'operator', 'local', 'sim', 'crd']) {
      expect(help).toMatch(new RegExp(`^\\s+${sub}\\b`, 'm'));
    }
  });

  it('runs on Node 24, as the project pins', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
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

  it('refuses leader-election timings client-go would refuse, with a message and no stack trace', () => {
    for (const [args, message] of [
      [['--lease-duration', '15', '--renew-deadline', '15'], '--renew-deadline (15) must be less than --lease-duration (15)'],
      [['--renew-deadline', '5', '--retry-period', '5'], '--retry-period (5) must be less than --renew-deadline (5)'],
    ] as const) {
      const run = spawnSync(process.execPath, ['runtime/cli/ors.ts', 'operator', '--kubeconfig', '/nonexistent', ...args], { cwd: root, encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toBe(`error: ${message}`);
    }
  });

  it('runs on Node 24, as the project pins', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});

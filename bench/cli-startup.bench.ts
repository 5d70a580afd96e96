// How long `ors --version` takes, against a bare `node -e ''` in the same run: the CLI
// loads subcommands lazily, so it should cost little on top of Node's own start.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { BenchSuite } from './figure.ts';

const root = path.resolve(import.meta.dirname, '..');

function medianMs(args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const suite: BenchSuite = {
  title: 'CLI start-up',
  async run() {
    const baseline = medianMs(['-e', ''], 9);
    const cli = medianMs(['runtime/cli/ors.ts', '--version'], 9);
    return [
      {
        name: '`ors --version` wall time (median of 9)',
        value: cli,
        unit: 'ms',
        better: 'lower',
        baseline: { name: "node -e ''", value: baseline },
      },
    ];
  },
};
export default suite;

// The SCXML interpreter against SCION (@scion-scxml/scxml) on the same machine in the
// same run. Each measurement runs in a fresh process (bench/scxml/measure.ts) so heap
// figures and JIT state of one interpreter do not colour the other; each is repeated,
// alternating ours and SCION, and the best of the rounds is kept for both (the machine
// is shared, so the best round is the least disturbed one).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { BenchFigure, BenchSuite } from './figure.ts';

const root = path.resolve(import.meta.dirname, '..');
const ROUNDS = 3;

function measure(impl: 'ours' | 'scion', what: string): number {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--no-deprecation', 'bench/scxml/measure.ts', impl, what],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const line = out.trim().split('\n').pop()!;
  return (JSON.parse(line) as { value: number }).value;
}

function best(what: string, better: 'higher' | 'lower'): { ours: number; scion: number } {
  const ours: number[] = [];
  const scion: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ours.push(measure('ours', what));
    scion.push(measure('scion', what));
  }
  const pick = (xs: number[]) => (better === 'higher' ? Math.max(...xs) : Math.min(...xs));
  return { ours: pick(ours), scion: pick(scion) };
}

const suite: BenchSuite = {
  title: 'SCXML interpreter vs SCION',
  async run() {
    const figures: BenchFigure[] = [];
    const events = best('events', 'higher');
    figures.push({
      name: 'events/s through a two-state toggle (ECMAScript guard + <assign>)',
      value: events.ours,
      unit: 'events/s',
      better: 'higher',
      baseline: { name: 'SCION', value: events.scion },
      target: '>= 2x SCION',
      met: events.ours >= 2 * events.scion,
    });
    const sessions = best('sessions', 'higher');
    figures.push({
      name: 'sessions created and started/s (10-state strategy, own datamodel, one delayed send)',
      value: sessions.ours,
      unit: 'sessions/s',
      better: 'higher',
      baseline: { name: 'SCION', value: sessions.scion },
      target: '>= 10x SCION',
      met: sessions.ours >= 10 * sessions.scion,
    });
    const memory = best('memory', 'lower');
    figures.push({
      name: 'heap per live idle session with one pending delayed send',
      value: memory.ours / 1024,
      unit: 'KB',
      better: 'lower',
      baseline: { name: 'SCION', value: memory.scion / 1024 },
      target: '<= 20 KB',
      met: memory.ours <= 20 * 1024,
    });
    const snapshot = best('snapshot', 'lower');
    figures.push({
      name: 'snapshot per session (ours: complete, incl. delayed send; SCION: no delayed sends, no invokes)',
      value: snapshot.ours,
      unit: 'µs',
      better: 'lower',
      baseline: { name: 'SCION getSnapshot()', value: snapshot.scion },
    });
    const restore = best('restore', 'lower');
    figures.push({
      name: 'restore per session (from parsed JSON; ours re-arms the delayed send)',
      value: restore.ours,
      unit: 'µs',
      better: 'lower',
      baseline: { name: 'SCION new Statechart({snapshot})', value: restore.scion },
    });
    return figures;
  },
};
export default suite;

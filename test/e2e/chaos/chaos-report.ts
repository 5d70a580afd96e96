// The chaos run's closing figures, as printed at the end of the run. Pure.
import type { LoadFigures } from '../retrying-load.ts';
import type { CallFigures } from './call-load.ts';
import type { DoublePrimary } from './serving-primary-monitor.ts';

export interface ChaosFigures {
  /** What the figures are of: "chaos" (the faults phase) by default, or the phase without faults. */
  title?: string;
  seconds: number;
  load: LoadFigures;
  calls: CallFigures;
  faults: Record<string, number>;
  doublePrimaries: DoublePrimary[];
  staleEpochServing: DoublePrimary[];
  monitorRounds: number;
}

export function chaosReport(f: ChaosFigures): string {
  const rate = (n: number) => (n / f.seconds).toFixed(1);
  const faults = Object.entries(f.faults).map(([kind, n]) => `${kind} ${n}`).join(', ');
  const c = f.calls;
  return [
    `${f.title ?? 'chaos'}: ${f.seconds.toFixed(0)} s`,
    `  load held: ${rate(f.load.sessionsStarted)} sessions/s started, ${rate(f.load.requests)} requests/s (${f.load.retried} needed a retry), ${rate(c.offered)} calls/s offered, ${rate(c.routed)} calls/s routed`,
    `  faults injected: ${Object.values(f.faults).reduce((a, b) => a + b, 0)} (${faults})`,
    `  sessions lost: ${f.load.lost}`,
    `  answers rolled back to an earlier persisted point (kill -9 before the write): ${f.load.rolledBack}`,
    `  calls: offered ${c.offered}, routed ${c.routed}, abandoned ${c.abandoned}; waiting on a node when its primary was killed, frozen or fenced: ${c.caughtByPrimaryFault} (${c.caughtByPrimaryFaultRouted} of them routed)`,
    `  calls never routed: ${c.neverRouted}`,
    ...c.failures.slice(0, 10).map((line) => `    ${line}`),
    `  moments with two serving primaries of one node: ${f.doublePrimaries.length} (older epoch serving after a newer one: ${f.staleEpochServing.length}; ${f.monitorRounds} heartbeat rounds)`,
    `  client requests that never got a correct answer: ${f.load.failed}`,
    ...f.load.failures.slice(0, 10).map((line) => `    ${line}`),
    ...f.doublePrimaries.slice(0, 5).map((d) => `    two primaries ${d.at} ${d.node}: ${d.pods.join(' ')} epochs ${d.epochs.join(' ')}`),
  ].join('\n');
}

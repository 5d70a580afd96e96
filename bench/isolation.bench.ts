// Strategy isolation: sessions on engine threads against today's in-thread engine (the
// same SessionHost with strategy code on the I/O thread) and against SCION given equal
// isolation (a fresh vm context per instance), in the same run. Each measurement runs in
// a fresh process (bench/isolation/measure.ts), best of ROUNDS (the machine is shared).
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { BenchFigure, BenchSuite } from './figure.ts';

const root = path.resolve(import.meta.dirname, '..');
const ROUNDS = Number(process.env.ORS_BENCH_ROUNDS ?? 2);
const N = Math.min(8, availableParallelism());
const threadsN = `threads-${N}`;

function measure(what: string, engine: string): number {
  const out = execFileSync(process.execPath, ['--expose-gc', '--no-deprecation', 'bench/isolation/measure.ts', what, engine], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return (JSON.parse(out.trim().split('\n').pop()!) as { value: number }).value;
}

/** Best of the rounds for each engine, alternating engines within a round. */
function best(what: string, engines: string[], better: 'higher' | 'lower'): Record<string, number> {
  const values: Record<string, number[]> = Object.fromEntries(engines.map((e) => [e, []]));
  for (let round = 0; round < ROUNDS; round++) for (const engine of engines) values[engine]!.push(measure(what, engine));
  const pick = (xs: number[]) => (better === 'higher' ? Math.max(...xs) : Math.min(...xs));
  return Object.fromEntries(engines.map((e) => [e, pick(values[e]!)]));
}

const suite: BenchSuite = {
  title: 'Strategy isolation: engine threads vs in-thread vs SCION with a fresh context per instance',
  async run(): Promise<BenchFigure[]> {
    const create = best('create', ['in-thread', 'threads-1', threadsN, 'scion-isolated'], 'higher');
    const events = best('events', ['in-thread', 'threads-1', threadsN], 'higher');
    const cpu = best('events-cpu', ['in-thread', 'threads-1'], 'higher');
    const heap = best('heap', ['in-thread', 'threads-1'], 'lower');
    const heartbeat = best('heartbeat', ['in-thread', threadsN], 'lower');
    const inThread = { name: 'in-thread engine (strategy code on the I/O thread)', value: 0 };
    return [
      {
        name: 'sessions created+started/s, 1 engine thread (STRATEGY document, SessionHost API)',
        value: create['threads-1']!,
        unit: 'sessions/s',
        better: 'higher',
        baseline: { ...inThread, value: create['in-thread']! },
      },
      {
        name: `sessions created+started/s, ${N} engine threads, vs SCION (fresh vm context + new Statechart + start per instance)`,
        value: create[threadsN]!,
        unit: 'sessions/s',
        better: 'higher',
        baseline: { name: 'SCION, fresh context per instance', value: create['scion-isolated']! },
        target: '>= 10x SCION with equal isolation',
        met: create[threadsN]! >= 10 * create['scion-isolated']!,
      },
      {
        name: 'events/s, 1 engine thread (200 TOGGLE sessions, bursts of 20 events each, wall clock)',
        value: events['threads-1']!,
        unit: 'events/s',
        better: 'higher',
        baseline: { ...inThread, value: events['in-thread']! },
      },
      {
        name: `events/s, ${N} engine threads (same load, wall clock)`,
        value: events[threadsN]!,
        unit: 'events/s',
        better: 'higher',
        baseline: { ...inThread, value: events['in-thread']! },
      },
      {
        name: 'events per CPU-second of the whole process (I/O + engine thread), 1 engine thread',
        value: cpu['threads-1']!,
        unit: 'events/CPU-s',
        better: 'higher',
        baseline: { ...inThread, value: cpu['in-thread']! },
        target: '>= 0.7x in-thread per core',
        met: cpu['threads-1']! >= 0.7 * cpu['in-thread']!,
      },
      {
        name: 'heap per idle session on 1 engine thread (I/O-thread bookkeeping and recovery snapshot + engine thread)',
        value: heap['threads-1']! / 1024,
        unit: 'KB',
        better: 'lower',
        baseline: { ...inThread, value: heap['in-thread']! / 1024 },
        target: '<= 4 KB',
        met: heap['threads-1']! <= 4096,
      },
      {
        name: `/heartbeat p99 while 8 sessions spin in 200-ms macrosteps, ${N} engine threads`,
        value: heartbeat[threadsN]!,
        unit: 'ms',
        better: 'lower',
        baseline: { ...inThread, value: heartbeat['in-thread']! },
        target: '<= 100 ms',
        met: heartbeat[threadsN]! <= 100,
      },
    ];
  },
};

export default suite;

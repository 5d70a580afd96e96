// One measurement of the SCXML benchmark, in a process of its own (so heap figures and
// JIT state of one interpreter do not colour the other). Prints one JSON line.
//   node --expose-gc bench/scxml/measure.ts <ours|scion> <events|sessions|memory|snapshot>
import { createRequire } from 'node:module';
import { compile, createSession, restoreSession } from '../../runtime/scxml/index.ts';
import type { Session } from '../../runtime/scxml/index.ts';
import { STRATEGY, TOGGLE } from './workloads.ts';

const [impl, what] = process.argv.slice(2) as ['ours' | 'scion', string];
const require = createRequire(import.meta.url);

interface Machine {
  send(name: string): void;
  snapshot(): unknown;
}
interface Factory {
  /** Creates and starts one session of the document. */
  create(): Machine;
  restore(snapshot: unknown): Machine;
}

async function factory(xml: string): Promise<Factory> {
  if (impl === 'ours') {
    const doc = compile(xml);
    const wrap = (s: Session): Machine => ({
      send(name) {
        s.send({ name });
        s.run();
      },
      snapshot: () => s.snapshot(),
    });
    const noSchedule = () => {};
    return {
      create() {
        const s = createSession(doc, { scheduler: noSchedule });
        s.start();
        return wrap(s);
      },
      restore: (snap) => wrap(restoreSession(doc, snap as ReturnType<Session['snapshot']>, { scheduler: noSchedule })),
    };
  }
  const scxml = require('@scion-scxml/scxml');
  const fnModel = await new Promise((resolve, reject) =>
    scxml.documentStringToModel('bench.scxml', xml, (err: unknown, model: { prepare(cb: (e: unknown, f: unknown) => void): void }) => {
      if (err) reject(err);
      else model.prepare((e, f) => (e ? reject(e) : resolve(f)));
    }),
  );
  const wrap = (sc: { gen(e: { name: string }): void; getSnapshot(): unknown }): Machine => ({
    send: (name) => sc.gen({ name }),
    snapshot: () => sc.getSnapshot(),
  });
  return {
    create() {
      const sc = new scxml.core.Statechart(fnModel);
      sc.start();
      return wrap(sc);
    },
    restore(snapshot) {
      const sc = new scxml.core.Statechart(fnModel, { snapshot });
      sc.start();
      return wrap(sc);
    },
  };
}

/**
 * BENCH_CLOCK=cpu counts this process's CPU time instead of wall time: on a machine
 * shared with other loads, wall-clock rates of one build vary by more than 10x between
 * runs, CPU-time rates by about 15 %.
 */
const clock = process.env.BENCH_CLOCK === 'cpu' ? () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
} : () => performance.now();

/** Runs fn repeatedly for about `ms` (of the clock above); returns operations per second. */
function rate(fn: () => void, ms: number): number {
  let n = 0;
  const t0 = clock();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    t = clock();
  }
  return n / ((t - t0) / 1000);
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with --expose-gc');
  for (let i = 0; i < 4; i++) g();
}

async function main(): Promise<number> {
  switch (what) {
    case 'events': {
      const f = await factory(TOGGLE);
      const m = f.create();
      rate(() => m.send('toggle'), 500); // warm-up
      return rate(() => m.send('toggle'), 2000);
    }
    case 'sessions': {
      const f = await factory(STRATEGY);
      let keep: Machine[] = [];
      const create = () => {
        keep.push(f.create());
        if (keep.length > 1000) keep = [];
      };
      rate(create, 500);
      return rate(create, 2000);
    }
    case 'memory': {
      const f = await factory(STRATEGY);
      const n = impl === 'ours' ? 20_000 : 2_000;
      for (let i = 0; i < 200; i++) f.create(); // warm-up: compile caches, JIT
      gc();
      const before = process.memoryUsage().heapUsed;
      const sessions: Machine[] = [];
      for (let i = 0; i < n; i++) sessions.push(f.create());
      gc();
      const after = process.memoryUsage().heapUsed;
      if (sessions.length !== n) throw new Error('lost sessions');
      return (after - before) / n;
    }
    case 'snapshot': {
      const f = await factory(STRATEGY);
      const m = f.create();
      m.send('agent.ready');
      rate(() => m.snapshot(), 300);
      return 1e6 / rate(() => m.snapshot(), 1500); // µs per snapshot
    }
    case 'restore': {
      const f = await factory(STRATEGY);
      const m = f.create();
      m.send('agent.ready');
      const snap = JSON.parse(JSON.stringify(m.snapshot()));
      rate(() => f.restore(snap), 300);
      return 1e6 / rate(() => f.restore(snap), 1500); // µs per restore
    }
    default:
      throw new Error(`unknown measurement ${what}`);
  }
}

const value = await main();
process.stdout.write(JSON.stringify({ impl, what, value }) + '\n');
process.exit(0);

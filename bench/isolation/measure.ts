// One measurement of the isolation benchmark, in a process of its own. Prints one JSON line.
//   node --expose-gc bench/isolation/measure.ts <what> <engine>
//   what:   create | events | events-cpu | heap | heartbeat
//   engine: in-thread (today's path: strategy code on the I/O thread) | threads-1 | threads-<N>
//   or:     node bench/isolation/measure.ts create scion-isolated
// The session host is driven directly (no HTTP) for create/events/heap, so the figures
// are the engine's and the thread hop's; heartbeat is a real runtime over HTTP.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import pino from 'pino';
import { resolveConfig } from '../../runtime/config/load-config.ts';
import { createRuntimeMetrics } from '../../runtime/metrics/runtime-metrics.ts';
import { startRuntime } from '../../runtime/runtime-process.ts';
import { createScxmlEngine } from '../../runtime/sessions/scxml-engine.ts';
import { SessionHost } from '../../runtime/sessions/session-host.ts';
import { StrategyLoader } from '../../runtime/sessions/strategy-loader.ts';
import { STRATEGY, TOGGLE } from '../scxml/workloads.ts';

const [what, engineKind] = process.argv.slice(2) as [string, string];

const SPINNER = `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="spin">
  <state id="spin">
    <onentry><script>var t = Date.now(); while (Date.now() - t &lt; 200) {}</script><send event="again" delay="1ms"/></onentry>
    <transition event="again" target="spin"/>
  </state>
</scxml>`;

async function strategies(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-isolation-bench-'));
  await writeFile(path.join(dir, 'toggle.scxml'), TOGGLE);
  await writeFile(path.join(dir, 'strategy.scxml'), STRATEGY);
  await writeFile(path.join(dir, 'spinner.scxml'), SPINNER);
  return dir;
}

function threadsOf(kind: string): { inThread: boolean; threads: number } {
  if (kind === 'in-thread') return { inThread: true, threads: 1 };
  const m = /^threads-(\d+)$/.exec(kind);
  if (!m) throw new Error(`unknown engine ${kind}`);
  return { inThread: false, threads: Number(m[1]) };
}

async function newHost(kind: string): Promise<SessionHost> {
  const engine = createScxmlEngine();
  const { inThread, threads } = threadsOf(kind);
  const loader = new StrategyLoader({ engine, applications: {}, strategiesDir: await strategies(), cacheSize: 16, fetchTimeoutMs: 1000 });
  const host = new SessionHost({
    nodeId: 'bench',
    sessionIdWithNodeId: true,
    maxSessions: 1_000_000,
    maxQueueLength: 100_000,
    requestTimeoutMs: 60_000,
    fetchTimeoutMs: 1000,
    loader,
    metrics: createRuntimeMetrics({ node: 'bench' }),
    logger: pino({ level: 'warn' }, pino.destination(2)),
    ...(engine.threadEntry ? { threadEntry: engine.threadEntry } : {}),
    engineThreads: threads,
    inThread,
  });
  // The engine threads have loaded and compiled before the clock starts.
  await host.createSession('toggle.scxml', {});
  await host.createSession('strategy.scxml', {});
  await settle(host);
  return host;
}

/** Resolves when every session has reached a stable point after all it was sent. */
async function settle(host: SessionHost): Promise<void> {
  for (;;) {
    if (host.idle) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function createRate(host: SessionHost): Promise<number> {
  const batch = 500;
  const run = async (n: number) => {
    for (let done = 0; done < n; done += batch) {
      await Promise.all(Array.from({ length: batch }, () => host.createSession('strategy.scxml', {})));
    }
    await settle(host);
  };
  await run(500); // warm-up
  const t0 = performance.now();
  const n = 3000;
  await run(n);
  return n / ((performance.now() - t0) / 1000);
}

async function eventRate(host: SessionHost): Promise<number> {
  const ids = await Promise.all(Array.from({ length: 200 }, async () => (await host.createSession('toggle.scxml', {})).sessionId));
  await settle(host);
  const run = async (perSession: number) => {
    // Bursts of 20 events per session per turn, as many clients would send them.
    for (let sent = 0; sent < perSession; sent += 20) {
      for (const id of ids) for (let i = 0; i < 20; i++) host.sendEvent(id, { name: 'toggle' });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await settle(host);
  };
  await run(40); // warm-up
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const perSession = 200;
  await run(perSession);
  const cpu = process.cpuUsage(cpu0);
  const events = ids.length * perSession;
  // Per CPU second: all threads of the process (I/O and engine), so a busy machine that
  // cannot give the threads a core each does not count against them.
  if (what === 'events-cpu') return events / ((cpu.user + cpu.system) / 1e6);
  return events / ((performance.now() - t0) / 1000);
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with --expose-gc');
  for (let i = 0; i < 4; i++) g();
}

/** Heap per idle session: the I/O thread's bookkeeping (and recovery snapshot) plus the engine's. */
async function heapPerSession(host: SessionHost, inThread: boolean): Promise<number> {
  const n = 5000;
  // Engine threads collect their garbage before they are read, as gc() does here for the I/O thread.
  const engineHeap = async () => (inThread ? 0 : (await host.engineHeapUsed({ collect: true })).reduce((a, b) => a + b, 0));
  await new Promise((resolve) => setTimeout(resolve, 500));
  gc();
  const before = process.memoryUsage().heapUsed + (await engineHeap());
  for (let done = 0; done < n; done += 500) {
    await Promise.all(Array.from({ length: 500 }, () => host.createSession('strategy.scxml', {})));
  }
  await settle(host);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  gc();
  const after = process.memoryUsage().heapUsed + (await engineHeap());
  if (host.size < n) throw new Error(`lost sessions: ${host.size} of ${n} live`);
  return (after - before) / n;
}

/** SCION creating one started instance per fresh vm context (the isolation our engine threads give). */
async function scionIsolatedCreateRate(): Promise<number> {
  const require = createRequire(import.meta.url);
  const scxml = require('@scion-scxml/scxml');
  const fnModel = await new Promise((resolve, reject) =>
    scxml.documentStringToModel('bench.scxml', STRATEGY, (err: unknown, model: { prepare(cb: (e: unknown, f: unknown) => void): void }) => {
      if (err) reject(err);
      else model.prepare((e, f) => (e ? reject(e) : resolve(f)));
    }),
  );
  let keep: unknown[] = [];
  const create = () => {
    const context = vm.createContext({});
    const sc = new scxml.core.Statechart(fnModel);
    sc.start();
    keep.push([context, sc]);
    if (keep.length > 200) keep = [];
  };
  const rate = (ms: number) => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      create();
      n++;
    }
    return n / ((performance.now() - t0) / 1000);
  };
  rate(300);
  return rate(2000);
}

/** /heartbeat p99 (ms) of a real runtime while 8 sessions spin in 200-ms macrosteps. */
async function heartbeatP99(kind: string): Promise<number> {
  const { inThread, threads } = threadsOf(kind);
  const config = resolveConfig({
    flags: {
      'http-host': '127.0.0.1',
      'http-port': 0,
      'log-level': 'silent',
      'strategies-dir': await strategies(),
      'session-processing-threads': threads,
      // Bearer tokens are the default; the measurement is the engine's, not the front door's.
      auth: 'none',
    },
  });
  const runtime = await startRuntime({ config, engine: createScxmlEngine(), logger: pino({ level: 'silent' }), inThreadEngine: inThread });
  for (let i = 0; i < 8; i++) {
    await fetch(`${runtime.url}/scxml/session/start`, { method: 'POST', body: new URLSearchParams({ src: 'spinner.scxml' }) });
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const samples: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < 3000) {
    const at = performance.now();
    await (await fetch(`${runtime.url}/heartbeat`)).arrayBuffer();
    samples.push(performance.now() - at);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await runtime.host.close();
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length * 0.99)]!;
}

async function main(): Promise<number> {
  if (what === 'create' && engineKind === 'scion-isolated') return scionIsolatedCreateRate();
  if (what === 'heartbeat') return heartbeatP99(engineKind);
  const host = await newHost(engineKind);
  switch (what) {
    case 'create':
      return createRate(host);
    case 'events':
    case 'events-cpu':
      return eventRate(host);
    case 'heap':
      return heapPerSession(host, threadsOf(engineKind).inThread);
    default:
      throw new Error(`unknown measurement ${what}`);
  }
}

const value = await main();
process.stdout.write(JSON.stringify({ what, engine: engineKind, value }) + '\n');
process.exit(0);

// The runtime's REST API (one express 5 stack for every route) under load, with and
// without bearer-token authentication, next to a raw node:http server doing the same
// parsing, measured in the same run (each server in a child process of its own, the
// load from this process over keep-alive loopback connections, bounded in count and
// time). Also measures whether handing macrosteps to a worker thread pays off.
//
// Sessions run bench/support/toggle-strategy.ts on the SCXML interpreter.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { BenchFigure, BenchSuite } from './figure.ts';
import { runLoad, type LoadResult } from './support/http-load.ts';
import { createScxmlEngine } from '../runtime/sessions/scxml-engine.ts';
import { benchToken } from './support/bench-token.ts';
import { toggleScxml } from './support/toggle-strategy.ts';
import { engineThreadCount } from '../runtime/config/runtime-options.ts';

const here = import.meta.dirname;
const concurrency = 32;
/** ORS_BENCH_SCALE (e.g. 0.25) shortens every load for a quick run on a busy machine. */
const scale = Number(process.env.ORS_BENCH_SCALE ?? 1);
const sized = (n: number) => Math.max(500, Math.round(n * scale));
const authHeaders = { authorization: `Bearer ${benchToken}` };

async function startServer(
  kind: 'raw' | 'express' | 'runtime' | 'runtime-table' | 'runtime-auth',
  sessionProcessingThreads?: number,
): Promise<{ url: string; child: ChildProcess }> {
  const args = [path.join(here, 'support/http-servers.ts'), kind, ...(sessionProcessingThreads ? [String(sessionProcessingThreads)] : [])];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { url: url.trim(), child };
}

function cpuMicros(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve((message as { cpuUs: number }).cpuUs));
    child.send('cpu');
  });
}

type Measured = LoadResult & { cpuUsPerRequest: number };

/** Runs a load and adds the server's CPU µs per request to the result. */
async function measured(child: ChildProcess, load: () => Promise<LoadResult>): Promise<Measured> {
  const before = await cpuMicros(child);
  const result = await load();
  const after = await cpuMicros(child);
  return { ...result, cpuUsPerRequest: (after - before) / result.requests };
}

const eventBody = JSON.stringify({ caller: '+15551234567', reason: 'bench', attempt: 1 });

async function events(url: string, ids: string[], total: number, headers?: Record<string, string>): Promise<LoadResult> {
  return runLoad({
    url,
    path: (i) => `/scxml/session/${ids[i % ids.length]}/event/go?seq=${i}`,
    body: () => eventBody,
    ...(headers ? { headers } : {}),
    concurrency,
    total,
    maxMs: 2500,
  });
}

async function starts(url: string, total: number): Promise<LoadResult> {
  return runLoad({
    url,
    path: () => '/scxml/session/start',
    body: (i) => `src=toggle.scxml&customer=c${i}`,
    contentType: 'application/x-www-form-urlencoded',
    concurrency,
    total,
    maxMs: 5000,
  });
}

function best<T extends LoadResult>(results: T[]): T {
  return results.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
}

async function measureWorker(n: number): Promise<{ inThread: number; worker: number; workerRoundTripUs: number }> {
  const compiled = createScxmlEngine().compile(toggleScxml, 'toggle.scxml');
  const noop = () => {};
  const services = {
    startSession: async () => '',
    terminateSession: noop,
    fetch: async () => ({ status: 200, contentType: '', body: '' }),
    respond: () => false,
    deliver: () => false,
  };
  const session = compiled.createSession({ sessionId: 't', parameters: {}, services, onWork: noop });
  session.start();
  const data = JSON.parse(eventBody);
  let t0 = performance.now();
  for (let i = 0; i < n; i++) {
    session.send({ name: 'go', data });
    session.configuration();
  }
  const inThread = n / ((performance.now() - t0) / 1000);

  const worker = new Worker(path.join(here, 'support/worker-echo.ts'));
  await new Promise((resolve) => worker.once('online', resolve));
  // Pipelined: all events in flight, as a busy node would have them.
  t0 = performance.now();
  await new Promise<void>((resolve) => {
    let received = 0;
    const onMessage = () => {
      if (++received === n) {
        worker.off('message', onMessage);
        resolve();
      }
    };
    worker.on('message', onMessage);
    for (let i = 0; i < n; i++) worker.postMessage({ i, name: 'go', data });
  });
  const pipelined = n / ((performance.now() - t0) / 1000);
  // One at a time: the latency a single event pays for the hop.
  const rounds = 2000;
  t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    await new Promise((resolve) => {
      worker.once('message', resolve);
      worker.postMessage({ i, name: 'go', data });
    });
  }
  const roundTripUs = ((performance.now() - t0) * 1000) / rounds;
  await worker.terminate();
  return { inThread, worker: pipelined, workerRoundTripUs: roundTripUs };
}

const suite: BenchSuite = {
  title: 'Runtime REST API (one express router, auth on and off): event POSTs and session starts vs raw node:http',
  async run() {
    const raw = await startServer('raw');
    const viaExpress = await startServer('express');
    const runtime = await startServer('runtime');
    const table = await startServer('runtime-table');
    const withAuth = await startServer('runtime-auth');
    // One engine thread per CPU (the default before: the I/O thread then shares a core).
    const perCpuThreads = Math.min(8, availableParallelism());
    const perCpu = await startServer('runtime', perCpuThreads);
    try {
      const startSessions = async (url: string, headers: Record<string, string> = {}) => {
        const ids: string[] = [];
        for (let i = 0; i < 100; i++) {
          const r = await fetch(`${url}/scxml/session/start`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
            body: `src=toggle.scxml&customer=c${i}`,
          });
          ids.push(((await r.json()) as { sessionid: string }).sessionid);
        }
        return ids;
      };
      const sessionIds = await startSessions(runtime.url);
      const tableIds = await startSessions(table.url);
      const authIds = await startSessions(withAuth.url, authHeaders);
      const perCpuIds = await startSessions(perCpu.url);
      const rawIds = sessionIds.map((id) => id.replace('node-0', 'raw'));
      // Warm up both (JIT), then alternate rounds so drift in machine load hits both.
      await events(raw.url, rawIds, 3000);
      await events(runtime.url, sessionIds, 3000);
      await events(viaExpress.url, rawIds, 3000);
      await events(table.url, tableIds, 3000);
      await events(withAuth.url, authIds, 3000, authHeaders);
      await events(perCpu.url, perCpuIds, 3000);
      // Short rounds, the order rotated every round, best of each: a shared, noisy machine
      // slows whichever server happens to run during a burst of other work.
      const rawEvents: Measured[] = [];
      const rtEvents: Measured[] = [];
      const expressEvents: Measured[] = [];
      const tableEvents: Measured[] = [];
      const authEvents: Measured[] = [];
      const perCpuEvents: Measured[] = [];
      const n = sized(12_000);
      const contenders: [Measured[], () => Promise<Measured>][] = [
        [tableEvents, () => measured(table.child, () => events(table.url, tableIds, n))],
        [rawEvents, () => measured(raw.child, () => events(raw.url, rawIds, n))],
        [authEvents, () => measured(withAuth.child, () => events(withAuth.url, authIds, n, authHeaders))],
        [expressEvents, () => measured(viaExpress.child, () => events(viaExpress.url, rawIds, n))],
        [rtEvents, () => measured(runtime.child, () => events(runtime.url, sessionIds, n))],
        [perCpuEvents, () => measured(perCpu.child, () => events(perCpu.url, perCpuIds, n))],
      ];
      for (let round = 0; round < 6; round++) {
        for (let k = 0; k < contenders.length; k++) {
          const [into, run] = contenders[(round + k) % contenders.length]!;
          into.push(await run());
        }
      }
      const rawStarts = [];
      const rtStarts = [];
      for (let round = 0; round < 4; round++) {
        if (round % 2 === 0) rawStarts.push(await measured(raw.child, () => starts(raw.url, sized(5_000))));
        rtStarts.push(await measured(runtime.child, () => starts(runtime.url, sized(5_000))));
        if (round % 2 === 1) rawStarts.push(await measured(raw.child, () => starts(raw.url, sized(5_000))));
      }
      const leastCpu = (results: { cpuUsPerRequest: number }[]) => Math.min(...results.map((r) => r.cpuUsPerRequest));
      const rawEventCpu = leastCpu(rawEvents);
      const rtEventCpu = leastCpu(rtEvents);
      const expressEventCpu = leastCpu(expressEvents);
      const tableEventCpu = leastCpu(tableEvents);
      const authEventCpu = leastCpu(authEvents);
      const perCpuEventCpu = leastCpu(perCpuEvents);
      const authE = best(authEvents);
      const tableE = best(tableEvents);
      const expressE = best(expressEvents);
      const rawStartCpu = leastCpu(rawStarts);
      const rtStartCpu = leastCpu(rtStarts);
      const rawE = best(rawEvents);
      const rtE = best(rtEvents);
      const rawS = best(rawStarts);
      const rtS = best(rtStarts);
      for (const [what, result] of [['runtime', rtE], ['runtime with auth', authE]] as const) {
        if ((result.statuses[200] ?? 0) !== result.requests || result.errors > 0) {
          throw new Error(`${what} event answers were not all 200: ${JSON.stringify(result.statuses)}, ${result.errors} errors`);
        }
      }
      const threads = await measureWorker(sized(50_000));
      const figures: BenchFigure[] = [
        {
          name: `HTTP layer + session host alone (interpreter test double): event POSTs/s, ${concurrency} connections`,
          value: tableE.perSecond,
          unit: 'req/s',
          better: 'higher',
          baseline: { name: 'raw node:http, same parsing', value: rawE.perSecond },
          target: '>= 60% of raw',
          met: tableE.perSecond >= 0.6 * rawE.perSecond,
        },
        {
          name: 'HTTP layer + session host alone: event POSTs/s one server core sustains (1e6 / CPU µs per request)',
          value: 1e6 / tableEventCpu,
          unit: 'req/s',
          better: 'higher',
          baseline: { name: 'raw node:http, same parsing', value: 1e6 / rawEventCpu },
          target: '>= 60% of raw',
          met: rawEventCpu / tableEventCpu >= 0.6,
        },
        {
          name: 'HTTP layer + session host alone: event POST p99 latency',
          value: tableE.p99Ms,
          unit: 'ms',
          better: 'lower',
          baseline: { name: 'raw node:http p99', value: rawE.p99Ms },
        },
        {
          name: `with the SCXML interpreter: event POSTs/s (JSON body, ${concurrency} keep-alive connections, 100 sessions)`,
          value: rtE.perSecond,
          unit: 'req/s',
          better: 'higher',
          baseline: { name: 'raw node:http, same parsing', value: rawE.perSecond },
          target: '>= 60% of raw',
          met: rtE.perSecond >= 0.6 * rawE.perSecond,
        },
        {
          name: 'with the SCXML interpreter: event POSTs/s one server core sustains (1e6 / CPU µs per request)',
          value: 1e6 / rtEventCpu,
          unit: 'req/s',
          better: 'higher',
          baseline: { name: 'raw node:http, same parsing', value: 1e6 / rawEventCpu },
          target: '>= 60% of raw',
          met: rawEventCpu / rtEventCpu >= 0.6,
        },
        {
          name: `with the SCXML interpreter and bearer-token authentication: event POSTs/s, ${concurrency} connections`,
          value: authE.perSecond,
          unit: 'req/s',
          better: 'higher',
          baseline: { name: 'raw node:http, same parsing', value: rawE.perSecond },
          target: '>= 60% of raw',
          met: authE.perSecond >= 0.6 * rawE.perSecond,
        },
        {
          name: 'with the SCXML interpreter and bearer-token authentication: event POSTs/s one server core sustains',
          value: 1e6 / authEventCpu,
          unit: 'req/s',
          better: 'higher',
          baseline: { name: 'raw node:http, same parsing', value: 1e6 / rawEventCpu },
          target: '>= 60% of raw',
          met: rawEventCpu / authEventCpu >= 0.6,
        },
        {
          name: `for comparison: with the SCXML interpreter on ${perCpuThreads} engine threads (one per CPU; the default runs ${engineThreadCount({})}): event POSTs/s one server core sustains`,
          value: 1e6 / perCpuEventCpu,
          unit: 'req/s',
          better: 'higher',
          baseline: { name: 'raw node:http, same parsing', value: 1e6 / rawEventCpu },
        },
        {
          name: `for comparison: event POSTs/s through express 5 (same parsing, no session), ${concurrency} connections`,
          value: expressE.perSecond,
          unit: 'req/s',
          better: 'higher',
          baseline: { name: 'raw node:http, same parsing', value: rawE.perSecond },
        },
        {
          name: 'for comparison: event POSTs/s one core sustains through express 5 (same parsing, no session)',
          value: 1e6 / expressEventCpu,
          unit: 'req/s',
          better: 'higher',
          baseline: { name: 'raw node:http, same parsing', value: 1e6 / rawEventCpu },
        },
        {
          name: 'with the SCXML interpreter: event POST p99 latency',
          value: rtE.p99Ms,
          unit: 'ms',
          better: 'lower',
          baseline: { name: 'raw node:http p99', value: rawE.p99Ms },
        },
        {
          name: 'session starts/s (form body)',
          value: rtS.perSecond,
          unit: 'req/s',
          better: 'higher',
          baseline: { name: 'raw node:http, same parsing', value: rawS.perSecond },
        },
        {
          name: 'session starts/s one server core sustains (1e6 / server CPU µs per start)',
          value: 1e6 / rtStartCpu,
          unit: 'req/s',
          better: 'higher',
          baseline: { name: 'raw node:http, same parsing', value: 1e6 / rawStartCpu },
        },
        {
          name: 'session start p99 latency',
          value: rtS.p99Ms,
          unit: 'ms',
          better: 'lower',
          baseline: { name: 'raw node:http p99', value: rawS.p99Ms },
        },
        {
          name: 'macrosteps/s handed to a worker thread (pipelined postMessage)',
          value: threads.worker,
          unit: 'events/s',
          better: 'higher',
          baseline: { name: 'same macrosteps in-thread', value: threads.inThread },
        },
        {
          name: 'worker-thread round trip per event (one at a time)',
          value: threads.workerRoundTripUs,
          unit: 'µs',
          better: 'lower',
          baseline: { name: 'event POST p50 over HTTP', value: rtE.p50Ms * 1000 },
        },
      ];
      return figures;
    } finally {
      raw.child.kill('SIGTERM');
      viaExpress.child.kill('SIGTERM');
      table.child.kill('SIGTERM');
      runtime.child.kill('SIGTERM');
      withAuth.child.kill('SIGTERM');
      perCpu.child.kill('SIGTERM');
    }
  },
};
export default suite;

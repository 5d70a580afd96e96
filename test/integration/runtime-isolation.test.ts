// Runaway strategies against a real `ors runtime` pair (file lease) over REST: every kind
// ends (or is cut back to) only its own session, while /heartbeat and /livez keep
// answering, the primary keeps its Lease (the backup never takes over), witness sessions
// on both engine threads go on receiving events with none lost and none twice, and the
// process never exits. Latency figures are printed; bench/isolation.bench.ts records them.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../infra/wait-until.ts';
import { spawnOrs, type OrsProcess } from '../support/ors-processes.ts';

const WITNESS = `<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:session="http://www.genesyslab.com/modules/session" version="1.0" datamodel="ecmascript" initial="counting">
  <datamodel><data id="count" expr="0"/></datamodel>
  <state id="counting">
    <transition event="bump"><assign location="count" expr="count + 1"/></transition>
    <transition event="count"><session:response requestid="_event.sendid"><param name="count" expr="count"/></session:response></transition>
  </state>
</scxml>`;

/** One transition per runaway kind; `error.execution` is counted when the realm cuts it short. */
const RUNAWAY = `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="idle">
  <datamodel><data id="errors" expr="0"/><data id="done" expr="0"/></datamodel>
  <state id="idle">
    <transition event="error.execution"><assign location="errors" expr="errors + 1"/></transition>
    <transition event="builtin"><script>Array.prototype.lastIndexOf.call({ length: 2 ** 53 - 1 }, 1);</script><assign location="done" expr="done + 1"/></transition>
    <transition event="guard" target="spinning"/>
    <transition event="regex"><script>/^(a+)+$/.test('a'.repeat(45) + 'b');</script><assign location="done" expr="done + 1"/></transition>
    <transition event="foreach"><foreach array="new Array(1000000).fill(0)" item="x"><raise event="tick"/></foreach></transition>
    <transition event="helper"><script>__scxml_rt = { tick: function () {} }; while (true) {}</script></transition>
    <transition event="allocate"><script>var hoard = []; while (true) hoard.push(new Array(100000).join('x') + hoard.length);</script></transition>
    <transition event="finalizer"><script>
      var registry = new FinalizationRegistry(function () { throw new Error('thrown at garbage collection'); });
      for (var i = 0; i &lt; 20000; i++) registry.register({ i: i }, i);
      var garbage = []; for (var j = 0; j &lt; 200; j++) garbage.push(new Array(10000).join('y'));
    </script><assign location="done" expr="done + 1"/></transition>
    <transition event="loop1s"><script>var t = Date.now(); while (Date.now() - t &lt; 1000) {}</script><assign location="done" expr="done + 1"/></transition>
  </state>
  <state id="spinning">
    <transition cond="(function () { while (true) {} })()" target="idle"/>
    <transition event="error.execution"><assign location="errors" expr="errors + 1"/></transition>
  </state>
</scxml>`;

interface Probe {
  at: number;
  path: string;
  status: number;
  ms: number;
}

const HARD_LIMIT_MS = 2000;
let dir: string;
let primary: OrsProcess;
let backup: OrsProcess;
let primaryUrl: string;
let backupUrl: string;
const probes: Probe[] = [];
let probing = true;
let prober: Promise<void>;

function runtimeEnv(identity: string): Record<string, string> {
  return {
    ORS_NODE_ID: 'node-0',
    ORS_IDENTITY: identity,
    ORS_HTTP_PORT: '0',
    ORS_SYNC_PORT: '0',
    ORS_LEASE: 'file',
    ORS_LEASE_DIR: path.join(dir, 'lease'),
    ORS_SESSION_STORE_DIR: path.join(dir, 'store'),
    // Short enough that a stall of the I/O thread as long as the runaways loses the lease;
    // long enough that a machine loaded by other test runs does not.
    ORS_LEASE_DURATION: '4000',
    ORS_LEASE_RENEW_DEADLINE: '3000',
    ORS_LEASE_RETRY_PERIOD: '200',
    ORS_SYNC_KEY: 'test sync key, shared by the pair',
    ORS_STRATEGIES_DIR: dir,
    ORS_LOG_LEVEL: 'warn',
    ORS_SESSION_PROCESSING_THREADS: '2',
    ORS_MACROSTEP_BUDGET: '1000',
    ORS_MACROSTEP_HARD_LIMIT: String(HARD_LIMIT_MS),
    ORS_SESSION_PROCESSING_THREAD_HEAP: '64',
  };
}

async function listening(runtime: OrsProcess): Promise<string> {
  return (await runtime.line(/listening on (http:\/\/\S+)/, 30_000))[1]!;
}

async function post(url: string, body: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function startSession(src: string): Promise<string> {
  const started = await post(`${primaryUrl}/scxml/session/start`, { src });
  expect(started.status, JSON.stringify(started.json)).toBe(200);
  return started.json.sessionid as string;
}

async function query(id: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${primaryUrl}/scxml/session/${id}/query`, { redirect: 'manual' });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function probeLoop(): Promise<void> {
  while (probing) {
    for (const [base, route] of [
      [primaryUrl, '/heartbeat'],
      [primaryUrl, '/livez'],
      [backupUrl, '/heartbeat'],
    ] as const) {
      const at = performance.now();
      let status: number;
      try {
        const response = await fetch(base + route, { signal: AbortSignal.timeout(5000) });
        await response.arrayBuffer();
        status = response.status;
      } catch {
        status = 0;
      }
      probes.push({ at, path: `${base === primaryUrl ? 'primary' : 'backup'}${route}`, status, ms: performance.now() - at });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
}

interface Witness {
  id: string;
  thread: number;
  sent: number;
}
const witnesses: Witness[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ors-isolation-'));
  await writeFile(path.join(dir, 'witness.scxml'), WITNESS);
  await writeFile(path.join(dir, 'runaway.scxml'), RUNAWAY);
  primary = spawnOrs(['runtime', '--auth', 'none'], { env: runtimeEnv('primary') });
  primaryUrl = await listening(primary);
  await waitUntil(async () => ((await fetch(`${primaryUrl}/heartbeat`)).status === 200 ? true : undefined), {
    what: 'the first runtime to take the lease',
    timeoutMs: 20_000,
  });
  backup = spawnOrs(['runtime', '--auth', 'none'], { env: runtimeEnv('backup') });
  backupUrl = await listening(backup);
  for (let i = 0; i < 4; i++) {
    const id = await startSession('witness.scxml');
    const metadata = (await query(id)).json.metadata as { engineThread: number };
    witnesses.push({ id, thread: metadata.engineThread, sent: 0 });
  }
  expect(new Set(witnesses.map((w) => w.thread)).size).toBe(2);
  prober = probeLoop();
}, 60_000);

afterAll(async () => {
  probing = false;
  await prober;
  const primaryMs = probes.filter((p) => p.path.startsWith('primary')).map((p) => p.ms);
  console.log(
    `isolation run: ${probes.length} probes, primary /heartbeat+/livez p99 ${p99(primaryMs).toFixed(1)} ms, max ${Math.max(...primaryMs).toFixed(1)} ms`,
  );
  // A thread stuck in a built-in V8 cannot interrupt keeps the process from exiting on SIGTERM.
  await Promise.all([primary?.stop('SIGKILL'), backup?.stop('SIGTERM')]);
});

/** Bumps every witness `times` times, concurrently with whatever else is going on. */
async function bumpWitnesses(times: number): Promise<void> {
  await Promise.all(
    witnesses.map(async (w) => {
      for (let i = 0; i < times; i++) {
        const answer = await post(`${primaryUrl}/scxml/session/${w.id}/event/bump`);
        expect(answer.status, JSON.stringify(answer.json)).toBe(200);
        w.sent++;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }),
  );
}

/** Each witness has seen exactly the bumps it was sent. */
async function expectWitnessesExact(): Promise<void> {
  for (const w of witnesses) {
    const answer = await post(`${primaryUrl}/scxml/session/${w.id}/request/count`);
    expect(answer.status, `witness on thread ${w.thread}: ${JSON.stringify(answer.json)}\n${primary.output()}`).toBe(200);
    expect(answer.json.count, `witness on thread ${w.thread}`).toBe(w.sent);
  }
}

/** The invariants every runaway kind must leave intact. */
function expectNodeHealthy(since: number): void {
  expect(primary.child.exitCode, primary.output()).toBeNull();
  expect(primary.child.signalCode).toBeNull();
  const window = probes.filter((p) => p.at >= since);
  expect(window.length).toBeGreaterThan(0);
  // The primary kept its lease: its heartbeat said primary, the backup's never did.
  for (const p of window) {
    if (p.path === 'primary/heartbeat') expect(p.status, 'primary /heartbeat').toBe(200);
    if (p.path === 'primary/livez') expect(p.status, 'primary /livez').toBe(200);
    if (p.path === 'backup/heartbeat') expect(p.status, 'backup /heartbeat').toBe(503);
  }
  // A stall of the I/O thread would last as long as the runaway (seconds, the hard limit):
  // no probe may come near that. The p99 target (100 ms) is measured over the whole run
  // (afterAll) and by bench/isolation.bench.ts; single probes on a shared machine get slack.
  const ms = window.filter((p) => p.path.startsWith('primary')).map((p) => p.ms);
  expect(Math.max(...ms), `slowest primary probe of ${ms.length}`).toBeLessThan(1000);
}

type Ending = 'ended' | 'alive';

/** Sends `event` to a fresh runaway session and returns how it ended up once things settled. */
async function runaway(event: string, allowed: Ending[]): Promise<{ ending: Ending; reason?: string }> {
  const since = performance.now();
  const id = await startSession('runaway.scxml');
  const fired = await post(`${primaryUrl}/scxml/session/${id}/event/${event}`);
  expect(fired.status, `${JSON.stringify(fired.json)}\n${primary.output()}\n${backup.output()}`).toBe(200);
  await bumpWitnesses(Math.ceil((HARD_LIMIT_MS + 1500) / 25 / 4));
  const outcome = await waitUntil(
    async () => {
      const q = await query(id);
      if (q.status === 409) return { ending: 'ended' as const, reason: (q.json.reason as string | undefined) ?? String(q.json.message) };
      const dm = q.json.datamodel as { errors: number; done: number };
      if (q.status === 200 && (dm.errors > 0 || dm.done > 0)) return { ending: 'alive' as const };
      return undefined;
    },
    { what: `the ${event} runaway to be ended or cut short`, timeoutMs: 30_000, intervalMs: 100 },
  );
  expect(allowed, `${event}: ${JSON.stringify(outcome)}`).toContain(outcome.ending);
  await expectWitnessesExact();
  expectNodeHealthy(since);
  return outcome;
}

describe('runaway strategies on engine threads', () => {
  afterAll(() => {
    const primaryMs = probes.filter((p) => p.path.startsWith('primary')).map((p) => p.ms);
    // Target 100 ms; loose here (a 2-core machine shared with other test runs).
    expect(p99(primaryMs), `p99 of ${primaryMs.length} primary /heartbeat and /livez probes`).toBeLessThan(500);
  });

  it('an eventless transition whose guard loops is ended by the watchdog', async () => {
    const outcome = await runaway('guard', ['ended']);
    expect(outcome.reason).toMatch(/watchdog/);
  });

  it('catastrophic regex backtracking ends or is cut short, and stalls nothing', async () => {
    await runaway('regex', ['ended', 'alive']);
  });

  it('a <foreach> raising a million events ends only its session', async () => {
    await runaway('foreach', ['ended']);
  });

  it('a guard redefining the loop-check helper ends only its session', async () => {
    await runaway('helper', ['ended', 'alive']);
  });

  it('an allocation bomb ends only the allocating session (out of memory on its thread)', async () => {
    const outcome = await runaway('allocate', ['ended', 'alive']);
    if (outcome.ending === 'ended') expect(outcome.reason).toMatch(/out-of-memory|watchdog/);
  });

  it('a FinalizationRegistry callback throwing at garbage collection takes nothing down', async () => {
    await runaway('finalizer', ['ended', 'alive']);
  });

  it('ten small POSTs each triggering a 1-s loop: the loops are cut, the lease is kept', async () => {
    const since = performance.now();
    const ids = await Promise.all(Array.from({ length: 10 }, () => startSession('runaway.scxml')));
    await Promise.all(ids.map((id) => post(`${primaryUrl}/scxml/session/${id}/event/loop1s`)));
    await bumpWitnesses(20);
    for (const id of ids) {
      await waitUntil(
        async () => {
          const q = await query(id);
          const dm = q.json.datamodel as { errors: number; done: number } | undefined;
          return dm && dm.errors + dm.done > 0 ? true : undefined;
        },
        { what: 'each 1-s loop to be over', timeoutMs: 60_000, intervalMs: 100 },
      );
    }
    await expectWitnessesExact();
    expectNodeHealthy(since);
  });

  // Last: a thread stuck in this built-in cannot be interrupted and keeps a core busy.
  it('a built-in that never returns ends only its own session', async () => {
    const outcome = await runaway('builtin', ['ended', 'alive']);
    if (outcome.ending === 'ended') expect(outcome.reason).toMatch(/watchdog/);
  });
});

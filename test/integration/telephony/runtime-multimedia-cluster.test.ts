// Issue 11's must-show on real processes: `ors sim` and a local 2-node cluster of
// `ors runtime` processes, a primary and a backup per node, run as `ors local` runs them
// (file leases, a file session store per node, a shared sync key). The two nodes have
// different capacity (max-sessions 8 and 16). The queue's strategy is persisted and tells
// a work-log server in this test when it starts and ends its work, with its session id,
// so "processed once" is checked from the sessions themselves as well as from the
// simulator's report and pull log. The primaries' /metrics are scraped and must agree
// with the simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simAddresses, simRequest, spawnOrs, tempDir } from '../../support/ors-processes.ts';
import type { OrsProcess } from '../../support/ors-processes.ts';
import { waitFor } from '../../support/voice-test-cluster.ts';
import type { PullLogEntry, SimStatisticsReport } from '../../../runtime/sim/sim-statistics.ts';
import { FileSessionStore } from '../../../runtime/store/file-session-store.ts';

const NODES = ['node-0', 'node-1'];
const CAPACITY: Record<string, number> = { 'node-0': 8, 'node-1': 16 };
/** Node leader election (as `ors local`, a little more patient: this machine is loaded). */
const LEASE_MS = 2000;
/** The simulator's lease on a pulled interaction: longer than a failover, shorter than the long work. */
const SIM_LEASE_MS = 6000;
const LONG_WORK_MS = 9000;

// Persisted; `beginMs` after its start it begins the work (reported), `workMs` later it
// ends it (reported) and finishes; the runtime then reports the interaction complete.
const strategy = `<?xml version="1.0" encoding="UTF-8"?>
<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:session="http://www.genesyslab.com/modules/session"
       version="1.0" datamodel="ecmascript" initial="waiting" _persist="true">
  <datamodel>
    <data id="InteractionId" _type="parameter" expr="''"/>
    <data id="beginMs" _type="parameter" expr="0"/>
    <data id="workMs" _type="parameter" expr="100"/>
    <data id="reportUrl" _type="parameter" expr="''"/>
  </datamodel>
  <state id="waiting">
    <onentry><send event="begin" delayexpr="Number(beginMs) + 'ms'"/></onentry>
    <transition event="begin" target="working"/>
  </state>
  <state id="working">
    <onentry>
      <session:fetch srcexpr="reportUrl" method="post">
        <param name="what" expr="'start'"/><param name="interaction" expr="InteractionId"/><param name="session" expr="_sessionid"/>
      </session:fetch>
      <send event="work.done" delayexpr="Number(workMs) + 'ms'"/>
    </onentry>
    <transition event="work.done" target="done">
      <session:fetch srcexpr="reportUrl" method="post">
        <param name="what" expr="'done'"/><param name="interaction" expr="InteractionId"/><param name="session" expr="_sessionid"/>
      </session:fetch>
    </transition>
  </state>
  <final id="done"/>
</scxml>`;

interface WorkReport {
  what: 'start' | 'done';
  interaction: string;
  session: string;
  at: number;
}

const dir = tempDir('ors-mm-cluster-');
const syncKey = randomBytes(24).toString('hex');
let sim: OrsProcess;
let simUrl = '';
let wsUrl = '';
let reportUrl = '';
let workLog: WorkReport[] = [];
let workServer: http.Server;
const runtimes = new Map<string, OrsProcess & { url: string }>();

const api = <T = unknown>(method: string, p: string, body?: unknown) => simRequest<T>(simUrl, method, p, body);
const report = async () => (await api<SimStatisticsReport>('GET', '/stats')).body.interactions;
const pullLog = async () => (await api<PullLogEntry[]>('GET', '/pull-log')).body;

/** The simulator names a process `<node>-<pid>`. */
const processIdOf = (name: string) => `${name.slice(0, 'node-0'.length)}-${runtimes.get(name)!.child.pid}`;

async function startRuntime(nodeId: string, which: 'a' | 'b'): Promise<void> {
  const nodeDir = path.join(dir, nodeId);
  const proc = spawnOrs(
    [
      'runtime', '--auth', 'none', '--node-id', nodeId, '--identity', `${nodeId}-${which}`,
      '--http-host', '127.0.0.1', '--http-port', '0', '--sync-host', '127.0.0.1', '--sync-port', '0',
      '--lease', 'file', '--lease-dir', path.join(nodeDir, 'lease'),
      '--lease-duration', String(LEASE_MS), '--lease-renew-deadline', '1500', '--lease-retry-period', '200',
      '--session-store', 'file', '--session-store-dir', path.join(nodeDir, 'store'),
      '--telephony-url', wsUrl, '--cluster-nodes', NODES.join(','), '--strategies-dir', dir,
      '--max-sessions', String(CAPACITY[nodeId]), '--multimedia-pull-interval', '50', '--interaction-lease-renew-interval', '500',
      '--log-level', process.env['ORS_TEST_RUNTIME_LOG_LEVEL'] ?? 'warn',
    ],
    { env: { ORS_SYNC_KEY: syncKey } },
  );
  const [, url] = await proc.line(/listening on (http:\/\/\S+)/, 60_000);
  runtimes.set(`${nodeId}-${which}`, Object.assign(proc, { url: url! }));
}

async function heartbeat(name: string): Promise<number> {
  return fetch(`${runtimes.get(name)!.url}/heartbeat`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status, () => 0);
}

/** Each process's role and epoch now (a switchover shows as a higher epoch). */
async function epochs(): Promise<string> {
  const out: string[] = [];
  for (const [name, r] of runtimes) {
    const body = await fetch(`${r.url}/heartbeat`, { signal: AbortSignal.timeout(1000) }).then((x) => x.json(), () => ({}));
    out.push(`${name}: ${JSON.stringify(body)}`);
  }
  return out.join('\n');
}

async function scrape(name: string): Promise<(metric: string) => number> {
  const text = await (await fetch(`${runtimes.get(name)!.url}/metrics`)).text();
  return (metric) => {
    let sum = 0;
    let seen = false;
    for (const line of text.split('\n')) {
      const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (m && m[1] === metric) {
        sum += Number(m[3]);
        seen = true;
      }
    }
    if (!seen) throw new Error(`no metric ${metric} on ${name}:\n${text}`);
    return sum;
  };
}

/** What the runtimes logged (warnings and errors), for failure messages. */
const runtimeLogs = () => [...runtimes].map(([name, r]) => `--- ${name}\n${r.output().split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-40).join('\n')}`).join('\n');

/** Sessions persisted in a node's store now (read from its newest segment, as a new primary would). */
async function storedSessions(nodeId: string): Promise<number> {
  const store = new FileSessionStore({ directory: path.join(dir, nodeId, 'store') });
  let n = 0;
  for await (const _ of store.listByNode(nodeId)) n++;
  return n;
}

/** Distinct sessions that reported work on each interaction. */
function sessionsByInteraction(reports: WorkReport[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of reports) {
    const set = out.get(r.interaction) ?? new Set<string>();
    set.add(r.session);
    out.set(r.interaction, set);
  }
  return out;
}

beforeAll(async () => {
  writeFileSync(path.join(dir, 'mm-work.scxml'), strategy);
  workServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      workLog.push({ ...(JSON.parse(body) as Omit<WorkReport, 'at'>), at: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => workServer.listen(0, '127.0.0.1', resolve));
  reportUrl = `http://127.0.0.1:${(workServer.address() as AddressInfo).port}/work`;

  sim = spawnOrs(['sim', '--port', '0', '--queue', 'chat=mm-work.scxml', '--lease-expiry', String(SIM_LEASE_MS), '--log-level', 'warn']);
  ({ telephonyUrl: wsUrl, controlUrl: simUrl } = await simAddresses(sim));
  // As `ors local`: the first process of each node starts first and becomes its primary.
  await Promise.all(NODES.map((n) => startRuntime(n, 'a')));
  await waitFor(async () => (await Promise.all(NODES.map((n) => heartbeat(`${n}-a`)))).every((s) => s === 200), 30_000, 'the primaries');
  await Promise.all(NODES.map((n) => startRuntime(n, 'b')));
  await waitFor(async () => (await api<unknown[]>('GET', '/connections')).body.length === 4, 30_000, 'four runtime processes to connect');
  for (const n of NODES) expect(await heartbeat(`${n}-b`)).toBe(503);
}, 120_000);

afterAll(async () => {
  await Promise.all([...runtimes.values()].map((r) => r.stop('SIGKILL')));
  await sim?.stop('SIGKILL');
  await new Promise((r) => workServer?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('multimedia interactions on a local 2-node cluster of ors runtime processes', () => {
  it('processes 1,000 interactions exactly once, spread by pull in proportion to capacity; backups never pull; /metrics agree', async () => {
    // beginMs: a session begins its (reported) work only after its first snapshot is in the
    // store. Work done before that is lost with its process should the node switch over, and
    // the interaction starts over in a new session (ors_interactions_restarted_total).
    await api('POST', '/interactions', { queue: 'chat', count: 1000, data: { workMs: 100, beginMs: 200, reportUrl } });
    await waitFor(async () => (await report()).completed === 1000, 100_000, '1,000 completions');
    const r = await report();
    expect(r, runtimeLogs()).toMatchObject({ enqueued: 1000, pulled: 1000, completed: 1000, returned: 0, waiting: 0, inProgress: 0, pullsRefusedFromBackups: 0, completionsRefused: 0 });

    // From the simulator's pull log: only the primaries pulled, and no interaction twice.
    const log = await pullLog();
    expect(new Set(log.map((e) => e.processId))).toEqual(new Set(NODES.map((n) => processIdOf(`${n}-a`))));
    expect(log.every((e) => e.role === 'primary' && e.refused === undefined)).toBe(true);
    const pulledBy = new Map<string, string>();
    for (const e of log) for (const id of e.interactionIds) {
      expect(pulledBy.has(id), `${id} pulled twice`).toBe(false);
      pulledBy.set(id, e.nodeId);
    }
    expect(pulledBy.size).toBe(1000);

    // From the sessions: one session per interaction, on the node that pulled it, that started and finished the work.
    await waitFor(() => sessionsByInteraction(workLog.filter((w) => w.what === 'done')).size === 1000, 10_000, 'every done report');
    const sessions = sessionsByInteraction(workLog);
    expect(sessions.size).toBe(1000);
    for (const [interaction, ids] of sessions) {
      expect([...ids], `${interaction}\n${await epochs()}\n${runtimeLogs()}`).toHaveLength(1);
      expect([...ids][0]!.endsWith(`.${pulledBy.get(interaction)}`)).toBe(true);
    }

    // A finished session's record goes once its completion is acknowledged: nothing is left behind.
    await waitFor(async () => (await Promise.all(NODES.map(storedSessions))).every((n) => n === 0), 15_000, 'the session stores to empty');

    // Spread by pull in proportion to capacity: node-1 has twice node-0's.
    const ratio = r.byNode['node-1']!.completed / r.byNode['node-0']!.completed;
    console.log(`completed by node: ${JSON.stringify(Object.fromEntries(Object.entries(r.byNode).map(([k, v]) => [k, v.completed])))}, ratio ${ratio.toFixed(2)}`);
    expect(ratio).toBeGreaterThan(1.4);
    expect(ratio).toBeLessThan(2.8);

    // The puller's metrics on each process's Prometheus /metrics agree with the simulator.
    for (const n of NODES) {
      const primary = await scrape(`${n}-a`);
      expect(primary('ors_interactions_pulled_total')).toBe(r.byNode[n]!.pulled);
      expect(primary('ors_interactions_completed_total')).toBe(r.byNode[n]!.completed);
      expect(primary('ors_interactions_returned_total')).toBe(0);
      expect(primary('ors_interaction_pull_seconds_count')).toBeGreaterThan(0);
      expect(primary('ors_interaction_completions_pending')).toBe(0);
      const backup = await scrape(`${n}-b`);
      expect(backup('ors_interactions_pulled_total')).toBe(0);
      expect(backup('ors_interaction_pull_seconds_count')).toBe(0);
    }
  }, 150_000);

  it('SIGKILL of a primary mid-processing: its persisted sessions continue on its backup, nothing pulled or processed twice, leases kept alive', async () => {
    const before = await report();
    const logBefore = (await pullLog()).length;
    workLog = [];
    // Long work first, as much as both nodes hold (node-1: 16 sessions), then short work queued behind it.
    const long = CAPACITY['node-0']! + CAPACITY['node-1']!, short = 120, total = long + short;
    await api('POST', '/interactions', { queue: 'chat', count: long, data: { workMs: LONG_WORK_MS, beginMs: 300, reportUrl } });
    await api('POST', '/interactions', { queue: 'chat', count: short, data: { workMs: 150, beginMs: 300, reportUrl } });
    const startedOnNode1 = () => new Set(workLog.filter((w) => w.what === 'start' && w.session.endsWith('.node-1')).map((w) => w.session));
    await waitFor(() => startedOnNode1().size >= CAPACITY['node-1']!, 30_000, 'node-1 to be busy with long work');
    await new Promise((r) => setTimeout(r, 300)); // the snapshots after the start reach the store
    const killed = runtimes.get('node-1-a')!;
    const killedProcess = processIdOf('node-1-a');
    const backupProcess = processIdOf('node-1-b');
    await killed.stop('SIGKILL');
    const killedAt = Date.now();
    const interrupted = new Set([...startedOnNode1()].filter((s) => !workLog.some((w) => w.what === 'done' && w.session === s && w.at < killedAt)));
    expect(interrupted.size).toBeGreaterThan(0);

    await waitFor(async () => (await heartbeat('node-1-b')) === 200, 20_000, 'node-1-b to become primary');
    await waitFor(async () => (await report()).completed === before.completed + total, 90_000, 'every interaction to complete');
    const r = await report();
    // Leases ran out SIM_LEASE_MS after the old primary's last renewal; the interrupted sessions worked
    // on for longer, so the new primary must have renewed them: nothing went back to the queue.
    expect(r, runtimeLogs()).toMatchObject({ enqueued: 1000 + total, pulled: 1000 + total, completed: 1000 + total, returned: 0, waiting: 0, inProgress: 0, pullsRefusedFromBackups: 0, completionsRefused: 0 });

    const log = (await pullLog()).slice(logBefore);
    expect(log.every((e) => e.role === 'primary' && e.refused === undefined)).toBe(true);
    const pulled = log.flatMap((e) => e.interactionIds);
    expect(pulled).toHaveLength(total);
    expect(new Set(pulled).size).toBe(total);
    // node-1's backup pulled nothing while it was a backup.
    expect(log.filter((e) => e.processId === backupProcess).every((e) => e.at >= killedAt)).toBe(true);
    expect(log.filter((e) => e.processId === killedProcess).every((e) => e.at <= killedAt)).toBe(true);

    // One session per interaction; the interrupted ones finished after the kill, in the same session (on the backup).
    await waitFor(() => sessionsByInteraction(workLog.filter((w) => w.what === 'done')).size === total, 10_000, 'every done report');
    const sessions = sessionsByInteraction(workLog);
    expect(sessions.size).toBe(total);
    for (const [interaction, ids] of sessions) expect([...ids], interaction).toHaveLength(1);
    for (const s of interrupted) expect(workLog.some((w) => w.what === 'done' && w.session === s && w.at > killedAt), s).toBe(true);

    await waitFor(async () => (await Promise.all(NODES.map(storedSessions))).every((n) => n === 0), 15_000, 'the session stores to empty');

    const promoted = await scrape('node-1-b');
    const recovered = promoted('ors_interactions_recovered_total');
    const restarted = promoted('ors_interactions_restarted_total');
    if (process.env['ORS_TEST_RUNTIME_LOG_LEVEL']) console.log(runtimes.get('node-1-b')!.output());
    console.log(`interrupted on the killed primary: ${interrupted.size}; taken over by its backup: ${recovered} recovered, ${restarted} started over; repeated completions ${r.completionsRepeated}`);
    expect(recovered).toBeGreaterThanOrEqual(interrupted.size);
    expect(promoted('ors_interactions_completed_total')).toBeGreaterThanOrEqual(interrupted.size);
    expect(promoted('ors_interactions_returned_total')).toBe(0);
  }, 150_000);
});

// Cassandra stopped for 30 s while the runtime keeps writing, then started again: writes
// wait in the bounded backlog (reads see them), the backlog sheds past its bound with a
// clear error and a metric, health reports the outage, and once Cassandra is back every
// write lands — nothing acknowledged before, and nothing accepted during the outage, is lost.
// Then hot standby with real runtime processes: a primary/backup pair keeps answering
// persisted sessions while Cassandra is down (the backup confirms each snapshot), a kill -9
// of the primary during the outage loses no answered event, a runtime started during the
// outage waits for Cassandra instead of crashing, and the store catches up afterwards.
// These tests stop their server, so they run their own instead of the run's shared one.
import { Registry } from 'prom-client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CassandraSessionStore } from '../../runtime/store/cassandra-store.ts';
import type { CassandraStoreConfigInput } from '../../runtime/store/cassandra-store-config.ts';
import type { StoredSession } from '../../runtime/store/session-store.ts';
import { BacklogFullError } from '../../runtime/store/write-backlog.ts';
import { CassandraServer } from '../infra/cassandra.ts';
import { session } from '../contracts/session-store-contract.ts';
import { HaPair, type HaProcess } from '../support/ha-pair.ts';
import { strategyDir } from '../support/runtime-harness.ts';
import { waitUntil } from '../infra/wait-until.ts';

const server = new CassandraServer();
let config: CassandraStoreConfigInput;
let endpoint: Awaited<ReturnType<CassandraServer['start']>>;
let pair: HaPair | undefined;
const stores: CassandraSessionStore[] = [];

beforeAll(async () => {
  endpoint = await server.start();
  config = {
    contactPoints: [endpoint.contactPoint],
    localDataCenter: endpoint.localDataCenter,
    keyspace: 'ors_outage',
    replication: { class: 'NetworkTopologyStrategy', dataCenters: { [endpoint.localDataCenter]: 1 } },
    maxPendingWrites: 50,
    maxRetryDelayMs: 1000,
    requestTimeoutMs: 2000,
  };
});

afterAll(async () => {
  await pair?.close();
  for (const store of stores) await store.close().catch(() => undefined);
  await server.stop();
  console.log(`outage test Cassandra log: ${server.logFile}`);
});

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('Cassandra stopped for 30 s and started again: nothing acknowledged or accepted is lost', async () => {
  const registry = new Registry();
  const store = new CassandraSessionStore(config, { registry });
  stores.push(store);
  await store.open();
  const node = 'node-0';
  const id = (i: number) => `session-${i}`;

  // Acknowledged before the outage.
  const before = Array.from({ length: 20 }, (_, i) => session({ sessionId: id(i), nodeId: node, snapshot: { i, step: 1 } }));
  await Promise.all(before.map((s) => store.save(s)));

  await server.stop();
  const stoppedAt = Date.now();

  // During the outage: updates, terminations and new sessions; none is acknowledged yet.
  const outcomes = new Map<string, Promise<'applied' | Error>>();
  const track = (key: string, write: Promise<void>) =>
    outcomes.set(key, write.then(() => 'applied' as const, (error: Error) => error));
  const updated: StoredSession[] = [];
  for (let i = 0; i < 15; i++) {
    const s = session({ sessionId: id(i), nodeId: node, version: 2, snapshot: { i, step: 2 } });
    updated.push(s);
    track(`update-${i}`, store.save(s));
  }
  for (let i = 15; i < 20; i++) track(`delete-${i}`, store.delete(node, id(i), 1));
  const created: StoredSession[] = [];
  for (let i = 20; i < 50; i++) {
    const s = session({ sessionId: id(i), nodeId: node, snapshot: { i, step: 1 } });
    created.push(s);
    track(`create-${i}`, store.save(s));
  }
  // A newer snapshot of a session already waiting replaces it in the backlog (no new entry).
  const latest = session({ sessionId: id(0), nodeId: node, version: 3, snapshot: { i: 0, step: 3 } });
  updated[0] = latest;
  track('update-0-again', store.save(latest));

  await until(() => !store.health().available, 20_000, 'the store to notice the outage');
  expect(store.health().pending).toBe(50);

  // The backlog is full: the next new session is shed at once, with a clear error and a metric.
  const shed = await store.save(session({ sessionId: id(99), nodeId: node })).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(shed).toBeInstanceOf(BacklogFullError);
  expect((shed as Error).message).toMatch(/backlog full.*shed/);

  // Reads see the writes that are waiting.
  expect(await store.load(node, id(0))).toEqual(latest);
  expect(await store.load(node, id(15))).toBeUndefined();
  expect(await store.load(node, id(30))).toEqual(created[10]);

  const metrics = await registry.metrics();
  expect(metrics).toMatch(/^ors_cassandra_available 0$/m);
  expect(metrics).toMatch(/^ors_cassandra_pending_writes 50$/m);
  expect(metrics).toMatch(/^ors_cassandra_shed_writes_total 1$/m);
  expect(Number(/^ors_cassandra_oldest_pending_write_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  expect(store.health().oldestPendingMs).toBeGreaterThan(0);
  expect(store.health().lastError).toBeTruthy();
  for (const outcome of outcomes.values()) {
    await expect(Promise.race([outcome, new Promise((r) => setTimeout(() => r('pending'), 0))])).resolves.toBe('pending');
  }

  await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + 30_000 - Date.now())));
  await server.start();

  // Every write accepted during the outage lands once Cassandra is back.
  const results = await Promise.all(outcomes.values());
  expect(results.every((r) => r === 'applied')).toBe(true);
  expect(store.health()).toMatchObject({ available: true, pending: 0, oldestPendingMs: 0 });
  expect(await registry.metrics()).toMatch(/^ors_cassandra_available 1$/m);

  // A fresh store (another runtime) reads everything from Cassandra itself.
  const reader = new CassandraSessionStore(config);
  stores.push(reader);
  await reader.open();
  const listed: StoredSession[] = [];
  for await (const s of reader.listByNode(node)) listed.push(s);
  const expected = [...updated, ...created].sort((a, b) => a.sessionId.localeCompare(b.sessionId));
  expect(listed.sort((a, b) => a.sessionId.localeCompare(b.sessionId))).toEqual(expected);
  for (let i = 15; i < 20; i++) expect(await reader.load(node, id(i))).toBeUndefined();
}, 240_000);

async function post(base: string, path: string): Promise<{ status: number; ms: number; body: string }> {
  const t0 = performance.now();
  const response = await fetch(base + path, { method: 'POST', signal: AbortSignal.timeout(20_000) });
  return { status: response.status, ms: performance.now() - t0, body: await response.text() };
}

async function bumps(proc: HaProcess, id: string): Promise<number | undefined> {
  const response = await fetch(`${proc.url}/scxml/session/${id}/query`).catch(() => undefined);
  if (response?.status !== 200) return undefined;
  const { datamodel } = (await response.json()) as { datamodel: { events: string[] } };
  return datamodel.events.filter((e) => e === 'bump').length;
}

async function backupSynced(proc: HaProcess): Promise<void> {
  await waitUntil(async () => {
    const beat = (await (await fetch(`${proc.url}/heartbeat`)).json()) as { role: string; primaryUrl?: string };
    return beat.role === 'backup' && beat.primaryUrl ? true : undefined;
  }, { what: `${proc.name} to follow its primary`, timeoutMs: 20_000 });
  await new Promise((r) => setTimeout(r, 500));
}

test('hot standby: persisted sessions are answered through a Cassandra outage, and a failover during it loses no answered event', async () => {
  const keyspace = 'ors_standby';
  const dir = await strategyDir({ 'kept.json': JSON.stringify({ initial: 'counting', persist: true, sendSessionRecovered: true }) });
  pair = await HaPair.create(dir, {
    leaseMs: 1500,
    renewMs: 1000,
    retryMs: 150,
    extra: {
      'session-store': 'cassandra',
      'cassandra-contact-points': endpoint.contactPoint,
      'cassandra-local-data-center': endpoint.localDataCenter,
      'cassandra-keyspace': keyspace,
      'cassandra-replication': `${endpoint.localDataCenter}=1`,
      'cassandra-request-timeout': 2000,
    },
  });
  const a = await pair.start('a');
  expect(await pair.primary(20_000)).toBe(a);
  const b = await pair.start('b');
  await backupSynced(b);

  const ids: string[] = [];
  const answered = new Map<string, number>();
  for (let i = 0; i < 5; i++) {
    const started = await post(a.url, '/scxml/session/start?src=kept.json');
    expect(started.status, started.body).toBe(200);
    const id = (JSON.parse(started.body) as { sessionid: string }).sessionid;
    ids.push(id);
    answered.set(id, 0);
  }
  const bumpAll = async (proc: HaProcess, times: number) => {
    const latencies: number[] = [];
    for (let n = 0; n < times; n++) {
      for (const id of ids) {
        const answer = await post(proc.url, `/scxml/session/${id}/event/bump`);
        expect(answer.status, `${id}: ${answer.body}`).toBe(200);
        answered.set(id, answered.get(id)! + 1);
        latencies.push(answer.ms);
      }
    }
    return latencies;
  };
  await bumpAll(a, 2);

  await server.stop();
  // Let the runtimes' driver see the outage before the events that must survive it.
  await new Promise((r) => setTimeout(r, 1000));
  const duringOutage = await bumpAll(a, 3);
  console.log(`hot standby: ${duringOutage.length} events answered during the outage, slowest ${Math.round(Math.max(...duringOutage))} ms`);

  a.signal('SIGKILL');
  await a.exit();
  const promoted = await pair.primary(20_000);
  expect(promoted).toBe(b);
  for (const id of ids) {
    expect(await waitUntil(() => bumps(b, id), { what: `${id} on the new primary`, timeoutMs: 20_000 }), `${id}: every answered event`).toBe(answered.get(id));
  }

  // A runtime started while Cassandra is down waits for it instead of exiting, then
  // becomes the new backup; its confirmations keep the new primary answering.
  const c = new Promise<HaProcess>((resolve, reject) => {
    pair!.start('c').then(resolve, reject);
  });
  await new Promise((r) => setTimeout(r, 5000));
  const restarted = pair.processes.find((p) => p.name === 'c')!;
  expect(restarted.exited, restarted.stderr).toBe(false);
  expect(restarted.stderr).toMatch(/Cassandra unreachable while opening the session store/);

  await server.start();
  const backup = await c;
  await backupSynced(backup);
  await bumpAll(b, 1);

  // The store catches up: a fresh reader sees every answered event.
  const reader = new CassandraSessionStore({ ...config, keyspace });
  stores.push(reader);
  await reader.open();
  for (const id of ids) {
    await waitUntil(async () => {
      const stored = await reader.load('node-0', id);
      const events = (stored?.snapshot as { data?: { events?: string[] } } | undefined)?.data?.events ?? [];
      return events.filter((e) => e === 'bump').length === answered.get(id) ? true : undefined;
    }, { what: `${id} in Cassandra with ${answered.get(id)} events`, timeoutMs: 60_000 });
  }
}, 300_000);

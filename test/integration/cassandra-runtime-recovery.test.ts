// A runtime restart recovering its sessions from Cassandra: a real `ors runtime` process
// (file lease, session-store=cassandra, the real SCXML engine) runs persisted sessions, is
// killed with SIGKILL, and a new runtime process of the same node takes the lease, fences
// the store with its newer epoch and brings every session back with its data from
// Cassandra, raising session.recovered; the sessions carry on there.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, inject, test } from 'vitest';
import { CassandraSessionStore } from '../../runtime/store/cassandra-store.ts';
import { sharedCassandra } from '../infra/shared-cassandra.ts';

const root = path.resolve(import.meta.dirname, '../..');
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

const COUNTER = `<?xml version="1.0" encoding="UTF-8"?>
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="counting"
       _persist="true" _sendSessionRecovered="true">
  <datamodel>
    <data id="caller" _type="parameter" expr="'unknown'"/>
    <data id="count" expr="0"/>
    <data id="recovered" expr="0"/>
  </datamodel>
  <state id="counting">
    <transition event="bump"><assign location="count" expr="count + 1"/></transition>
    <transition event="session.recovered"><assign location="recovered" expr="recovered + 1"/></transition>
  </state>
</scxml>
`;

interface Runtime {
  child: ChildProcess;
  url: string;
  log: () => string;
}

async function startRuntime(env: Record<string, string>, identity: string): Promise<Runtime> {
  const child = spawn(path.join(root, 'node_modules/.bin/node'), [path.join(root, 'runtime/cli/ors.ts'), 'runtime'], {
    env: { ...process.env, ORS_AUTH: 'none', ...env, ORS_IDENTITY: identity },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`ors runtime exited (${code}) before listening:\n${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
  });
  return { child, url, log: () => output };
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function post(url: string, body: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
  });
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

async function datamodel(base: string, id: string): Promise<Record<string, unknown> | undefined> {
  const response = await fetch(`${base}/scxml/session/${id}/query`);
  if (response.status !== 200) return undefined;
  return ((await response.json()) as { datamodel: Record<string, unknown> }).datamodel;
}

const primary = (runtime: Runtime) =>
  until(async () => ((await fetch(`${runtime.url}/heartbeat`)).status === 200 ? true : undefined), `${runtime.url} to be primary`);

test('kill -9 of the runtime: the restarted runtime recovers its persisted sessions from Cassandra', async () => {
  const endpoint = await sharedCassandra(inject('cassandraRunDir'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-cassandra-runtime-'));
  await writeFile(path.join(dir, 'counter.scxml'), COUNTER);
  const keyspace = `ors_runtime_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
  const env = {
    ORS_NODE_ID: 'node-0',
    ORS_HTTP_PORT: '0',
    ORS_SYNC_PORT: '0',
    ORS_LEASE: 'file',
    ORS_LEASE_DIR: path.join(dir, 'lease'),
    ORS_LEASE_DURATION: '1500',
    ORS_LEASE_RENEW_DEADLINE: '1000',
    ORS_LEASE_RETRY_PERIOD: '150',
    ORS_SYNC_KEY: 'test sync key, shared by the pair',
    ORS_STRATEGIES_DIR: dir,
    ORS_LOG_LEVEL: 'warn',
    ORS_SESSION_STORE: 'cassandra',
    ORS_CASSANDRA_CONTACT_POINTS: endpoint.contactPoint,
    ORS_CASSANDRA_LOCAL_DATA_CENTER: endpoint.localDataCenter,
    ORS_CASSANDRA_KEYSPACE: keyspace,
    ORS_CASSANDRA_REPLICATION: `${endpoint.localDataCenter}=1`,
  };

  const first = await startRuntime(env, 'first');
  await primary(first);
  const sessions: { id: string; bumps: number; caller: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const caller = `555-000${i}`;
    const started = await post(`${first.url}/scxml/session/start`, { src: 'counter.scxml', caller });
    sessions.push({ id: started.sessionid as string, bumps: i + 2, caller });
  }
  for (const s of sessions) {
    for (let n = 0; n < s.bumps; n++) await post(`${first.url}/scxml/session/${s.id}/event/bump`);
  }
  for (const s of sessions) {
    await until(async () => ((await datamodel(first.url, s.id))?.count === s.bumps ? true : undefined), 'events processed');
  }

  // Wait until Cassandra holds each session's latest state (persistence is asynchronous).
  const reader = new CassandraSessionStore({
    contactPoints: [endpoint.contactPoint],
    localDataCenter: endpoint.localDataCenter,
    keyspace,
    replication: { class: 'NetworkTopologyStrategy', dataCenters: { [endpoint.localDataCenter]: 1 } },
  });
  await until(async () => {
    try {
      await reader.open();
    } catch {
      return undefined;
    }
    return true;
  }, 'the keyspace');
  try {
    for (const s of sessions) {
      let last = '';
      await until(async () => {
        const stored = await reader.load('node-0', s.id);
        last = JSON.stringify(stored);
        return stored && JSON.stringify(stored.snapshot).includes(`"count":${s.bumps}`) ? true : undefined;
      }, `session ${s.id} persisted with count ${s.bumps}`, 60_000).catch((error: Error) => {
        throw new Error(`${error.message}; last stored: ${last.slice(0, 2000)}\nruntime log:\n${first.log().slice(-4000)}`);
      });
    }

    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await startRuntime(env, 'second');
    await primary(second);
    for (const s of sessions) {
      const recovered = await until(
        async () => ((await datamodel(second.url, s.id))?.recovered === 1 ? datamodel(second.url, s.id) : undefined),
        `session ${s.id} recovered on the new runtime\n${second.log()}`,
      );
      expect(recovered).toMatchObject({ count: s.bumps, caller: s.caller, recovered: 1 });
    }

    // The recovered sessions carry on, and their new state is saved under the new epoch.
    const s = sessions[0]!;
    await post(`${second.url}/scxml/session/${s.id}/event/bump`);
    await until(async () => ((await datamodel(second.url, s.id))?.count === s.bumps + 1 ? true : undefined), 'the bump');
    const stored = await until(async () => {
      const found = await reader.load('node-0', s.id);
      return found && JSON.stringify(found.snapshot).includes(`"count":${s.bumps + 1}`) ? found : undefined;
    }, 'the new state in Cassandra');
    expect(stored.epoch).toBeGreaterThan(1);
    // The store's figures are on the runtime's /metrics.
    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    expect(metrics).toMatch(/^ors_cassandra_latency_milliseconds\{[^}]*\} \d/m);
    expect(metrics).toMatch(/^ors_cassandra_available\{[^}]*\} 1$/m);
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
  } finally {
    await reader.close();
  }
}, 240_000);

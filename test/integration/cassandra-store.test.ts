// The Cassandra session store against the real Cassandra of the test servers: the shared
// store contract, plus what only Cassandra has (schema migrations, partition layout, TTL of
// terminated sessions, metrics).
import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { CassandraSessionStore } from '../../runtime/store/cassandra-store.ts';
import type { CassandraStoreConfigInput } from '../../runtime/store/cassandra-store-config.ts';
import { bucketOf, LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from '../../runtime/store/cassandra-schema.ts';
import type { CassandraEndpoint } from '../infra/cassandra.ts';
import { sharedCassandra } from '../infra/shared-cassandra.ts';
import { describeSessionStoreContract, session } from '../contracts/session-store-contract.ts';

function configFor(endpoint: CassandraEndpoint, keyspace: string, extra: Partial<CassandraStoreConfigInput> = {}): CassandraStoreConfigInput {
  return {
    contactPoints: [endpoint.contactPoint],
    localDataCenter: endpoint.localDataCenter,
    keyspace,
    replication: { class: 'NetworkTopologyStrategy', dataCenters: { [endpoint.localDataCenter]: 1 } },
    ...extra,
  };
}

const keyspaceName = (tag: string) => `ors_${tag}_${randomUUID().replaceAll('-', '').slice(0, 10)}`;

// Each contract test gets a fresh store: a new keyspace on the shared server.
describeSessionStoreContract(
  'cassandra',
  async () => {
    const endpoint = await sharedCassandra(inject('cassandraRunDir'));
    const store = new CassandraSessionStore(configFor(endpoint, keyspaceName('contract')));
    await store.open();
    return store;
  },
  {
    reopen: async (store) => {
      const other = new CassandraSessionStore((store as CassandraSessionStore).config);
      await other.open();
      return other;
    },
  },
);

let sessionCounter = 0;
const sampleSession = () => session({ sessionId: `s-${++sessionCounter}-${randomUUID()}` });

describe('Cassandra session store specifics', () => {
  let endpoint: CassandraEndpoint;
  let cql: cassandra.Client;
  const stores: CassandraSessionStore[] = [];

  async function openStore(keyspace: string, extra: Partial<CassandraStoreConfigInput> = {}, registry?: Registry) {
    const store = new CassandraSessionStore(configFor(endpoint, keyspace, extra), registry ? { registry } : {});
    stores.push(store);
    await store.open();
    return store;
  }

  beforeAll(async () => {
    endpoint = await sharedCassandra(inject('cassandraRunDir'));
    cql = new cassandra.Client({
      contactPoints: [endpoint.contactPoint],
      localDataCenter: endpoint.localDataCenter,
      queryOptions: { prepare: true },
    });
    await cql.connect();
  });

  afterAll(async () => {
    for (const s of stores) await s.close();
    await cql?.shutdown();
  });

  test('open creates the keyspace with the configured replication and records the schema version', async () => {
    const keyspace = keyspaceName('schema');
    const store = await openStore(keyspace);
    const ks = (await cql.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace])).first();
    expect(ks.get('replication')).toEqual({
      class: 'org.apache.cassandra.locator.NetworkTopologyStrategy',
      [endpoint.localDataCenter]: '1',
    });
    const versions = await cql.execute(`SELECT version, description FROM ${keyspace}.schema_migrations`);
    expect(versions.rows.map((r) => r.get('version'))).toEqual([LATEST_SCHEMA_VERSION]);
    expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    // A second runtime opening the same keyspace migrates nothing and agrees on the layout.
    const again = await openStore(keyspace, { bucketsPerNode: 4 });
    const s = sampleSession();
    await again.save(s);
    expect(await store.load(s.nodeId, s.sessionId)).toEqual(s);
  });

  test('a newer runtime migrates an existing keyspace on open, keeping its data and history', async () => {
    const keyspace = keyspaceName('migrate');
    const v1 = await openStore(keyspace);
    const s = sampleSession();
    await v1.save(s);
    const before = await cql.execute(`SELECT version, applied_at FROM ${keyspace}.schema_migrations`);
    const next: Migration = {
      version: LATEST_SCHEMA_VERSION + 1,
      description: 'a later release adds a column',
      statements: (ks) => [`ALTER TABLE ${ks}.sessions ADD priority int`],
    };
    const newer = new CassandraSessionStore(configFor(endpoint, keyspace), { migrations: [...MIGRATIONS, next] });
    stores.push(newer);
    await newer.open();
    expect(await newer.schemaVersion()).toBe(next.version);
    const after = await cql.execute(`SELECT version, applied_at FROM ${keyspace}.schema_migrations`);
    expect(after.rows.map((r) => r.get('version')).sort()).toEqual([...before.rows.map((r) => r.get('version')), next.version].sort());
    const first = after.rows.find((r) => r.get('version') === LATEST_SCHEMA_VERSION)!;
    expect(first.get('applied_at')).toEqual(before.first().get('applied_at'));
    const columns = await cql.execute(
      'SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
      [keyspace, 'sessions'],
    );
    expect(columns.rows.map((r) => r.get('column_name'))).toContain('priority');
    expect(await newer.load(s.nodeId, s.sessionId)).toEqual(s);
  });

  test('a changed replication setting is applied to an existing keyspace', async () => {
    const keyspace = keyspaceName('alter');
    await openStore(keyspace, { replication: { class: 'SimpleStrategy', replicationFactor: 1 } });
    await openStore(keyspace);
    const ks = (await cql.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace])).first();
    expect(ks.get('replication').class).toBe('org.apache.cassandra.locator.NetworkTopologyStrategy');
  });

  test('sessions are partitioned by (node, bucket of the session id), each partition fenced', async () => {
    const keyspace = keyspaceName('layout');
    const store = await openStore(keyspace, { bucketsPerNode: 8 });
    const s = session({ sessionId: `s-${randomUUID()}`, nodeId: 'node-3', epoch: 2 });
    await store.save(s);
    const rows = await cql.execute(
      `SELECT bucket, session_id, fence_epoch, version FROM ${keyspace}.sessions WHERE node_id = ? AND bucket = ?`,
      ['node-3', bucketOf(s.sessionId, 8)],
    );
    expect(rows.rows.map((r) => [r.get('session_id'), Number(r.get('fence_epoch')), Number(r.get('version'))])).toEqual([
      [s.sessionId, 2, 1],
    ]);
    const fences = await cql.execute(`SELECT DISTINCT node_id, bucket, fence_epoch FROM ${keyspace}.sessions`);
    expect(fences.rows).toHaveLength(8);
    expect(new Set(fences.rows.map((r) => Number(r.get('fence_epoch'))))).toEqual(new Set([2]));
  });

  test('listByNode pages through a partition larger than a page', async () => {
    const store = await openStore(keyspaceName('paging'), { bucketsPerNode: 2, listPageSize: 5 });
    const saved = Array.from({ length: 23 }, () => sampleSession());
    await Promise.all(saved.map((s) => store.save(s)));
    await store.delete(saved[3]!.nodeId, saved[3]!.sessionId, 1);
    const listed: string[] = [];
    for await (const s of store.listByNode(saved[0]!.nodeId)) listed.push(s.sessionId);
    expect(listed.sort()).toEqual(saved.filter((_, i) => i !== 3).map((s) => s.sessionId).sort());
  });

  test('a terminated session leaves a marker that expires with the TTL, and no late write revives it', async () => {
    const keyspace = keyspaceName('ttl');
    const store = await openStore(keyspace, { terminatedTtlSeconds: 2 });
    const s = sampleSession();
    await store.save(s);
    await store.delete(s.nodeId, s.sessionId, s.epoch);
    expect(await store.load(s.nodeId, s.sessionId)).toBeUndefined();
    const marker = await cql.execute(
      `SELECT terminated, TTL(terminated) AS ttl FROM ${keyspace}.sessions WHERE node_id = ? AND bucket = ? AND session_id = ?`,
      [s.nodeId, bucketOf(s.sessionId, 16), s.sessionId],
    );
    expect(marker.first().get('terminated')).toBe(true);
    expect(marker.first().get('ttl')).toBeGreaterThan(0);
    expect(marker.first().get('ttl')).toBeLessThanOrEqual(2);
    // A write that was delayed (e.g. retried from a backlog) arrives after the termination.
    await store.save({ ...s, version: 5 });
    expect(await store.load(s.nodeId, s.sessionId)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 3000));
    const after = await cql.execute(
      `SELECT session_id FROM ${keyspace}.sessions WHERE node_id = ? AND bucket = ? AND session_id = ?`,
      [s.nodeId, bucketOf(s.sessionId, 16), s.sessionId],
    );
    expect(after.rows).toHaveLength(0);
  });

  test('with terminatedTtlSeconds 0 a delete removes the row at once', async () => {
    const keyspace = keyspaceName('del');
    const store = await openStore(keyspace, { terminatedTtlSeconds: 0 });
    const s = sampleSession();
    await store.save(s);
    await store.delete(s.nodeId, s.sessionId, s.epoch);
    const rows = await cql.execute(
      `SELECT session_id FROM ${keyspace}.sessions WHERE node_id = ? AND bucket = ? AND session_id = ?`,
      [s.nodeId, bucketOf(s.sessionId, 16), s.sessionId],
    );
    expect(rows.rows).toHaveLength(0);
  });

  test('live sessions get the session TTL when one is configured', async () => {
    const keyspace = keyspaceName('livettl');
    const store = await openStore(keyspace, { sessionTtlSeconds: 600 });
    const s = sampleSession();
    await store.save(s);
    const row = await cql.execute(
      `SELECT TTL(snapshot) AS ttl FROM ${keyspace}.sessions WHERE node_id = ? AND bucket = ? AND session_id = ?`,
      [s.nodeId, bucketOf(s.sessionId, 16), s.sessionId],
    );
    expect(row.first().get('ttl')).toBeGreaterThan(590);
  });

  test('health and metrics report the cassandra-latency figure and the backlog', async () => {
    const registry = new Registry();
    const store = await openStore(keyspaceName('metrics'), {}, registry);
    await store.save(sampleSession());
    const health = store.health();
    expect(health.available).toBe(true);
    expect(health.pending).toBe(0);
    expect(health['cassandra-latency']).toBeGreaterThan(0);
    const text = await registry.metrics();
    expect(text).toMatch(/^ors_cassandra_latency_milliseconds \d/m);
    expect(text).toMatch(/^ors_cassandra_available 1$/m);
    expect(text).toMatch(/^ors_cassandra_write_duration_seconds_count 1$/m);
    expect(text).toMatch(/^ors_cassandra_shed_writes_total 0$/m);
  });

  test('an invalid configuration is refused with the field named', () => {
    expect(() => new CassandraSessionStore({ contactPoints: [], localDataCenter: 'dc1' })).toThrow(/contactPoints/);
    expect(() => new CassandraSessionStore({ contactPoints: ['x'], localDataCenter: 'dc1', keyspace: 'bad-name' })).toThrow(/keyspace/);
  });
});

import { describe, expect, test } from 'vitest';
import {
  alterKeyspaceCql,
  bucketOf,
  createKeyspaceCql,
  MIGRATIONS,
  pendingMigrations,
  replicationMap,
  sameReplication,
} from '../../../runtime/store/cassandra-schema.ts';
import { CassandraStoreConfigSchema, effectiveReplication } from '../../../runtime/store/cassandra-store-config.ts';

describe('Cassandra schema', () => {
  test('keyspace CQL carries the replication, NetworkTopologyStrategy with several data centers', () => {
    expect(createKeyspaceCql('ors', { class: 'NetworkTopologyStrategy', dataCenters: { east: 3, west: 2 } })).toBe(
      "CREATE KEYSPACE IF NOT EXISTS ors WITH replication = {'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', 'east': '3', 'west': '2'}",
    );
    expect(alterKeyspaceCql('ors', { class: 'SimpleStrategy', replicationFactor: 1 })).toBe(
      "ALTER KEYSPACE ors WITH replication = {'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '1'}",
    );
  });

  test('compares the replication system_schema reports with the wanted one', () => {
    const wanted = { class: 'NetworkTopologyStrategy' as const, dataCenters: { dc1: 3 } };
    expect(sameReplication({ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', dc1: '3' }, wanted)).toBe(true);
    expect(sameReplication({ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', dc1: '1' }, wanted)).toBe(false);
    expect(sameReplication({ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', dc1: '3', dc2: '3' }, wanted)).toBe(false);
    expect(sameReplication({ class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '3' }, wanted)).toBe(false);
    expect(replicationMap({ class: 'SimpleStrategy', replicationFactor: 2 }).replication_factor).toBe('2');
  });

  test('pending migrations are the unapplied ones, in version order', () => {
    const all = [
      { version: 2, description: 'b', statements: () => [] },
      { version: 1, description: 'a', statements: () => [] },
      { version: 3, description: 'c', statements: () => [] },
    ];
    expect(pendingMigrations([], all).map((m) => m.version)).toEqual([1, 2, 3]);
    expect(pendingMigrations([1, 3], all).map((m) => m.version)).toEqual([2]);
    expect(pendingMigrations(MIGRATIONS.map((m) => m.version))).toEqual([]);
  });

  test('migration statements name the keyspace and create the fenced sessions table', () => {
    const cql = MIGRATIONS[0]!.statements('ks1').join('\n');
    expect(cql).toContain('CREATE TABLE IF NOT EXISTS ks1.sessions');
    expect(cql).toMatch(/fence_epoch bigint static/);
    expect(cql).toMatch(/PRIMARY KEY \(\(node_id, bucket\), session_id\)/);
  });

  test('bucketOf is stable, in range and spreads session ids', () => {
    expect(bucketOf('abc', 16)).toBe(bucketOf('abc', 16));
    // FNV-1a of "a" is 0xe40c292c: a fixed value, so every runtime computes the same bucket.
    expect(bucketOf('a', 0x100000000)).toBe(0xe40c292c);
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[bucketOf(`session-${i}`, 16)]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});

describe('Cassandra store configuration', () => {
  test('defaults: keyspace ors, LOCAL_QUORUM, 16 buckets, NetworkTopologyStrategy with 3 local replicas', () => {
    const config = CassandraStoreConfigSchema.parse({ contactPoints: ['cassandra-0:9042'], localDataCenter: 'dc1' });
    expect(config).toMatchObject({
      keyspace: 'ors',
      consistency: 'LOCAL_QUORUM',
      serialConsistency: 'LOCAL_SERIAL',
      bucketsPerNode: 16,
      terminatedTtlSeconds: 3600,
      sessionTtlSeconds: 0,
      maxPendingWrites: 10_000,
    });
    expect(effectiveReplication(config)).toEqual({ class: 'NetworkTopologyStrategy', dataCenters: { dc1: 3 } });
  });

  test('refuses bad values with the field named', () => {
    const bad = (input: object) => {
      const r = CassandraStoreConfigSchema.safeParse({ contactPoints: ['c'], localDataCenter: 'dc1', ...input });
      return r.success ? 'accepted' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    expect(bad({ consistency: 'MOST' })).toMatch(/^consistency:/);
    expect(bad({ keyspace: 'drop table' })).toMatch(/^keyspace:/);
    expect(bad({ replication: { class: 'NetworkTopologyStrategy', dataCenters: {} } })).toMatch(/replication.dataCenters: name at least one/);
    expect(bad({ tls: { certFile: '/c.pem' } })).toMatch(/^tls: tls.certFile and tls.keyFile go together/);
    expect(bad({ auth: { username: 'ors', password: 'secret' }, tls: { caFile: '/ca.pem' } })).toBe('accepted');
  });
});

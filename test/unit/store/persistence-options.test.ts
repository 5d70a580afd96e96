import { describe, expect, test } from 'vitest';
import { PersistenceOptionsSchema, persistenceStoreConfig } from '../../../runtime/store/persistence-options.ts';
import { createSessionStore } from '../../../runtime/store/create-session-store.ts';
import { CassandraSessionStore } from '../../../runtime/store/cassandra-store.ts';

describe('persistence options', () => {
  test('strings from the environment or flags become the Cassandra store configuration', () => {
    const options = PersistenceOptionsSchema.parse({
      persistence: 'cassandra',
      'cassandra-contact-points': 'cassandra-0.cassandra:9042, cassandra-1.cassandra:9042',
      'cassandra-local-dc': 'east',
      'cassandra-replication': 'east=3,west=2',
      'cassandra-terminated-ttl': '600',
      'cassandra-username': 'ors',
      'cassandra-password': 'secret',
      'cassandra-tls': 'true',
      'cassandra-tls-ca-file': '/etc/ors/ca.pem',
    });
    expect(persistenceStoreConfig(options)).toMatchObject({
      kind: 'cassandra',
      contactPoints: ['cassandra-0.cassandra:9042', 'cassandra-1.cassandra:9042'],
      localDataCenter: 'east',
      keyspace: 'ors',
      replication: { class: 'NetworkTopologyStrategy', dataCenters: { east: 3, west: 2 } },
      consistency: 'LOCAL_QUORUM',
      terminatedTtlSeconds: 600,
      auth: { username: 'ors', password: 'secret' },
      tls: { caFile: '/etc/ors/ca.pem', rejectUnauthorized: true },
    });
  });

  test('names the missing or bad option', () => {
    expect(() => persistenceStoreConfig(PersistenceOptionsSchema.parse({ persistence: 'cassandra' }))).toThrow(
      'persistence=cassandra needs cassandra-contact-points and cassandra-local-dc',
    );
    expect(() => persistenceStoreConfig(PersistenceOptionsSchema.parse({ persistence: 'file' }))).toThrow(/persistence-dir/);
    expect(PersistenceOptionsSchema.safeParse({ 'cassandra-replication': 'east=three' }).success).toBe(false);
    expect(() =>
      persistenceStoreConfig(
        PersistenceOptionsSchema.parse({
          persistence: 'cassandra',
          'cassandra-contact-points': 'c',
          'cassandra-local-dc': 'dc1',
          'cassandra-keyspace': 'no-dashes',
        }),
      ),
    ).toThrow(/keyspace/);
    expect(persistenceStoreConfig(PersistenceOptionsSchema.parse({}))).toEqual({ kind: 'none' });
  });

  test('createSessionStore builds a Cassandra store from its configuration (without connecting)', async () => {
    const store = createSessionStore({ kind: 'cassandra', contactPoints: ['127.0.0.1:1'], localDataCenter: 'dc1' });
    expect(store).toBeInstanceOf(CassandraSessionStore);
    await store.close();
  });
});

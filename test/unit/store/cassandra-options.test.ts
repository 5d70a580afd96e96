import { describe, expect, test } from 'vitest';
import { CassandraOptionsSchema, cassandraStoreConfigFromOptions } from '../../../runtime/store/cassandra-options.ts';
import { createSessionStore } from '../../../runtime/store/create-session-store.ts';
import { optionsFromEnv, resolveConfig } from '../../../runtime/config/load-config.ts';
import { withPodEnvironment } from '../../../runtime/ha/pod-environment.ts';
import { CassandraSessionStore } from '../../../runtime/store/cassandra-store.ts';

describe('Cassandra options', () => {
  test('strings from the environment or flags become the Cassandra store configuration', () => {
    const options = CassandraOptionsSchema.parse({
      'cassandra-contact-points': 'cassandra-0.cassandra:9042, cassandra-1.cassandra:9042',
      'cassandra-local-data-center': 'east',
      'cassandra-replication': 'east=3,west=2',
      'cassandra-terminated-ttl': '600',
      'cassandra-username': 'ors',
      'cassandra-password': 'secret',
      'cassandra-tls': 'true',
      'cassandra-tls-ca-file': '/etc/ors/ca.pem',
    });
    expect(cassandraStoreConfigFromOptions(options)).toMatchObject({
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
    expect(() => cassandraStoreConfigFromOptions(CassandraOptionsSchema.parse({}))).toThrow(
      'session-store=cassandra needs cassandra-contact-points and cassandra-local-data-center',
    );
    expect(CassandraOptionsSchema.safeParse({ 'cassandra-replication': 'east=three' }).success).toBe(false);
    expect(() =>
      cassandraStoreConfigFromOptions(
        CassandraOptionsSchema.parse({
          'cassandra-contact-points': 'c',
          'cassandra-local-data-center': 'dc1',
          'cassandra-keyspace': 'no-dashes',
        }),
      ),
    ).toThrow(/keyspace/);
  });

  test('createSessionStore builds a Cassandra store from its configuration (without connecting)', async () => {
    const store = createSessionStore({ kind: 'cassandra', contactPoints: ['127.0.0.1:1'], localDataCenter: 'dc1' });
    expect(store).toBeInstanceOf(CassandraSessionStore);
    await store.close();
  });
});

describe('Cassandra options in the runtime configuration', () => {
  test('come from ORS_CASSANDRA_* variables, and ORS_PERSISTENCE=cassandra selects the store in a pod', () => {
    const config = resolveConfig({
      env: optionsFromEnv({
        ORS_CASSANDRA_CONTACT_POINTS: 'cassandra-0.db,cassandra-1.db:9142',
        ORS_CASSANDRA_PORT: '9043',
        ORS_CASSANDRA_LOCAL_DATA_CENTER: 'dc1',
        ORS_CASSANDRA_REPLICATION: 'dc1=3',
      }),
    });
    const pod = withPodEnvironment(config, { ORS_LEASE_NAME: 'ors-node-0', ORS_POD_NAME: 'ors-node-0-0', ORS_PERSISTENCE: 'cassandra' });
    expect(pod['session-store']).toBe('cassandra');
    expect(cassandraStoreConfigFromOptions(pod)).toMatchObject({
      contactPoints: ['cassandra-0.db:9043', 'cassandra-1.db:9142'],
      localDataCenter: 'dc1',
      replication: { class: 'NetworkTopologyStrategy', dataCenters: { dc1: 3 } },
    });
  });
});

// The Cassandra of the test servers is real: a CQL round trip through cassandra-driver.
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { sharedCassandra } from '../infra/shared-cassandra.ts';

let client: cassandra.Client;

beforeAll(async () => {
  const endpoint = await sharedCassandra(inject('cassandraRunDir'));
  client = new cassandra.Client({ contactPoints: [endpoint.contactPoint], localDataCenter: endpoint.localDataCenter });
  await client.connect();
});

afterAll(async () => {
  await client?.shutdown();
});

test('a CQL round trip: create, write and read back a row', async () => {
  const version = await client.execute('SELECT release_version FROM system.local');
  expect(version.first().get('release_version')).toMatch(/^5\.0\./);
  await client.execute(
    "CREATE KEYSPACE IF NOT EXISTS smoke WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
  );
  await client.execute('CREATE TABLE IF NOT EXISTS smoke.kv (k text PRIMARY KEY, v int)');
  await client.execute('INSERT INTO smoke.kv (k, v) VALUES (?, ?)', ['answer', 42], { prepare: true });
  const row = (await client.execute('SELECT v FROM smoke.kv WHERE k = ?', ['answer'], { prepare: true })).first();
  expect(row.get('v')).toBe(42);
});

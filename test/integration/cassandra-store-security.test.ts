// The store's authentication and TLS options against a Cassandra that requires both:
// PasswordAuthenticator and client encryption only (no plain CQL).
import { readFileSync } from 'node:fs';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CassandraSessionStore } from '../../runtime/store/cassandra-store.ts';
import type { CassandraStoreConfigInput } from '../../runtime/store/cassandra-store-config.ts';
import { CassandraServer, type CassandraEndpoint } from '../infra/cassandra.ts';
import { makeTestCertificates, type TestCertificates } from '../infra/test-certificates.ts';
import { session } from '../contracts/session-store-contract.ts';

let certs: TestCertificates;
let server: CassandraServer;
let endpoint: CassandraEndpoint;

beforeAll(async () => {
  certs = makeTestCertificates();
  server = new CassandraServer({ passwordAuth: true, clientTls: { keystore: certs.serverKeystore, password: certs.keystorePassword } });
  endpoint = await server.start();
  // The default superuser appears shortly after start-up; create the runtime's own role.
  const admin = new cassandra.Client({
    contactPoints: [endpoint.contactPoint],
    localDataCenter: endpoint.localDataCenter,
    credentials: { username: 'cassandra', password: 'cassandra' },
    sslOptions: { ca: [readFileSync(certs.caCert)] },
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await admin.connect();
      await admin.execute("CREATE ROLE IF NOT EXISTS ors WITH PASSWORD = 'ors-secret' AND LOGIN = true");
      await admin.execute("CREATE KEYSPACE IF NOT EXISTS ors_secure WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}");
      await admin.execute('GRANT ALL PERMISSIONS ON KEYSPACE ors_secure TO ors');
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  await admin.shutdown();
}, 300_000);

afterAll(async () => {
  await server?.stop();
});

function config(extra: Partial<CassandraStoreConfigInput>): CassandraStoreConfigInput {
  return {
    contactPoints: [endpoint.contactPoint],
    localDataCenter: endpoint.localDataCenter,
    keyspace: 'ors_secure',
    replication: { class: 'NetworkTopologyStrategy', dataCenters: { [endpoint.localDataCenter]: 1 } },
    ...extra,
  };
}

test('with credentials and the CA, the store works over TLS', async () => {
  const store = new CassandraSessionStore(
    config({ auth: { username: 'ors', password: 'ors-secret' }, tls: { caFile: certs.caCert } }),
  );
  try {
    await store.open();
    const s = session();
    await store.save(s);
    expect(await store.load(s.nodeId, s.sessionId)).toEqual(s);
  } finally {
    await store.close();
  }
});

test('a wrong password is refused at open with an authentication error', async () => {
  const store = new CassandraSessionStore(config({ auth: { username: 'ors', password: 'wrong' }, tls: { caFile: certs.caCert } }));
  await expect(store.open()).rejects.toThrow(/Provided username ors and\/or password are incorrect|authentication/i);
  await store.close();
});

test('a server certificate not signed by the configured CA is refused', async () => {
  const other = makeTestCertificates('someone-else');
  const store = new CassandraSessionStore(config({ auth: { username: 'ors', password: 'ors-secret' }, tls: { caFile: other.caCert } }));
  await expect(store.open()).rejects.toThrow(/certificate|self.signed|All host\(s\) tried/i);
  await store.close();
});

test('without TLS the server is not reachable (client encryption is required)', async () => {
  const store = new CassandraSessionStore(config({ auth: { username: 'ors', password: 'ors-secret' } }));
  await expect(store.open()).rejects.toThrow();
  await store.close();
});

// Two data centers (one node each, on 127.0.0.1 and 127.0.0.2): the keyspace replicates to
// both with NetworkTopologyStrategy, each runtime's store talks only to its local data
// center, what one saves the other reads, and with SERIAL Paxos a primary in one data
// center fences a deposed one in the other.
import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CassandraSessionStore } from '../../runtime/store/cassandra-store.ts';
import type { CassandraStoreConfigInput } from '../../runtime/store/cassandra-store-config.ts';
import { StaleEpochError } from '../../runtime/store/session-store.ts';
import { CassandraServer, freePort, type CassandraEndpoint } from '../infra/cassandra.ts';
import { session } from '../contracts/session-store-contract.ts';

const servers: CassandraServer[] = [];
const stores: CassandraSessionStore[] = [];
let east: CassandraEndpoint;
let west: CassandraEndpoint;

beforeAll(async () => {
  const nativePort = await freePort();
  const storagePort = await freePort();
  const member = (address: string, dataCenter: string, initialToken: string) =>
    new CassandraServer({
      heap: '512m',
      cluster: { address, dataCenter, seedAddress: '127.0.0.1', nativePort, storagePort, initialToken },
    });
  const seed = member('127.0.0.1', 'east', '-4611686018427387904');
  servers.push(seed);
  east = await seed.start();
  const second = member('127.0.0.2', 'west', '4611686018427387904');
  servers.push(second);
  west = await second.start();
  // Wait until the seed sees the second node as a peer.
  const client = new cassandra.Client({ contactPoints: [east.contactPoint], localDataCenter: 'east' });
  await client.connect();
  const deadline = Date.now() + 120_000;
  while ((await client.execute('SELECT peer FROM system.peers_v2')).rowLength < 1) {
    if (Date.now() > deadline) throw new Error('the two Cassandra nodes did not see each other');
    await new Promise((r) => setTimeout(r, 500));
  }
  await client.shutdown();
}, 400_000);

afterAll(async () => {
  for (const store of stores) await store.close();
  for (const server of servers.reverse()) await server.stop();
});

async function openStore(endpoint: CassandraEndpoint, keyspace: string, extra: Partial<CassandraStoreConfigInput> = {}) {
  const store = new CassandraSessionStore({
    contactPoints: [endpoint.contactPoint],
    localDataCenter: endpoint.localDataCenter,
    keyspace,
    replication: { class: 'NetworkTopologyStrategy', dataCenters: { east: 1, west: 1 } },
    ...extra,
  });
  stores.push(store);
  await store.open();
  return store;
}

test('sessions replicate to both data centers; each store talks only to its local one; SERIAL fences across them', async () => {
  const keyspace = `ors_dc_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
  const inEast = await openStore(east, keyspace, { serialConsistency: 'SERIAL' });
  const inWest = await openStore(west, keyspace, { serialConsistency: 'SERIAL' });

  const s = session({ sessionId: `s-${randomUUID()}` });
  await inEast.save(s);
  const deadline = Date.now() + 10_000;
  while (!(await inWest.load(s.nodeId, s.sessionId))) {
    if (Date.now() > deadline) throw new Error('the session never reached the west data center');
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(await inWest.load(s.nodeId, s.sessionId)).toEqual(s);

  expect(inEast.connectedHosts()).toEqual([east.contactPoint]);
  expect(inWest.connectedHosts()).toEqual([west.contactPoint]);

  // The node's new primary runs in the west; the deposed one in the east is refused.
  await inWest.fence(s.nodeId, 2);
  await expect(inEast.save({ ...s, version: 2 })).rejects.toBeInstanceOf(StaleEpochError);
  await inWest.save({ ...s, epoch: 2, version: 2 });
  expect(await inWest.load(s.nodeId, s.sessionId)).toMatchObject({ epoch: 2, version: 2 });
});

// A runtime killed with SIGKILL while it writes: every save that was acknowledged (its
// promise resolved) is in Cassandra, and the restarted runtime recovers them all, fences
// the node with its new epoch and carries on writing.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { expect, inject, test } from 'vitest';
import { CassandraSessionStore } from '../../runtime/store/cassandra-store.ts';
import type { CassandraStoreConfigInput } from '../../runtime/store/cassandra-store-config.ts';
import { StaleEpochError, type StoredSession } from '../../runtime/store/session-store.ts';
import { sharedCassandra } from '../infra/shared-cassandra.ts';

const root = path.resolve(import.meta.dirname, '../..');

test('kill -9 of a writing runtime: the restarted one recovers every acknowledged session from Cassandra', async () => {
  const endpoint = await sharedCassandra(inject('cassandraRunDir'));
  const config: CassandraStoreConfigInput = {
    contactPoints: [endpoint.contactPoint],
    localDataCenter: endpoint.localDataCenter,
    keyspace: `ors_crash_${randomUUID().replaceAll('-', '').slice(0, 10)}`,
    replication: { class: 'NetworkTopologyStrategy', dataCenters: { [endpoint.localDataCenter]: 1 } },
  };
  const child = spawn(
    path.join(root, 'node_modules/.bin/node'),
    [path.join(root, 'test/integration/fixtures/cassandra-store-writer.ts'), JSON.stringify(config)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const acked = new Map<string, number>();
  let acks = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const [word, sessionId, version] = line.split(' ');
      if (word !== 'ack') return;
      acked.set(sessionId!, Math.max(acked.get(sessionId!) ?? 0, Number(version)));
      if (++acks === 300) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await exited;
  expect(acked.size).toBe(50);

  // The restarted runtime: a new process, a new lease epoch.
  const restarted = new CassandraSessionStore(config);
  await restarted.open();
  try {
    await restarted.fence('node-0', 2);
    const recovered = new Map<string, StoredSession>();
    for await (const s of restarted.listByNode('node-0')) recovered.set(s.sessionId, s);
    for (const [sessionId, version] of acked) {
      expect(recovered.get(sessionId)?.version, sessionId).toBeGreaterThanOrEqual(version);
    }
    // It carries on from what it recovered; the dead process's epoch is fenced off.
    const one = recovered.get('session-7')!;
    await restarted.save({ ...one, epoch: 2, version: one.version + 1, snapshot: { recovered: true } });
    expect(await restarted.load('node-0', 'session-7')).toMatchObject({ epoch: 2, version: one.version + 1 });
    const zombie = new CassandraSessionStore(config);
    await zombie.open();
    await expect(zombie.save({ ...one, epoch: 1, version: one.version + 5 })).rejects.toBeInstanceOf(StaleEpochError);
    await zombie.close();
  } finally {
    await restarted.close();
  }
});

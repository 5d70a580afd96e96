// The SessionStore contract as one test suite, run against every implementation (memory,
// file, cassandra): call describeSessionStoreContract from a test file with a factory.
// Each test works on its own node ids, so one store (and one Cassandra keyspace) can serve
// the whole suite.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StaleEpochError, type SessionStore, type StoredSession } from '../../runtime/store/session-store.ts';

export interface StoreUnderTest {
  store: SessionStore;
  /** A second store over the same data (another process's view), e.g. to check fencing across instances. */
  reopen(): Promise<SessionStore>;
  cleanup?(): Promise<void>;
}

export function sampleSession(overrides: Partial<StoredSession> = {}): StoredSession {
  return {
    sessionId: `s-${randomUUID()}`,
    nodeId: 'node-0',
    epoch: 1,
    version: 1,
    savedAt: Date.now(),
    interactionId: `call-${randomUUID()}`,
    src: 'file:///strategies/route.scxml',
    snapshot: { configuration: ['routing'], datamodel: { queue: 'sales', attempts: 2, caller: { ani: '5551234' } } },
    ...overrides,
  };
}

async function collect(iterable: AsyncIterable<StoredSession>): Promise<StoredSession[]> {
  const out: StoredSession[] = [];
  for await (const s of iterable) out.push(s);
  return out;
}

export function describeSessionStoreContract(name: string, factory: () => Promise<StoreUnderTest>): void {
  describe(`SessionStore contract: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: SessionStore;
    const others: SessionStore[] = [];
    const node = () => `node-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      subject = await factory();
      store = subject.store;
      await store.open();
    });

    afterAll(async () => {
      for (const o of others) await o.close();
      await store?.close();
      await subject?.cleanup?.();
    });

    async function second(): Promise<SessionStore> {
      const other = await subject.reopen();
      await other.open();
      others.push(other);
      return other;
    }

    test('open is idempotent', async () => {
      await store.open();
    });

    test('save then load returns the same session', async () => {
      const s = sampleSession({ nodeId: node() });
      await store.save(s);
      expect(await store.load(s.nodeId, s.sessionId)).toEqual(s);
    });

    test('a session without an interaction id round-trips without one', async () => {
      const s = sampleSession({ nodeId: node() });
      delete s.interactionId;
      await store.save(s);
      const loaded = await store.load(s.nodeId, s.sessionId);
      expect(loaded).toEqual(s);
      expect(loaded).not.toHaveProperty('interactionId');
    });

    test('load of an unknown session is undefined', async () => {
      expect(await store.load(node(), 'no-such-session')).toBeUndefined();
    });

    test('a newer version replaces the stored one; an older one never does', async () => {
      const s = sampleSession({ nodeId: node(), version: 1 });
      await store.save(s);
      const v3 = { ...s, version: 3, snapshot: { step: 3 } };
      await store.save(v3);
      await store.save({ ...s, version: 2, snapshot: { step: 2 } });
      expect(await store.load(s.nodeId, s.sessionId)).toEqual(v3);
    });

    test('saving the same version twice (a retry) keeps it', async () => {
      const s = sampleSession({ nodeId: node() });
      await store.save(s);
      await store.save(s);
      expect(await store.load(s.nodeId, s.sessionId)).toEqual(s);
    });

    test('listByNode returns every session of that node and none of another', async () => {
      const mine = node();
      const theirs = node();
      const saved = Array.from({ length: 40 }, (_, i) => sampleSession({ nodeId: mine, version: i }));
      await Promise.all(saved.map((s) => store.save(s)));
      await store.save(sampleSession({ nodeId: theirs }));
      const listed = await collect(store.listByNode(mine));
      expect(listed.map((s) => s.sessionId).sort()).toEqual(saved.map((s) => s.sessionId).sort());
      expect(listed).toEqual(expect.arrayContaining(saved));
      expect(await collect(store.listByNode(node()))).toEqual([]);
    });

    test('delete removes a session from load and listByNode', async () => {
      const n = node();
      const keep = sampleSession({ nodeId: n });
      const gone = sampleSession({ nodeId: n });
      await store.save(keep);
      await store.save(gone);
      await store.delete(n, gone.sessionId, 1);
      expect(await store.load(n, gone.sessionId)).toBeUndefined();
      expect((await collect(store.listByNode(n))).map((s) => s.sessionId)).toEqual([keep.sessionId]);
    });

    test('deleting an unknown session is fine', async () => {
      await store.delete(node(), 'never-saved', 1);
    });

    test('after fence(epoch 5), a save with epoch 4 is refused with StaleEpochError and changes nothing', async () => {
      const n = node();
      const s = sampleSession({ nodeId: n, epoch: 4, version: 1 });
      await store.save(s);
      await store.fence(n, 5);
      const stale = store.save({ ...s, version: 2, snapshot: { deposed: true } });
      await expect(stale).rejects.toBeInstanceOf(StaleEpochError);
      await expect(stale).rejects.toMatchObject({ nodeId: n, epoch: 4, currentEpoch: 5 });
      expect(await store.load(n, s.sessionId)).toEqual(s);
      const fresh = { ...s, epoch: 5, version: 2, snapshot: { newPrimary: true } };
      await store.save(fresh);
      expect(await store.load(n, s.sessionId)).toEqual(fresh);
    });

    test('a deposed primary (another store instance) cannot save or delete after the new primary fenced', async () => {
      const n = node();
      const deposed = await second();
      const s = sampleSession({ nodeId: n, epoch: 1 });
      await deposed.save(s);
      await store.fence(n, 2);
      await expect(deposed.save({ ...s, version: 2 })).rejects.toBeInstanceOf(StaleEpochError);
      await expect(deposed.save(sampleSession({ nodeId: n, epoch: 1 }))).rejects.toBeInstanceOf(StaleEpochError);
      await expect(deposed.delete(n, s.sessionId, 1)).rejects.toBeInstanceOf(StaleEpochError);
      expect(await store.load(n, s.sessionId)).toEqual(s);
    });

    test('a write at a newer epoch fences the older one without an explicit fence', async () => {
      const n = node();
      const other = await second();
      await other.save(sampleSession({ nodeId: n, epoch: 7 }));
      await expect(store.save(sampleSession({ nodeId: n, epoch: 6 }))).rejects.toBeInstanceOf(StaleEpochError);
    });

    test('fence with an older epoch than the store has seen is refused', async () => {
      const n = node();
      await store.fence(n, 3);
      await expect(store.fence(n, 2)).rejects.toBeInstanceOf(StaleEpochError);
      await store.fence(n, 3);
    });

    test('fencing one node leaves the others writable', async () => {
      const a = node();
      const b = node();
      await store.fence(a, 9);
      const s = sampleSession({ nodeId: b, epoch: 1 });
      await store.save(s);
      expect(await store.load(b, s.sessionId)).toEqual(s);
    });

    test('another instance sees what this one saved', async () => {
      const s = sampleSession({ nodeId: node() });
      await store.save(s);
      const other = await second();
      expect(await other.load(s.nodeId, s.sessionId)).toEqual(s);
      expect(await collect(other.listByNode(s.nodeId))).toEqual([s]);
    });

    test('bad input is refused with a clear error', async () => {
      await expect(store.save({ ...sampleSession(), sessionId: '' })).rejects.toThrow(/sessionId/);
      await expect(store.save({ ...sampleSession(), epoch: -1 })).rejects.toThrow(/epoch/);
    });
  });
}

// The behaviour every SessionStore implementation must have (memory, file, cassandra).
// Call it from a test file with a factory that returns a fresh, empty, opened store; stores
// whose data outlives the instance (file, cassandra) also pass `reopen`, which opens a
// second instance over the same data (another process's view, e.g. a deposed primary).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StaleEpochError, type SessionStore, type StoredSession } from '../../runtime/store/session-store.ts';

export function session(partial: Partial<StoredSession> = {}): StoredSession {
  return {
    sessionId: 's1',
    nodeId: 'node-0',
    epoch: 1,
    version: 1,
    savedAt: 1_700_000_000_000,
    interactionId: 'call-1',
    src: 'http://strategies/a.scxml',
    snapshot: { configuration: ['waiting'], datamodel: { n: 1, nested: { list: [1, 2] } } },
    ...partial,
  };
}

async function all(iterable: AsyncIterable<StoredSession>): Promise<StoredSession[]> {
  const out: StoredSession[] = [];
  for await (const item of iterable) out.push(item);
  return out.sort((a, b) => a.sessionId.localeCompare(b.sessionId));
}

export interface ContractOptions {
  reopen?: (store: SessionStore) => Promise<SessionStore>;
}

export function describeSessionStoreContract(
  name: string,
  fresh: () => Promise<SessionStore>,
  options: ContractOptions = {},
): void {
  describe(`${name} session store contract`, () => {
    it('saves, loads, lists by node and deletes', async () => {
      const store = await fresh();
      await store.save(session());
      await store.save(session({ sessionId: 's2' }));
      await store.save(session({ sessionId: 'other', nodeId: 'node-1' }));
      expect(await store.load('node-0', 's1')).toEqual(session());
      expect((await all(store.listByNode('node-0'))).map((s) => s.sessionId)).toEqual(['s1', 's2']);
      await store.delete('node-0', 's1', 1);
      expect(await store.load('node-0', 's1')).toBeUndefined();
      expect((await all(store.listByNode('node-1'))).map((s) => s.sessionId)).toEqual(['other']);
      await store.close();
    });

    it('never replaces a version with an older one', async () => {
      const store = await fresh();
      await store.save(session({ version: 5, snapshot: 'five' }));
      await store.save(session({ version: 3, snapshot: 'three' }));
      expect((await store.load('node-0', 's1'))?.snapshot).toBe('five');
      await store.close();
    });

    it('refuses writes of an epoch older than the fence, per node', async () => {
      const store = await fresh();
      await store.save(session({ epoch: 1 }));
      await store.fence('node-0', 2);
      await expect(store.save(session({ epoch: 1, version: 2 }))).rejects.toBeInstanceOf(StaleEpochError);
      await expect(store.delete('node-0', 's1', 1)).rejects.toBeInstanceOf(StaleEpochError);
      await expect(store.fence('node-0', 1)).rejects.toBeInstanceOf(StaleEpochError);
      await store.save(session({ epoch: 1, nodeId: 'node-1' })); // other nodes are unaffected
      await store.save(session({ epoch: 2, version: 2, snapshot: 'new primary' }));
      expect((await store.load('node-0', 's1'))?.snapshot).toBe('new primary');
      await store.close();
    });

    it('a write with a newer epoch fences the older one implicitly', async () => {
      const store = await fresh();
      await store.save(session({ epoch: 3 }));
      await expect(store.save(session({ epoch: 2, version: 9 }))).rejects.toBeInstanceOf(StaleEpochError);
      await store.close();
    });

    it('rejects a malformed session with a validation error', async () => {
      const store = await fresh();
      await expect(store.save({ ...session(), sessionId: '' })).rejects.toThrow(/sessionId|too_small|at least/i);
      await store.close();
    });

    it('a session without an interaction id round-trips without one', async () => {
      const store = await fresh();
      const s = session();
      delete s.interactionId;
      await store.save(s);
      const loaded = await store.load('node-0', 's1');
      expect(loaded).toEqual(s);
      expect(loaded).not.toHaveProperty('interactionId');
      await store.close();
    });

    it('load of an unknown session is undefined, and deleting one is fine', async () => {
      const store = await fresh();
      expect(await store.load('node-0', 'no-such-session')).toBeUndefined();
      await store.delete('node-0', 'no-such-session', 1);
      await store.close();
    });

    it('a newer version replaces the stored one; saving the same version again (a retry) keeps it', async () => {
      const store = await fresh();
      await store.save(session({ version: 1 }));
      await store.save(session({ version: 2, snapshot: { step: 2 } }));
      await store.save(session({ version: 2, snapshot: { step: 2 } }));
      expect(await store.load('node-0', 's1')).toEqual(session({ version: 2, snapshot: { step: 2 } }));
      await store.close();
    });

    it('lists many sessions of a node, and nothing for an unknown node', async () => {
      const store = await fresh();
      const saved = Array.from({ length: 40 }, () => session({ sessionId: `s-${randomUUID()}` }));
      await Promise.all(saved.map((s) => store.save(s)));
      await store.save(session({ nodeId: 'node-1' }));
      const listed = await all(store.listByNode('node-0'));
      expect(listed).toEqual([...saved].sort((a, b) => a.sessionId.localeCompare(b.sessionId)));
      expect(await all(store.listByNode('node-9'))).toEqual([]);
      await store.close();
    });

    it('a stale write changes nothing', async () => {
      const store = await fresh();
      await store.save(session({ epoch: 4 }));
      await store.fence('node-0', 5);
      const stale = store.save(session({ epoch: 4, version: 2, snapshot: 'deposed' }));
      await expect(stale).rejects.toMatchObject({ name: 'StaleEpochError', nodeId: 'node-0', epoch: 4, currentEpoch: 5 });
      expect(await store.load('node-0', 's1')).toEqual(session({ epoch: 4 }));
      await store.fence('node-0', 5); // fencing again at the same epoch is fine
      await store.close();
    });

    const { reopen } = options;
    if (reopen) {
      it('another instance over the same data sees what this one saved', async () => {
        const store = await fresh();
        await store.save(session());
        const other = await reopen(store);
        expect(await other.load('node-0', 's1')).toEqual(session());
        expect(await all(other.listByNode('node-0'))).toEqual([session()]);
        await other.close();
        await store.close();
      });

      it('a deposed primary (another instance) can neither save nor delete once the new primary fenced', async () => {
        const deposed = await fresh();
        await deposed.save(session({ epoch: 1 }));
        const primary = await reopen(deposed);
        await primary.fence('node-0', 2);
        await expect(deposed.save(session({ epoch: 1, version: 2 }))).rejects.toBeInstanceOf(StaleEpochError);
        await expect(deposed.save(session({ sessionId: 's2', epoch: 1 }))).rejects.toBeInstanceOf(StaleEpochError);
        await expect(deposed.delete('node-0', 's1', 1)).rejects.toBeInstanceOf(StaleEpochError);
        expect(await primary.load('node-0', 's1')).toEqual(session({ epoch: 1 }));
        expect(await primary.load('node-0', 's2')).toBeUndefined();
        await primary.close();
        await deposed.close();
      });
    }
  });
}

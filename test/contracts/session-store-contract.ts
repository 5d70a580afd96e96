// The behaviour every SessionStore implementation must have (memory, file, cassandra).
// Call it from a test file with a factory that returns a fresh, empty store.
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

export function describeSessionStoreContract(name: string, fresh: () => Promise<SessionStore>): void {
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
  });
}

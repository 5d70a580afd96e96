// Hot standby, pure parts: when a persisted session's state counts as durable, and which
// snapshot a new primary brings a session back from.
import { describe, expect, it } from 'vitest';
import { firstDurable } from '../../../runtime/ha/durable-acknowledgement.ts';
import { persistedRecoverySources } from '../../../runtime/ha/persisted-recovery.ts';
import { applySyncEvent, emptySyncState } from '../../../runtime/ha/sync/sync-state.ts';
import { StaleEpochError, type StoredSession } from '../../../runtime/store/session-store.ts';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function outcome(promise: Promise<void>): Promise<string> {
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('pending'), 20));
  return Promise.race([promise.then(() => 'durable', (error: Error) => `refused: ${error.name}`), timeout]);
}

describe('firstDurable', () => {
  it('is durable as soon as the store has the snapshot, without the backup', async () => {
    const store = deferred();
    const backup = deferred();
    store.resolve();
    expect(await outcome(firstDurable(store.promise, backup.promise))).toBe('durable');
  });

  it('is durable as soon as the backup confirms, while the store is down', async () => {
    const store = deferred();
    const backup = deferred();
    const durable = firstDurable(store.promise, backup.promise);
    expect(await outcome(durable)).toBe('pending');
    backup.resolve();
    expect(await outcome(durable)).toBe('durable');
  });

  it('a store failure other than fencing leaves the answer to the backup', async () => {
    const store = deferred();
    const backup = deferred();
    const durable = firstDurable(store.promise, backup.promise);
    store.reject(new Error('backlog full'));
    expect(await outcome(durable)).toBe('pending');
    backup.resolve();
    expect(await outcome(durable)).toBe('durable');
  });

  it('without a backup, a store failure is final', async () => {
    const store = deferred();
    const durable = firstDurable(store.promise, undefined);
    store.reject(new Error('backlog full'));
    expect(await outcome(durable)).toBe('refused: Error');
  });

  it('a newer primary fencing the store is final even with a backup still silent', async () => {
    const store = deferred();
    const backup = deferred();
    const durable = firstDurable(store.promise, backup.promise);
    store.reject(new StaleEpochError('node-0', 3, 4));
    expect(await outcome(durable)).toBe('refused: StaleEpochError');
  });
});

describe('firstDurable with a store inside the process (persistence none)', () => {
  it('waits for the backup even though the store answered: the store dies with the process', async () => {
    const store = deferred();
    const backup = deferred();
    const durable = firstDurable(store.promise, backup.promise, true);
    store.resolve();
    expect(await outcome(durable)).toBe('pending');
    backup.resolve();
    expect(await outcome(durable)).toBe('durable');
  });

  it('takes the store\'s answer when no backup is connected, and a fence is still final', async () => {
    const alone = deferred();
    alone.resolve();
    expect(await outcome(firstDurable(alone.promise, undefined, true))).toBe('durable');
    const store = deferred();
    const durable = firstDurable(store.promise, deferred().promise, true);
    store.reject(new StaleEpochError('node-0', 3, 4));
    expect(await outcome(durable)).toBe('refused: StaleEpochError');
  });
});

describe('persistedRecoverySources', () => {
  const stored = (sessionId: string, version: number): StoredSession => ({
    sessionId,
    nodeId: 'node-0',
    epoch: 1,
    version,
    savedAt: 1,
    src: 'counter.scxml',
    snapshot: { from: 'store', version },
  });
  function replicaWith(sessions: { sessionId: string; persisted: boolean; version?: number }[]) {
    const state = emptySyncState();
    for (const s of sessions) {
      applySyncEvent(state, { type: 'session-created', at: 1, session: { sessionId: s.sessionId, src: 'counter.scxml', createdAt: 1, persisted: s.persisted, interactionId: `i-${s.sessionId}` } });
      if (s.version !== undefined) applySyncEvent(state, { type: 'session-snapshot', at: 2, sessionId: s.sessionId, version: s.version, snapshot: { from: 'replica', version: s.version } });
    }
    return state;
  }

  it('takes the newer of the store and the replica for each session', () => {
    const sources = persistedRecoverySources(
      [stored('a', 5), stored('b', 7), stored('c', 2)],
      replicaWith([
        { sessionId: 'a', persisted: true, version: 6 },
        { sessionId: 'b', persisted: true, version: 6 },
        { sessionId: 'd', persisted: true, version: 1 },
      ]),
    );
    const byId = Object.fromEntries(sources.map((s) => [s.sessionId, { from: s.from, version: s.version, snapshot: s.snapshot }]));
    expect(byId).toEqual({
      a: { from: 'replica', version: 6, snapshot: { from: 'replica', version: 6 } },
      b: { from: 'store', version: 7, snapshot: { from: 'store', version: 7 } },
      c: { from: 'store', version: 2, snapshot: { from: 'store', version: 2 } },
      d: { from: 'replica', version: 1, snapshot: { from: 'replica', version: 1 } },
    });
    expect(sources.find((s) => s.sessionId === 'd')?.interactionId).toBe('i-d');
  });

  it('ignores replica sessions that do not persist or have no snapshot yet', () => {
    const sources = persistedRecoverySources([], replicaWith([{ sessionId: 'r', persisted: false }, { sessionId: 'new', persisted: true }]));
    expect(sources).toEqual([]);
  });
});

describe('sync state: session snapshots', () => {
  it('keeps the newest snapshot of a session, ignores older ones, and forgets it with the session', () => {
    const state = emptySyncState();
    applySyncEvent(state, { type: 'session-created', at: 1, session: { sessionId: 's', src: 'x', createdAt: 1, persisted: true } });
    applySyncEvent(state, { type: 'session-snapshot', at: 2, sessionId: 's', version: 3, snapshot: { n: 3 } });
    applySyncEvent(state, { type: 'session-snapshot', at: 3, sessionId: 's', version: 2, snapshot: { n: 2 } });
    expect(state.sessions.get('s')).toMatchObject({ snapshot: { n: 3 }, snapshotVersion: 3 });
    applySyncEvent(state, { type: 'session-terminated', at: 4, sessionId: 's' });
    expect(state.sessions.has('s')).toBe(false);
    // A snapshot for a session the state does not know (it ended) is not a session.
    applySyncEvent(state, { type: 'session-snapshot', at: 5, sessionId: 's', version: 4, snapshot: {} });
    expect(state.sessions.has('s')).toBe(false);
  });
});

// Which snapshot a new primary brings each persisted session back from. Two sources can
// hold one: the session store (what the old primary's writes left there) and the replica
// the backup kept over the sync port (hot standby). Either may be ahead: the store when a
// snapshot was stored but the primary died before syncing it, the replica during a store
// outage (the backup confirmed snapshots the store never got). The newest version wins.
import type { StoredSession } from '../store/session-store.ts';
import type { SyncState } from './sync/sync-state.ts';

export interface RecoverySource {
  sessionId: string;
  src: string;
  interactionId?: string;
  version: number;
  snapshot: unknown;
  /** Where the chosen snapshot is from; 'replica' means the store is behind it. */
  from: 'store' | 'replica';
}

function source(
  session: { sessionId: string; src: string; interactionId?: string },
  version: number,
  snapshot: unknown,
  from: RecoverySource['from'],
): RecoverySource {
  const { sessionId, src, interactionId } = session;
  return { sessionId, src, ...(interactionId === undefined ? {} : { interactionId }), version, snapshot, from };
}

export function persistedRecoverySources(stored: Iterable<StoredSession>, replica: SyncState): RecoverySource[] {
  const chosen = new Map<string, RecoverySource>();
  for (const session of stored) chosen.set(session.sessionId, source(session, session.version, session.snapshot, 'store'));
  for (const session of replica.sessions.values()) {
    if (!session.persisted || session.snapshotVersion === undefined || session.snapshot === undefined) continue;
    const current = chosen.get(session.sessionId);
    if (current && current.version >= session.snapshotVersion) continue;
    chosen.set(session.sessionId, source(session, session.snapshotVersion, session.snapshot, 'replica'));
  }
  return [...chosen.values()];
}

// What a primary tells its backup, as a pure reducer: the live sessions, the treatments
// being played, and the events of each interaction (for replay on restart). The primary
// keeps one to produce snapshots for (re)connecting backups; the backup applies the same
// events to its replica, which is what recovery works from on switchover.
import type { InteractionEvent, SyncEvent, SyncSnapshot, SyncedSession, Treatment } from './sync-protocol.ts';

export interface SyncState {
  sessions: Map<string, SyncedSession>;
  /** By sessionId, then treatmentId. */
  treatments: Map<string, Map<string, Treatment>>;
  interactionEvents: Map<string, InteractionEvent[]>;
  /**
   * How many of `sessions` belong to each interaction, kept with `sessions`: a termination
   * asks whether its interaction is still in use, and scanning every session for that made
   * a burst of terminations quadratic (5.6 s of sync lag for 40,000 of them). Empty in a
   * replica that follows packed batches: there the primary counts (applyFollowedEvent).
   */
  sessionsPerInteraction: Map<string, number>;
}

export function emptySyncState(): SyncState {
  return { sessions: new Map(), treatments: new Map(), interactionEvents: new Map(), sessionsPerInteraction: new Map() };
}

function countSession(state: SyncState, interactionId: string | undefined, delta: 1 | -1): void {
  if (interactionId === undefined) return;
  const count = (state.sessionsPerInteraction.get(interactionId) ?? 0) + delta;
  if (count > 0) state.sessionsPerInteraction.set(interactionId, count);
  else state.sessionsPerInteraction.delete(interactionId);
}

/** Adds or replaces a session, keeping the count of sessions per interaction. */
function putSession(state: SyncState, session: SyncedSession): void {
  const previous = state.sessions.get(session.sessionId);
  if (previous?.interactionId !== session.interactionId) {
    countSession(state, previous?.interactionId, -1);
    countSession(state, session.interactionId, 1);
  }
  state.sessions.set(session.sessionId, session);
}

/** Applies one change; for a termination, returns the interaction it released (no live session of it left), which a packed batch names. */
export function applySyncEvent(state: SyncState, event: SyncEvent): string | undefined {
  switch (event.type) {
    case 'session-created':
      putSession(state, event.session);
      break;
    case 'session-terminated': {
      const session = state.sessions.get(event.sessionId);
      if (session) {
        state.sessions.delete(event.sessionId);
        countSession(state, session.interactionId, -1);
      }
      state.treatments.delete(event.sessionId);
      // Interactions still referenced by a live session keep their events; others are dropped.
      const interactionId = event.interactionId ?? session?.interactionId;
      if (!interactionId || state.sessionsPerInteraction.has(interactionId)) return undefined;
      state.interactionEvents.delete(interactionId);
      return interactionId;
    }
    case 'treatment-started': {
      const { treatment } = event;
      let perSession = state.treatments.get(treatment.sessionId);
      if (!perSession) state.treatments.set(treatment.sessionId, (perSession = new Map()));
      perSession.set(treatment.treatmentId, treatment);
      break;
    }
    case 'treatment-ended':
      state.treatments.get(event.sessionId)?.delete(event.treatmentId);
      break;
    case 'session-persisted': {
      const session = state.sessions.get(event.sessionId);
      if (session) state.sessions.set(event.sessionId, { ...session, persistedVersion: event.version });
      break;
    }
    case 'session-snapshot': {
      const session = state.sessions.get(event.sessionId);
      if (session && (session.snapshotVersion ?? -1) < event.version) {
        state.sessions.set(event.sessionId, { ...session, snapshot: event.snapshot, snapshotVersion: event.version });
      }
      break;
    }
    case 'interaction-event': {
      let events = state.interactionEvents.get(event.interactionId);
      if (!events) state.interactionEvents.set(event.interactionId, (events = []));
      events.push(event.event);
      break;
    }
  }
}

/**
 * The backup's reducer for packed batches (packed-batch.ts): the same changes as
 * applySyncEvent, except that the replica does not count sessions per interaction. The
 * primary counts anyway, and a packed termination names the interaction it released (no
 * live session of it left): the replica drops that interaction's events then, as the
 * primary did. A creation is then one map operation instead of four, a termination one
 * (and one each for its treatments and its released interaction, when there are any)
 * instead of six or seven: under load these were a third of the backup's time, each a walk
 * of a map of every live session (bench/ha.bench.ts, sync lag).
 */
export function applyFollowedEvent(state: SyncState, event: SyncEvent, released: string | undefined): void {
  switch (event.type) {
    case 'session-created':
      state.sessions.set(event.session.sessionId, event.session);
      break;
    case 'session-terminated':
      state.sessions.delete(event.sessionId);
      if (state.treatments.size > 0) state.treatments.delete(event.sessionId);
      if (released !== undefined) state.interactionEvents.delete(released);
      break;
    default:
      // Every other change leaves the sessions per interaction as they are.
      applySyncEvent(state, event);
  }
}

export function snapshotOf(state: SyncState): SyncSnapshot {
  return {
    sessions: [...state.sessions.values()],
    treatments: [...state.treatments.values()].flatMap((m) => [...m.values()]),
    interactionEvents: [...state.interactionEvents].map(([interactionId, events]) => ({ interactionId, events })),
  };
}

/** `counting`: false for a replica that follows packed batches (applyFollowedEvent). */
export function stateFromSnapshot(snapshot: SyncSnapshot, counting = true): SyncState {
  const state = emptySyncState();
  for (const session of snapshot.sessions) {
    if (counting) putSession(state, session);
    else state.sessions.set(session.sessionId, session);
  }
  for (const treatment of snapshot.treatments) applySyncEvent(state, { type: 'treatment-started', at: treatment.startedAt, treatment });
  for (const { interactionId, events } of snapshot.interactionEvents) state.interactionEvents.set(interactionId, [...events]);
  return state;
}

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
   * a burst of terminations quadratic (5.6 s of sync lag for 40,000 of them).
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

export function applySyncEvent(state: SyncState, event: SyncEvent): void {
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
      if (interactionId && !state.sessionsPerInteraction.has(interactionId)) state.interactionEvents.delete(interactionId);
      break;
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

export function snapshotOf(state: SyncState): SyncSnapshot {
  return {
    sessions: [...state.sessions.values()],
    treatments: [...state.treatments.values()].flatMap((m) => [...m.values()]),
    interactionEvents: [...state.interactionEvents].map(([interactionId, events]) => ({ interactionId, events })),
  };
}

export function stateFromSnapshot(snapshot: SyncSnapshot): SyncState {
  const state = emptySyncState();
  for (const session of snapshot.sessions) putSession(state, session);
  for (const treatment of snapshot.treatments) applySyncEvent(state, { type: 'treatment-started', at: treatment.startedAt, treatment });
  for (const { interactionId, events } of snapshot.interactionEvents) state.interactionEvents.set(interactionId, [...events]);
  return state;
}

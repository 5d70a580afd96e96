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
}

export function emptySyncState(): SyncState {
  return { sessions: new Map(), treatments: new Map(), interactionEvents: new Map() };
}

/** Interactions still referenced by a live session keep their events; others are dropped. */
function interactionInUse(state: SyncState, interactionId: string): boolean {
  for (const session of state.sessions.values()) if (session.interactionId === interactionId) return true;
  return false;
}

export function applySyncEvent(state: SyncState, event: SyncEvent): void {
  switch (event.type) {
    case 'session-created':
      state.sessions.set(event.session.sessionId, event.session);
      break;
    case 'session-terminated': {
      const session = state.sessions.get(event.sessionId);
      state.sessions.delete(event.sessionId);
      state.treatments.delete(event.sessionId);
      const interactionId = event.interactionId ?? session?.interactionId;
      if (interactionId && !interactionInUse(state, interactionId)) state.interactionEvents.delete(interactionId);
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
  for (const session of snapshot.sessions) state.sessions.set(session.sessionId, session);
  for (const treatment of snapshot.treatments) applySyncEvent(state, { type: 'treatment-started', at: treatment.startedAt, treatment });
  for (const { interactionId, events } of snapshot.interactionEvents) state.interactionEvents.set(interactionId, [...events]);
  return state;
}

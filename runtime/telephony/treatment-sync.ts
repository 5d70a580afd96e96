// Treatments over the HA sync port: the voice agent's ledger records, as the sync
// protocol's `treatment-started` / `treatment-ended` events (runtime/ha/sync), and back.
// The primary feeds `treatmentSyncSink` into its sync batcher; the backup applies the
// events it receives with `applyTreatmentSync`, so after a switchover it knows which
// session each playing treatment belongs to and still delivers dialog.playsound.done.
import type { SyncEvent, Treatment as SyncedTreatment } from '../ha/sync/sync-protocol.ts';
import type { HighAvailability } from '../ha/high-availability.ts';
import type { SyncClient } from '../ha/sync/sync-client.ts';
import type { SyncState } from '../ha/sync/sync-state.ts';
import type { TreatmentLedger, TreatmentRecord, TreatmentSyncSink } from './treatment-ledger.ts';

export function treatmentStartedEvent(record: TreatmentRecord): SyncEvent {
  return {
    type: 'treatment-started',
    at: record.startedAt,
    treatment: {
      sessionId: record.sessionId,
      interactionId: record.callId,
      treatmentId: record.treatmentId,
      kind: record.kind,
      startedAt: record.startedAt,
      expectedEndAt: record.startedAt + record.durationMs,
    },
  };
}

export function treatmentEndedEvent(record: TreatmentRecord, at: number): SyncEvent {
  return { type: 'treatment-ended', at, sessionId: record.sessionId, treatmentId: record.treatmentId };
}

export function recordFromSync(treatment: SyncedTreatment): TreatmentRecord | undefined {
  // A treatment is only useful here if we know its call: the end comes from the telephony server per call.
  if (!treatment.interactionId) return undefined;
  return {
    treatmentId: treatment.treatmentId,
    sessionId: treatment.sessionId,
    callId: treatment.interactionId,
    kind: treatment.kind,
    startedAt: treatment.startedAt,
    durationMs: treatment.expectedEndAt === undefined ? 0 : Math.max(0, treatment.expectedEndAt - treatment.startedAt),
  };
}

/** On the primary: turns ledger changes into sync events for the backup. */
export function treatmentSyncSink(emit: (event: SyncEvent) => void, now: () => number = Date.now): TreatmentSyncSink {
  return {
    treatmentStarted: (record) => emit(treatmentStartedEvent(record)),
    treatmentEnded: (record) => emit(treatmentEndedEvent(record, now())),
  };
}

/** On the backup: applies the treatment events of a sync batch (others are ignored here). */
export function applyTreatmentSync(ledger: TreatmentLedger, event: SyncEvent): void {
  if (event.type === 'treatment-started') {
    const record = recordFromSync(event.treatment);
    if (record) ledger.startedFromSync(record);
  } else if (event.type === 'treatment-ended') {
    ledger.endedFromSync(event.treatmentId);
  }
}

/** The treatments a sync replica says are playing, as ledger records. */
export function recordsFromReplica(replica: Pick<SyncState, 'treatments'>): TreatmentRecord[] {
  return [...replica.treatments.values()].flatMap((perSession) => [...perSession.values()].flatMap((t) => recordFromSync(t) ?? []));
}

/**
 * On a backup with HA: the voice agent's ledger follows the primary's treatments from
 * the sync client (snapshots and batches), so after a promotion it knows which ends the
 * old primary delivered already and which are still due.
 */
export function followTreatmentSync(syncClient: Pick<SyncClient, 'subscribe'>, ledger: TreatmentLedger): () => void {
  return syncClient.subscribe({
    onSnapshot: (replica) => ledger.replaceFromSync(recordsFromReplica(replica)),
    onEvents: (events) => {
      for (const event of events) applyTreatmentSync(ledger, event);
    },
  });
}

/** On a primary with HA: the ledger's changes go out through HA's sync server. */
export function haTreatmentSink(ha: Pick<HighAvailability, 'treatmentStarted' | 'treatmentEnded'>): TreatmentSyncSink {
  return {
    treatmentStarted: (record) => {
      const event = treatmentStartedEvent(record);
      if (event.type === 'treatment-started') ha.treatmentStarted(event.treatment);
    },
    treatmentEnded: (record) => ha.treatmentEnded(record.sessionId, record.treatmentId),
  };
}

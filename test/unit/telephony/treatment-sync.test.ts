import { describe, expect, it } from 'vitest';
import { TreatmentLedger } from '../../../runtime/telephony/treatment-ledger.ts';
import { applyTreatmentSync, treatmentSyncSink } from '../../../runtime/telephony/treatment-sync.ts';
import { SyncEventSchema } from '../../../runtime/ha/sync/sync-protocol.ts';
import type { SyncEvent } from '../../../runtime/ha/sync/sync-protocol.ts';

describe('treatments over the HA sync port', () => {
  it('the primary’s ledger produces valid sync events that rebuild the ledger on the backup', () => {
    const sent: SyncEvent[] = [];
    const primary = new TreatmentLedger(treatmentSyncSink((e) => sent.push(e), () => 500));
    const backup = new TreatmentLedger();
    primary.started({ treatmentId: 't1', sessionId: 's1', callId: 'call-1', kind: 'playsound', startedAt: 100, durationMs: 300 });
    primary.started({ treatmentId: 't2', sessionId: 's1', callId: 'call-1', kind: 'music', startedAt: 150, durationMs: 1000 });
    primary.ended('t1');
    for (const e of sent) {
      expect(SyncEventSchema.safeParse(e).success).toBe(true);
      applyTreatmentSync(backup, e);
    }
    expect(sent[0]).toMatchObject({ type: 'treatment-started', treatment: { interactionId: 'call-1', expectedEndAt: 400 } });
    expect(sent[2]).toEqual({ type: 'treatment-ended', at: 500, sessionId: 's1', treatmentId: 't1' });
    expect(backup.playingFor('s1')).toEqual([{ treatmentId: 't2', sessionId: 's1', callId: 'call-1', kind: 'music', startedAt: 150, durationMs: 1000 }]);
  });

  it('ignores other sync events and treatments without a call', () => {
    const backup = new TreatmentLedger();
    applyTreatmentSync(backup, { type: 'session-terminated', at: 1, sessionId: 's' });
    applyTreatmentSync(backup, { type: 'treatment-started', at: 1, treatment: { sessionId: 's', treatmentId: 't', kind: 'playsound', startedAt: 1 } });
    expect(backup.size).toBe(0);
  });
});

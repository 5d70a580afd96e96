// A treatment's end reaches its session at most once per treatment id, whichever sources
// report it (the server's call.treatment-ended, live or held over a failover, and the
// promoted backup's fallback timer for a synced treatment), also across a failover.
import { describe, expect, it } from 'vitest';
import { TreatmentLedger } from '../../../runtime/telephony/treatment-ledger.ts';
import type { TreatmentRecord } from '../../../runtime/telephony/treatment-ledger.ts';
import { applyTreatmentSync, treatmentSyncSink } from '../../../runtime/telephony/treatment-sync.ts';
import type { SyncEvent } from '../../../runtime/ha/sync/sync-protocol.ts';

const t1: TreatmentRecord = { treatmentId: 't1', sessionId: 's1', callId: 'c1', kind: 'playsound', startedAt: 0, durationMs: 100 };
const t2: TreatmentRecord = { ...t1, treatmentId: 't2', startedAt: 50 };

/** A primary and its backup, the backup's ledger fed by the primary's sync events. */
function pair() {
  const sent: SyncEvent[] = [];
  const primary = new TreatmentLedger(treatmentSyncSink((e) => sent.push(e)));
  const backup = new TreatmentLedger();
  const sync = () => {
    for (const e of sent.splice(0)) applyTreatmentSync(backup, e);
  };
  return { primary, backup, sync, sent };
}

describe('treatment completion', () => {
  it('completes a treatment once: a second report of the same end is refused, the sync hears one end', () => {
    const ended: string[] = [];
    const ledger = new TreatmentLedger({ treatmentStarted: () => undefined, treatmentEnded: (r) => ended.push(r.treatmentId) });
    ledger.started(t1);
    expect(ledger.complete('t1', 's1')).toBe(true);
    expect(ledger.complete('t1', 's1')).toBe(false);
    expect(ledger.isCompleted('t1')).toBe(true);
    expect(ended).toEqual(['t1']);
    expect(ledger.size).toBe(0);
  });

  it('a held end told after the promotion is not told again by the fallback timer, nor the other way round', () => {
    const a = new TreatmentLedger();
    a.startedFromSync(t1);
    a.endedWithoutSession('t1', 'completed', 7);
    expect(a.takeUndelivered('s1').map((e) => e.treatmentId)).toEqual(['t1']);
    expect(a.complete('t1', 's1')).toBe(false); // the timer fires later

    const b = new TreatmentLedger();
    b.startedFromSync(t1);
    expect(b.complete('t1', 's1')).toBe(true); // the timer first
    b.endedWithoutSession('t1', 'completed', 7); // the server's end, late
    expect(b.takeUndelivered('s1')).toEqual([]);
  });

  it('on the backup, an end the primary delivered (per the sync) is not kept for after the promotion, even when the server reports it unsynced', () => {
    const { primary, backup, sync } = pair();
    primary.started(t1);
    sync();
    expect(backup.knows('t1')).toBe(true);
    expect(primary.complete('t1', 's1')).toBe(true);
    sync();
    // The server's end reaches the backup after the sync: held with the call's holder as fallback.
    backup.endedWithoutSession('t1', 'completed', 9, { sessionId: 's1', callId: 'c1', endedAt: 1000 });
    expect(backup.takeUndelivered('s1', 1001, 60_000)).toEqual([]);
    expect(backup.complete('t1', 's1')).toBe(false);
  });

  it('kill mid-treatment: the promoted backup tells the end of the treatment that was playing exactly once', () => {
    const { primary, backup, sync } = pair();
    primary.started(t1);
    primary.started(t2);
    primary.complete('t1', 's1');
    sync();
    // The primary dies while t2 plays; the server's end reaches the backup before its promotion.
    backup.endedWithoutSession('t2', 'completed', 11, { sessionId: 's1', callId: 'c1', endedAt: 200 });
    const told = [...backup.takeUndelivered('s1', 300, 60_000).map((e) => e.treatmentId)];
    // The fallback timers for what the replica said was playing (t2), and a replay of t1's end.
    for (const id of ['t2', 't1']) if (backup.complete(id, 's1', 5000)) told.push(id);
    expect(told).toEqual(['t2']);
  });

  it('a full snapshot from the primary: what it no longer lists ended there; what it lists is playing', () => {
    const backup = new TreatmentLedger();
    backup.startedFromSync(t1);
    backup.replaceFromSync([t2]);
    expect(backup.isCompleted('t1')).toBe(true);
    expect(backup.playingFor('s1')).toEqual([t2]);
    // A completed treatment a late snapshot still lists does not come back.
    backup.replaceFromSync([t1, t2]);
    expect(backup.knows('t1')).toBe(false);
  });

  it('forgets completed ids after ten minutes, so the memory stays bounded', () => {
    const ledger = new TreatmentLedger();
    ledger.complete('t1', 's1', 0);
    ledger.complete('t2', 's1', 5 * 60_000);
    ledger.complete('t3', 's1', 10 * 60_000 + 1);
    expect([ledger.isCompleted('t1'), ledger.isCompleted('t2'), ledger.isCompleted('t3')]).toEqual([false, true, true]);
  });
});

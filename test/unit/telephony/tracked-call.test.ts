import { describe, expect, it } from 'vitest';
import { applyCallEvent, claimedSinceRinging, isReroute, newTrackedCall } from '../../../runtime/telephony/tracked-call.ts';
import { TreatmentLedger } from '../../../runtime/telephony/treatment-ledger.ts';
import type { TreatmentRecord } from '../../../runtime/telephony/treatment-ledger.ts';
import { sessionEventFor } from '../../../runtime/telephony/session-event-names.ts';
import type { CallEvent } from '../../../runtime/telephony/voice-messages.ts';

const ring = (seq: number, extra: object = {}): CallEvent => ({ type: 'call.ringing', callId: 'c', seq, at: seq, routingPoint: 'rp', callType: 'inbound', attachedData: {}, ...extra });

describe('a tracked call', () => {
  it('keeps events in order and ignores duplicates', () => {
    let call = newTrackedCall('c');
    call = applyCallEvent(call, ring(1), 100);
    const same = applyCallEvent(call, ring(1), 200);
    expect(same).toBe(call);
    expect(call.ringingSeenAt).toBe(100);
    call = applyCallEvent(call, { type: 'call.session-attached', callId: 'c', seq: 2, at: 2, sessionId: 's1', nodeId: 'n0' }, 150);
    expect(claimedSinceRinging(call)).toBe(true);
    call = applyCallEvent(call, { type: 'call.routed', callId: 'c', seq: 3, at: 3, target: 'agent' }, 160);
    expect(call.offRoutingPoint).toBe(true);
    expect(call.released).toBe(false);
    call = applyCallEvent(call, { type: 'call.released', callId: 'c', seq: 4, at: 4 }, 170);
    expect(call.released).toBe(true);
    expect(call.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it('merges an event older than the newest in seq order: any arrival order gives the call that in-order arrival gives', () => {
    const history: CallEvent[] = [
      ring(1),
      { type: 'call.session-attached', callId: 'c', seq: 2, at: 2, sessionId: 's1', nodeId: 'n0' },
      { type: 'call.treatment-ended', callId: 'c', seq: 3, at: 3, treatmentId: 't1', reason: 'completed' },
      ring(4, { previousSessionId: 's1' }),
      { type: 'call.session-attached', callId: 'c', seq: 5, at: 5, sessionId: 's2', nodeId: 'n1' },
      { type: 'call.routed', callId: 'c', seq: 6, at: 6, target: 'agent' },
      { type: 'call.released', callId: 'c', seq: 7, at: 7 },
    ];
    const state = (call: ReturnType<typeof newTrackedCall>) => ({ ...call, ringingSeenAt: 0 });
    let random = 7;
    const next = () => (random = (random * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let prefix = 1; prefix <= history.length; prefix++) {
      const events = history.slice(0, prefix);
      const inOrder = events.reduce((call, e) => applyCallEvent(call, e, 0), newTrackedCall('c'));
      for (let round = 0; round < 50; round++) {
        // A shuffled arrival with duplicates, as a live stream racing a catch-up list gives.
        const arrival = [...events, ...events.filter(() => next() < 0.3)].sort(() => next() - 0.5);
        const merged = arrival.reduce((call, e) => applyCallEvent(call, e, 0), newTrackedCall('c'));
        expect(state(merged)).toEqual(state(inOrder));
      }
    }
  });

  it('a merged older event keeps the time the latest ringing was seen', () => {
    let call = applyCallEvent(newTrackedCall('c'), ring(2), 100);
    call = applyCallEvent(call, ring(1), 500);
    expect(call.ringing?.seq).toBe(2);
    expect(call.ringingSeenAt).toBe(100);
  });

  it('recognises a reroute: a new ringing after a claim, until the next claim', () => {
    let call = applyCallEvent(newTrackedCall('c'), ring(1), 0);
    call = applyCallEvent(call, { type: 'call.session-attached', callId: 'c', seq: 2, at: 2, sessionId: 's1', nodeId: 'n0' }, 0);
    expect(isReroute(call)).toBe(false);
    call = applyCallEvent(call, ring(3, { previousSessionId: 's1' }), 0);
    expect(claimedSinceRinging(call)).toBe(false);
    expect(isReroute(call)).toBe(true);
    expect(call.offRoutingPoint).toBe(false);
    call = applyCallEvent(call, { type: 'call.session-attached', callId: 'c', seq: 4, at: 4, sessionId: 's1', nodeId: 'n0' }, 0);
    expect(isReroute(call)).toBe(false);
  });
});

describe('session events for call events', () => {
  it('turns a completed treatment into dialog.playsound.done and a cancelled one into an error', () => {
    expect(sessionEventFor({ type: 'call.treatment-ended', callId: 'c', seq: 5, at: 0, treatmentId: 't1', reason: 'completed' })).toEqual({
      name: 'dialog.playsound.done',
      data: { callid: 'c', seq: 5, treatmentid: 't1' },
    });
    expect(sessionEventFor({ type: 'call.treatment-ended', callId: 'c', seq: 5, at: 0, treatmentId: 't1', reason: 'cancelled' })?.name).toBe('error.dialog.playsound');
    expect(sessionEventFor({ type: 'call.session-attached', callId: 'c', seq: 5, at: 0, sessionId: 's', nodeId: 'n' })).toBeUndefined();
  });
});

describe('treatment ledger', () => {
  const record: TreatmentRecord = { treatmentId: 't1', sessionId: 's1', callId: 'c', kind: 'playsound', startedAt: 0, durationMs: 100 };

  it('tells the sync sink of starts and ends', () => {
    const seen: string[] = [];
    const ledger = new TreatmentLedger({ treatmentStarted: (r) => seen.push(`start ${r.treatmentId}`), treatmentEnded: (r) => seen.push(`end ${r.treatmentId}`) });
    ledger.started(record);
    expect(ledger.playingFor('s1')).toEqual([record]);
    ledger.ended('t1');
    expect(seen).toEqual(['start t1', 'end t1']);
    expect(ledger.size).toBe(0);
  });

  it('on a promoted backup, keeps an end that arrived before the session was recovered', () => {
    const ledger = new TreatmentLedger();
    ledger.startedFromSync(record);
    ledger.endedWithoutSession('t1', 'completed', 9);
    expect(ledger.takeUndelivered('other')).toEqual([]);
    expect(ledger.takeUndelivered('s1')).toEqual([{ ...record, reason: 'completed', endSeq: 9, endedAt: expect.any(Number) }]);
    expect(ledger.takeUndelivered('s1')).toEqual([]);
  });

  it('keeps an end the sync never told about only within the failover window', () => {
    const ledger = new TreatmentLedger();
    ledger.endedWithoutSession('t9', 'completed', 4, { sessionId: 's1', callId: 'c', endedAt: 1000 });
    ledger.endedWithoutSession('t8', 'completed', 3, { sessionId: 's1', callId: 'c', endedAt: 100 });
    ledger.endedWithoutSession('t7', 'completed', 2);
    expect(ledger.takeUndelivered('s1', 1500, 1000).map((t) => t.treatmentId)).toEqual(['t9']);
  });

  it('forgets treatments whose end the primary delivered', () => {
    const ledger = new TreatmentLedger();
    ledger.startedFromSync(record);
    ledger.endedFromSync('t1');
    ledger.endedWithoutSession('t1', 'completed', 9);
    expect(ledger.takeUndelivered('s1')).toEqual([]);
  });
});

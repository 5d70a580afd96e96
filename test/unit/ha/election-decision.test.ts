import { describe, expect, it } from 'vitest';
import {
  candidateDelay,
  decideAttempt,
  decideTakeover,
  failsafeValidUntil,
  isHeldBy,
  leadershipValidUntil,
  observe,
  releasedRecord,
  validateTimings,
  type ElectionTimings,
  type Observation,
} from '../../../runtime/ha/leader-election/election-decision.ts';
import type { LeaseRecord } from '../../../runtime/ha/leader-election/lease-record.ts';

const timings: ElectionTimings = { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 };

function record(partial: Partial<LeaseRecord>): LeaseRecord {
  return { holderIdentity: 'a', acquireTime: 0, renewTime: 0, leaseDurationSeconds: 4, leaseTransitions: 3, annotations: {}, ...partial };
}
function observed(r: LeaseRecord, observedAt: number, version = '7'): Observation {
  return { current: { record: r, version }, observedAt };
}

describe('decideAttempt', () => {
  it('creates a missing lease with transitions 1, so epoch 0 means never primary', () => {
    const d = decideAttempt({ identity: 'a', now: 100, leading: false, timings, annotations: { k: 'v' } });
    expect(d).toEqual({ kind: 'create', record: { holderIdentity: 'a', acquireTime: 100, renewTime: 100, leaseDurationSeconds: 4, leaseTransitions: 1, annotations: { k: 'v' } } });
  });

  it('waits while another holder is within its lease, timed from when we observed it', () => {
    const d = decideAttempt({ identity: 'b', now: 3999, leading: false, timings, annotations: {}, observation: observed(record({ renewTime: -1e9 }), 0) });
    expect(d).toEqual({ kind: 'held-by-other', holder: 'a', expiresAt: 4000 });
  });

  it('acquires an expired lease and counts a transition', () => {
    const d = decideAttempt({ identity: 'b', now: 4000, leading: false, timings, annotations: { url: 'x' }, observation: observed(record({ annotations: { other: '1' } }), 0) });
    expect(d.kind).toBe('acquire');
    if (d.kind !== 'acquire') return;
    expect(d.version).toBe('7');
    expect(d.record).toMatchObject({ holderIdentity: 'b', acquireTime: 4000, renewTime: 4000, leaseTransitions: 4, annotations: { other: '1', url: 'x' } });
  });

  it('acquires a released lease at once', () => {
    const d = decideAttempt({ identity: 'b', now: 10, leading: false, timings, annotations: {}, observation: observed(record({ holderIdentity: '' }), 5) });
    expect(d.kind).toBe('acquire');
  });

  it('renews its own lease while leading, keeping acquireTime and transitions', () => {
    const d = decideAttempt({ identity: 'a', now: 900, leading: true, timings, annotations: {}, observation: observed(record({ acquireTime: 50 }), 800) });
    expect(d.kind).toBe('renew');
    if (d.kind !== 'renew') return;
    expect(d.record).toMatchObject({ holderIdentity: 'a', acquireTime: 50, renewTime: 900, leaseTransitions: 3 });
  });

  it('starts a new tenure (new epoch) when the lease names us but we stepped down', () => {
    const d = decideAttempt({ identity: 'a', now: 900, leading: false, heldBefore: true, timings, annotations: {}, observation: observed(record({}), 800) });
    expect(d.kind).toBe('acquire');
    if (d.kind !== 'acquire') return;
    expect(d.record.leaseTransitions).toBe(4);
  });

  it('waits out a valid lease naming us that an earlier run of our identity wrote (a restarted process)', () => {
    const valid = decideAttempt({ identity: 'a', now: 900, leading: false, timings, annotations: {}, observation: observed(record({}), 800) });
    expect(valid).toEqual({ kind: 'held-by-other', holder: 'a', expiresAt: 800 + timings.leaseDurationMs });
    const expired = decideAttempt({ identity: 'a', now: 800 + timings.leaseDurationMs, leading: false, timings, annotations: {}, observation: observed(record({}), 800) });
    expect(expired.kind).toBe('acquire');
  });
});

describe('fencing arithmetic', () => {
  it('a leader stops acting before any candidate may acquire', () => {
    const renewStart = 1000;
    const others = observed(record({}), renewStart + 1); // others see the renewal after it started
    const expiresForOthers = isHeldBy(others, 0)!.expiresAt;
    expect(leadershipValidUntil(renewStart, timings)).toBeLessThan(expiresForOthers);
  });

  it('refuses timings that would allow two leaders', () => {
    expect(validateTimings(timings)).toEqual([]);
    expect(validateTimings({ leaseDurationMs: 3000, renewDeadlineMs: 3000, retryPeriodMs: 500 })).toHaveLength(1);
    expect(validateTimings({ leaseDurationMs: 4000, renewDeadlineMs: 400, retryPeriodMs: 500 })).toHaveLength(1);
  });
});

describe('observe', () => {
  it('keeps observedAt while the holder record is unchanged and moves it on a renewal', () => {
    const first = observe(undefined, { record: record({}), version: '1' }, 100)!;
    expect(observe(first, { record: record({}), version: '1' }, 500)!.observedAt).toBe(100);
    expect(observe(first, { record: record({ renewTime: 50 }), version: '2' }, 500)!.observedAt).toBe(500);
    // An annotation-only write (a backup's sync report) is not a renewal: the expiry clock keeps running.
    expect(observe(first, { record: record({ annotations: { synced: 'false' } }), version: '2' }, 500)!.observedAt).toBe(100);
    expect(observe(first, undefined, 500)).toBeUndefined();
  });
});

describe('releasedRecord', () => {
  it('clears the holder and its annotations, keeps transitions and foreign annotations', () => {
    const r = releasedRecord(record({ annotations: { mine: 'u', theirs: 'x' } }), 77, ['mine']);
    expect(r).toEqual({ holderIdentity: '', acquireTime: 77, renewTime: 77, leaseDurationSeconds: 1, leaseTransitions: 3, annotations: { theirs: 'x' } });
  });
});

describe('candidateDelay', () => {
  it('spreads candidates over [retry, retry * 1.2)', () => {
    expect(candidateDelay(timings, 0)).toBe(500);
    expect(candidateDelay(timings, 0.999)).toBeCloseTo(599.9, 0);
  });
});

describe('decideTakeover (crash failover)', () => {
  const base = { identity: 'b', crashed: 'a', now: 5000, timings, annotations: { url: 'http://b' } };
  it('takes a lease that still names the crashed holder, before it expires, with a new epoch and a compare-and-swap', () => {
    const decision = decideTakeover({ ...base, current: { record: record({ renewTime: 4900, annotations: { keep: '1' } }), version: '9' } });
    expect(decision).toEqual({
      kind: 'acquire',
      version: '9',
      record: { holderIdentity: 'b', acquireTime: 5000, renewTime: 5000, leaseDurationSeconds: 4, leaseTransitions: 4, annotations: { keep: '1', url: 'http://b' } },
    });
  });
  it('refuses when the lease names someone else or nobody, or is gone, or names itself', () => {
    expect(decideTakeover({ ...base, current: { record: record({ holderIdentity: 'c' }), version: '9' } })).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/names c/) });
    expect(decideTakeover({ ...base, current: { record: record({ holderIdentity: '' }), version: '9' } })).toMatchObject({ kind: 'refuse' });
    expect(decideTakeover({ ...base, current: undefined })).toMatchObject({ kind: 'refuse' });
    expect(decideTakeover({ ...base, crashed: 'b', current: { record: record({ holderIdentity: 'b' }), version: '9' } })).toMatchObject({ kind: 'refuse' });
  });
});

describe('failsafeValidUntil', () => {
  it('a confirmation of a probe sent at t holds until t + renew deadline, which is before the backup\'s promise (t + lease duration) ends', () => {
    expect(failsafeValidUntil(1000, 2000, timings)).toBe(2000 + timings.renewDeadlineMs);
    expect(2000 + timings.renewDeadlineMs).toBeLessThan(2000 + timings.leaseDurationMs);
  });
  it('never shortens what the leader has', () => {
    expect(failsafeValidUntil(9000, 2000, timings)).toBe(9000);
  });
});

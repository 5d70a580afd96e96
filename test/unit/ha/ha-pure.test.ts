import { describe, expect, it } from 'vitest';
import { interactionIdOf } from '../../../runtime/ha/high-availability.ts';
import { holderAnnotations, roleStateOf } from '../../../runtime/ha/lease-role-source.ts';
import { planRestartBatches } from '../../../runtime/ha/restart-throttle.ts';

describe('planRestartBatches', () => {
  it('groups restarts by session-processing-threads', () => {
    expect(planRestartBatches(20, 8)).toEqual([{ from: 0, to: 8 }, { from: 8, to: 16 }, { from: 16, to: 20 }]);
    expect(planRestartBatches(0, 8)).toEqual([]);
    expect(planRestartBatches(3, 0)).toHaveLength(3);
  });
});

describe('interactionIdOf', () => {
  it('finds the interaction id among start parameters, whatever its spelling', () => {
    expect(interactionIdOf({ InteractionId: 'c1' })).toBe('c1');
    expect(interactionIdOf({ interaction_id: 'c2', other: 1 })).toBe('c2');
    expect(interactionIdOf({ 'interaction-id': '' })).toBeUndefined();
    expect(interactionIdOf({})).toBeUndefined();
  });
});

describe('roleStateOf', () => {
  const observed = { holderIdentity: 'p', acquireTime: 0, renewTime: 0, leaseDurationSeconds: 2, leaseTransitions: 4, annotations: holderAnnotations('http://p:1', 'p:2') };
  it('a leader is primary and names itself', () => {
    expect(roleStateOf('p', { leading: true, epoch: 4, observed, observedHolderValid: true, failsafe: false })).toEqual({ role: 'primary', epoch: 4, primaryIdentity: 'p', primaryUrl: 'http://p:1', primarySyncAddress: 'p:2' });
  });
  it('a backup learns where its primary is, but only while that lease is valid', () => {
    expect(roleStateOf('b', { leading: false, epoch: 0, observed, observedHolderValid: true, failsafe: false })).toMatchObject({ role: 'backup', primaryIdentity: 'p', primaryUrl: 'http://p:1', primarySyncAddress: 'p:2' });
    expect(roleStateOf('b', { leading: false, epoch: 0, observed, observedHolderValid: false, failsafe: false })).toEqual({ role: 'backup', epoch: 0, primaryIdentity: undefined, primaryUrl: undefined, primarySyncAddress: undefined });
  });
  it('a restarted process never names itself as its primary (the lease names an earlier run of it)', () => {
    expect(roleStateOf('p', { leading: false, epoch: 0, observed, observedHolderValid: true, failsafe: false })).toEqual({ role: 'backup', epoch: 0, primaryIdentity: undefined, primaryUrl: undefined, primarySyncAddress: undefined });
  });
  it('a primary serving on its backup\'s confirmations says so', () => {
    expect(roleStateOf('p', { leading: true, epoch: 4, observed, observedHolderValid: true, failsafe: true })).toMatchObject({ role: 'primary', failsafe: true });
  });
});

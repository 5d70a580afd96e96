import { describe, expect, it } from 'vitest';
import { switchoverOutcome, switchoverRefusal, type SwitchoverRequest } from '../../../runtime/cli/kubectl-ors/switchover-outcome.ts';
import type { ClusterSnapshot } from '../../../runtime/cli/kubectl-ors/cluster-snapshot.ts';
import { twoNodeSnapshot } from './snapshot-fixture.ts';

const request: SwitchoverRequest = { node: 1, value: '1/kubectl-ors-1', previousPrimary: 'cc-node-1-0', requestedAt: '2026-12-03T06:00:00.000Z' };
const later = (patch: Partial<ClusterSnapshot>, at = '2026-12-03T06:00:04.500Z'): ClusterSnapshot => ({ ...twoNodeSnapshot(), at, events: [], ...patch });
const node1 = (primary: string, ready: boolean) => [{ id: 1, primary, backup: 'cc-node-1-0', ready, synced: false }];

describe('kubectl ors switchover outcome', () => {
  it('waits for the operator, then for the new primary to be Ready, then reports it and the time taken', () => {
    expect(switchoverOutcome(request, later({ handledSwitchoverRequest: '0/x' }))).toEqual({ kind: 'pending', why: 'the operator has not acted on the request yet' });
    const waiting = later({ events: [{ time: '2026-12-03T06:00:01Z', type: 'Normal', reason: 'BackupNotSynced', object: 'OrsCluster/cc', message: 'manual switchover of node 1: waiting for the backup to be synced', count: 1 }] });
    expect(switchoverOutcome(request, waiting)).toEqual({ kind: 'pending', why: 'manual switchover of node 1: waiting for the backup to be synced' });
    expect(switchoverOutcome(request, later({ handledSwitchoverRequest: request.value, nodes: node1('cc-node-1-0', true) })).kind).toBe('pending');
    expect(switchoverOutcome(request, later({ handledSwitchoverRequest: request.value, nodes: node1('cc-node-1-1', false) }))).toEqual({
      kind: 'pending',
      why: 'node 1: cc-node-1-1 holds the Lease, not Ready yet',
    });
    expect(switchoverOutcome(request, later({ handledSwitchoverRequest: request.value, nodes: node1('cc-node-1-1', true) }))).toEqual({ kind: 'done', newPrimary: 'cc-node-1-1', seconds: 4.5 });
  });

  it('fails on the operator\'s rejection of this request, not on an older one', () => {
    const event = (time: string) => ({ time, type: 'Warning', reason: 'InvalidSwitchoverRequest', object: 'OrsCluster/cc', message: 'ors.dev/switchover names node 1, which does not exist', count: 1 });
    expect(switchoverOutcome(request, later({ events: [event('2026-12-03T05:00:00Z')] })).kind).toBe('pending');
    expect(switchoverOutcome(request, later({ events: [event('2026-12-03T06:00:01Z')] }))).toEqual({
      kind: 'failed',
      why: 'the operator rejected the request: ors.dev/switchover names node 1, which does not exist',
    });
  });

  it('refuses a node that does not exist or is being removed before asking', () => {
    expect(switchoverRefusal(twoNodeSnapshot(), 1)).toBeUndefined();
    expect(switchoverRefusal(twoNodeSnapshot(), 2)).toBe('OrsCluster cc has no node 2 (it has 2)');
    expect(switchoverRefusal(twoNodeSnapshot(), Number.NaN)).toMatch(/node index/);
    expect(switchoverRefusal({ ...twoNodeSnapshot(), nodes: [{ id: 1, ready: true, synced: true, draining: true }] }, 1)).toBe('node 1 is being removed (draining)');
  });
});

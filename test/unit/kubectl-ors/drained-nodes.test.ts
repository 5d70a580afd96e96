import { describe, expect, it } from 'vitest';
import { drainedNodesValue } from '../../../runtime/cli/kubectl-ors/drained-nodes.ts';
import { renderStatus } from '../../../runtime/cli/kubectl-ors/status-view.ts';
import { twoNodeSnapshot } from './snapshot-fixture.ts';

describe('kubectl ors drain / undrain', () => {
  it('adds and removes a node in the drained-nodes list, dropping the annotation when it is empty', () => {
    expect(drainedNodesValue(undefined, 1, true)).toBe('1');
    expect(drainedNodesValue('2,0', 1, true)).toBe('0,1,2');
    expect(drainedNodesValue('1', 1, true)).toBe('1');
    expect(drainedNodesValue('0,1', 1, false)).toBe('0');
    expect(drainedNodesValue('1', 1, false)).toBeNull();
    expect(drainedNodesValue(undefined, 1, false)).toBeNull();
  });

  it('status marks a drained node and a node being removed', () => {
    const snapshot = twoNodeSnapshot();
    snapshot.leases[1] = { ...snapshot.leases[1]!, drainSince: '2026-12-03T05:59:00Z' };
    snapshot.nodes[0] = { ...snapshot.nodes[0]!, draining: true };
    const text = renderStatus(snapshot, { colour: false });
    expect(text).toMatch(/^0 \(removing\) +cc-node-0-1 /m);
    expect(text).toMatch(/^1 \(drained\) +cc-node-1-0 /m);
  });
});

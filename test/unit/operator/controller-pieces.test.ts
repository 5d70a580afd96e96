// The controller's pure pieces: the work queue's dedup/backoff, which cluster a change
// concerns, the reduction of API objects to observed state, and apply skipping.
import { describe, expect, it } from 'vitest';
import type { KubernetesObject, V1Lease, V1Node, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { WorkQueue } from '../../../operator/controller/work-queue.ts';
import { keysForChange } from '../../../operator/controller/cluster-keys.ts';
import { AppliedObjects } from '../../../operator/controller/apply-reconciler.ts';
import { leaseNodeId, observeCluster } from '../../../operator/planning/observed-from-objects.ts';
import { collectionPath, pathOf, resourceType } from '../../../operator/controller/resource-paths.ts';
import { WATCHED_KINDS } from '../../../operator/controller/informers.ts';
import { isOwnWrite, orsClusterChanged, trimForCache } from '../../../operator/controller/change-filters.ts';
import { isOwnedBy, ownershipConflict } from '../../../operator/controller/ownership.ts';

describe('work queue', () => {
  it('does not duplicate a queued key, and re-runs a key changed while it was processed', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(await q.take()).toBe('a');
    q.add('a'); // while processing
    expect(await q.take()).toBe('b');
    q.done('a');
    expect(await q.take()).toBe('a');
    q.done('a');
    q.done('b');
    q.shutDown();
    expect(await q.take()).toBeUndefined();
  });

  it('gathers a burst of changes into one later add, never pushed back', async () => {
    const q = new WorkQueue();
    q.addSoon('k', 50);
    await new Promise((r) => setTimeout(r, 30));
    q.addSoon('k', 50); // does not reset the pending add
    q.addSoon('k', 50);
    await new Promise((r) => setTimeout(r, 30));
    expect(await q.take()).toBe('k');
    q.done('k');
    q.add('j');
    q.addSoon('j', 10); // already queued: nothing more
    expect(await q.take()).toBe('j');
    q.done('j');
    q.addAfter('m', 60_000); // a wait's recheck...
    q.addSoon('m', 20); // ...does not hold back a change
    await new Promise((r) => setTimeout(r, 40));
    expect(await q.take()).toBe('m');
    q.done('m');
    await new Promise((r) => setTimeout(r, 30));
    q.shutDown();
    expect(await q.take()).toBeUndefined();
  });

  it('backs off exponentially per key until forgotten', () => {
    const q = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 1000 });
    expect([q.retry('k'), q.retry('k'), q.retry('k'), q.retry('k'), q.retry('k')]).toEqual([100, 200, 400, 800, 1000]);
    q.forget('k');
    expect(q.retry('k')).toBe(100);
    q.shutDown();
  });
});

describe('which cluster a change concerns', () => {
  const lookup = {
    clusterExists: (ns: string, name: string) => ns === 'n' && (name === 'demo' || name === 'a-node-1'),
    pods: () => [{ metadata: { namespace: 'n', name: 'demo-node-0-0', labels: { 'ors.dev/cluster': 'demo' } }, spec: { nodeName: 'k1', containers: [] } }] as V1Pod[],
  };
  it('maps owned objects by label, Leases by name, Kubernetes nodes by the pods on them', () => {
    expect(keysForChange('OrsCluster', { metadata: { namespace: 'n', name: 'demo' } }, lookup)).toEqual(['n/demo']);
    expect(keysForChange('StatefulSet', { metadata: { namespace: 'n', name: 'x', labels: { 'ors.dev/cluster': 'demo' } } }, lookup)).toEqual(['n/demo']);
    expect(keysForChange('Lease', { metadata: { namespace: 'n', name: 'demo-node-12' } }, lookup)).toEqual(['n/demo']);
    expect(keysForChange('Lease', { metadata: { namespace: 'n', name: 'other-node-1' } }, lookup)).toEqual([]);
    expect(keysForChange('Lease', { metadata: { namespace: 'n', name: 'ors-operator' } }, lookup)).toEqual([]);
    expect(keysForChange('Node', { metadata: { name: 'k1' } }, lookup)).toEqual(['n/demo']);
    expect(keysForChange('Node', { metadata: { name: 'k2' } }, lookup)).toEqual([]);
  });
});

describe('observed state from API objects', () => {
  it('reads pods, StatefulSets, the Lease contract annotations and cordoned nodes', () => {
    const state = observeCluster('demo', {
      pods: [
        { metadata: { name: 'demo-node-0-0', labels: { 'ors.dev/cluster': 'demo', 'ors.dev/node': '0', 'controller-revision-hash': 'r1' }, creationTimestamp: new Date('2026-01-01T00:00:00Z') }, spec: { nodeName: 'k1', containers: [] }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
        { metadata: { name: 'other-node-0-0', labels: { 'ors.dev/cluster': 'other', 'ors.dev/node': '0' } }, spec: { containers: [] } },
      ] as V1Pod[],
      statefulSets: [{ metadata: { name: 'demo-node-0', labels: { 'ors.dev/cluster': 'demo', 'ors.dev/node': '0' } }, status: { updateRevision: 'r2', replicas: 2 } }] as V1StatefulSet[],
      leases: [
        { metadata: { name: 'demo-node-0', annotations: { 'ors.dev/sync-state': '{"backup":"demo-node-0-1","primary":"demo-node-0-0","synced":true,"at":"x"}', 'ors.dev/step-down': 'demo-node-0-0', 'ors.dev/active-sessions': '3' } }, spec: { holderIdentity: 'demo-node-0-0', leaseTransitions: 2 } },
        { metadata: { name: 'demo-node-x' }, spec: {} },
      ] as V1Lease[],
      kubeNodes: [{ metadata: { name: 'k1' }, spec: { unschedulable: true } }, { metadata: { name: 'k2' }, spec: {} }] as V1Node[],
    });
    expect(state.pods).toEqual([{ name: 'demo-node-0-0', node: 0, revision: 'r1', ready: true, deleting: false, createdAt: '2026-01-01T00:00:00.000Z', kubeNode: 'k1' }]);
    expect(state.statefulSets).toEqual([{ node: 0, updateRevision: 'r2', statusCurrent: true }]);
    expect(state.leases).toEqual([expect.objectContaining({ node: 0, holder: 'demo-node-0-0', transitions: 2, stepDown: 'demo-node-0-0', activeSessions: 3, syncState: expect.objectContaining({ synced: true }) })]);
    expect([...state.cordonedKubeNodes]).toEqual(['k1']);
  });

  it('reads the primary\'s load report; a malformed one is absent', () => {
    const report = { primary: 'demo-node-0-0', sessions: 3, syncLagMs: 12, at: '2026-01-01T00:00:00.000Z' };
    const observed = (value: string) => observeCluster('demo', { pods: [], statefulSets: [], kubeNodes: [], leases: [{ metadata: { name: 'demo-node-0', annotations: { 'ors.dev/primary-load': value } }, spec: {} }] as V1Lease[] }).leases[0]!;
    expect(observed(JSON.stringify(report)).primaryLoad).toEqual(report);
    for (const bad of ['{nope', JSON.stringify({ ...report, sessions: 1.5 }), JSON.stringify({ ...report, primary: '' }), JSON.stringify({ ...report, syncLagMs: -1 })]) {
      expect(observed(bad).primaryLoad, bad).toBeUndefined();
    }
  });

  it('treats a malformed sync-state annotation as not synced', () => {
    const state = observeCluster('demo', { pods: [], statefulSets: [], kubeNodes: [], leases: [{ metadata: { name: 'demo-node-0', annotations: { 'ors.dev/sync-state': '{nope' } }, spec: {} }] as V1Lease[] });
    expect(state.leases[0]!.syncState).toBeUndefined();
    expect(leaseNodeId('demo', 'demo-node-007')).toBeUndefined();
    expect(leaseNodeId('demo', 'demo-node-7')).toBe(7);
  });
});

describe('apply skipping', () => {
  const o: KubernetesObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n' } };
  it('skips an identical body unless the watched copy changed or was deleted', () => {
    const applied = new AppliedObjects();
    expect(applied.unchanged(o, 'h1', undefined, true, 0)).toBe(false);
    applied.remember(o, 'h1', { metadata: { resourceVersion: '5' } }, 0);
    expect(applied.unchanged(o, 'h1', undefined, true, 0)).toBe(true); // informer lagging
    expect(applied.unchanged(o, 'h1', { metadata: { resourceVersion: '5' } }, true, 0)).toBe(true);
    expect(applied.unchanged(o, 'h1', { metadata: { resourceVersion: '9' } }, true, 0)).toBe(false); // someone edited it
    expect(applied.unchanged(o, 'h2', { metadata: { resourceVersion: '5' } }, true, 0)).toBe(false); // new desired state
    applied.forget(o);
    expect(applied.unchanged(o, 'h1', undefined, true, 0)).toBe(false);
  });

  it('compares generations where objects have them (status updates do not count)', () => {
    const applied = new AppliedObjects();
    applied.remember(o, 'h', { metadata: { resourceVersion: '5', generation: 1 } }, 0);
    expect(applied.unchanged(o, 'h', { metadata: { resourceVersion: '8', generation: 1 } }, true, 0)).toBe(true);
    expect(applied.unchanged(o, 'h', { metadata: { resourceVersion: '9', generation: 2 } }, true, 0)).toBe(false);
  });

  it('re-applies unwatched kinds after five minutes', () => {
    const applied = new AppliedObjects();
    applied.remember(o, 'h', {}, 0);
    expect(applied.unchanged(o, 'h', undefined, false, 60_000)).toBe(true);
    expect(applied.unchanged(o, 'h', undefined, false, 301_000)).toBe(false);
  });
});

describe('REST paths', () => {
  it('builds core, group and cluster-scoped paths', () => {
    expect(pathOf('v1', 'Pod', 'n', 'p', 'status')).toBe('/api/v1/namespaces/n/pods/p/status');
    expect(pathOf('ors.dev/v1alpha1', 'OrsCluster', 'n', 'c')).toBe('/apis/ors.dev/v1alpha1/namespaces/n/orsclusters/c');
    expect(collectionPath(resourceType('v1', 'Node'), 'n')).toBe('/api/v1/nodes');
    expect(() => resourceType('v9', 'Thing')).toThrow(/no REST path known for v9 Thing/);
  });
});

describe('which watch events matter', () => {
  const lease = (holder: string, renew: string, annotations: Record<string, string> = {}) =>
    ({ metadata: { name: 'l', annotations }, spec: { holderIdentity: holder, renewTime: renew } }) as KubernetesObject;
  const relevant = WATCHED_KINDS.find((k) => k.kind === 'Lease')!.relevant!;
  it('ignores Lease renewals, passes holder changes and contract annotations', () => {
    expect(relevant(lease('a', 't1'), lease('a', 't2'))).toBe(false);
    expect(relevant(lease('a', 't1'), lease('b', 't2'))).toBe(true);
    expect(relevant(lease('a', 't1'), lease('a', 't2', { 'ors.dev/sync-state': '{}' }))).toBe(true);
    expect(relevant(lease('a', 't1'), lease('a', 't2', { 'other/annotation': 'x' }))).toBe(false);
  });
  it('ignores the primary\'s load report, which changes with its renewals', () => {
    const load = (sessions: number, at: string) => ({ 'ors.dev/primary-load': JSON.stringify({ primary: 'a', sessions, syncLagMs: 0, at }), 'ors.dev/sync-state': '{}' });
    expect(relevant(lease('a', 't1', load(1, 't1')), lease('a', 't2', load(5, 't2')))).toBe(false);
    expect(relevant(lease('a', 't1'), lease('a', 't2', { 'ors.dev/primary-load': '{}' }))).toBe(false);
    expect(relevant(lease('a', 't1', load(1, 't1')), lease('b', 't2', load(1, 't1')))).toBe(true);
  });
  it('passes Kubernetes node changes only when cordoning changes', () => {
    const nodeRelevant = WATCHED_KINDS.find((k) => k.kind === 'Node')!.relevant!;
    const node = (unschedulable: boolean, rv: string) => ({ metadata: { name: 'k', resourceVersion: rv }, spec: { unschedulable } }) as KubernetesObject;
    expect(nodeRelevant(node(false, '1'), node(false, '2'))).toBe(false);
    expect(nodeRelevant(node(false, '1'), node(true, '2'))).toBe(true);
  });
});

describe('which watch events matter', () => {
  const entry = (manager: string, time: string, operation = 'Apply', subresource?: string) => ({ manager, operation, time, ...(subresource ? { subresource } : {}) });
  const withFields = (...managedFields: object[]) => ({ metadata: { name: 'x', managedFields } }) as KubernetesObject;

  it('skips the operator\'s own apply, but not a later or same-second write by anyone else', () => {
    expect(isOwnWrite(withFields(entry('ors-operator', '2026-01-01T00:00:05Z')))).toBe(true);
    expect(isOwnWrite(withFields(entry('ors-operator', '2026-01-01T00:00:05Z'), entry('kube-controller-manager', '2026-01-01T00:00:01Z', 'Update', 'status')))).toBe(true);
    expect(isOwnWrite(withFields(entry('ors-operator', '2026-01-01T00:00:05Z'), entry('kube-controller-manager', '2026-01-01T00:00:06Z', 'Update', 'status')))).toBe(false);
    expect(isOwnWrite(withFields(entry('ors-operator', '2026-01-01T00:00:05Z'), entry('kubectl-edit', '2026-01-01T00:00:05Z', 'Update')))).toBe(false);
    expect(isOwnWrite(withFields(entry('kubectl', '2026-01-01T00:00:05Z')))).toBe(false);
    expect(isOwnWrite({ metadata: { name: 'x' } })).toBe(false);
  });

  it('passes OrsCluster updates of spec, annotations, finalizers and deletion, not status writes', () => {
    const base = { metadata: { name: 'c', generation: 1, resourceVersion: '1', annotations: { a: '1' }, finalizers: ['f'] } } as KubernetesObject;
    const status = { metadata: { ...base.metadata, resourceVersion: '2' } } as KubernetesObject;
    expect(orsClusterChanged(base, status)).toBe(false);
    expect(orsClusterChanged(base, { metadata: { ...base.metadata, generation: 2 } })).toBe(true);
    expect(orsClusterChanged(base, { metadata: { ...base.metadata, annotations: { a: '2' } } })).toBe(true);
    expect(orsClusterChanged(base, { metadata: { ...base.metadata, finalizers: [] } })).toBe(true);
    expect(orsClusterChanged(base, { metadata: { ...base.metadata, deletionTimestamp: new Date() } })).toBe(true);
    expect(orsClusterChanged(undefined, base)).toBe(true);
  });

  it('keeps of a pod only what the planners read', () => {
    const p = {
      metadata: { name: 'p', labels: { a: 'b' }, managedFields: [{}], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'me' } },
      spec: { nodeName: 'k1', containers: [{ name: 'c', image: 'i' }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{}] },
    } as KubernetesObject;
    trimForCache('Pod', p);
    expect(p).toEqual({
      metadata: { name: 'p', labels: { a: 'b' }, annotations: { keep: 'me' } },
      spec: { nodeName: 'k1' },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
  });
});

describe('ownership', () => {
  const owned = (uid: string, kind = 'OrsCluster', name = 'other') => ({ metadata: { name: 'svc', ownerReferences: [{ apiVersion: 'v', kind, name, uid, controller: true }] } }) as KubernetesObject;
  it('owns only what its uid controls, and says who does own the rest', () => {
    expect(isOwnedBy(owned('u1'), 'u1')).toBe(true);
    expect(isOwnedBy(owned('u2'), 'u1')).toBe(false);
    expect(isOwnedBy({ metadata: { name: 'svc' } }, 'u1')).toBe(false);
    expect(ownershipConflict('Service', owned('u2'))).toBe('Service svc already exists and belongs to OrsCluster other; the operator leaves it alone (rename or delete it)');
    expect(ownershipConflict('Service', owned('u2', 'Deployment', 'web'))).toContain('belongs to Deployment web');
    expect(ownershipConflict('Service', { metadata: { name: 'svc' } })).toContain('has no controller (created by someone else)');
  });
});


import type { V1Lease, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { buildStatusPage, StatusPageSchema, type ListedEvent, type ListedOrsCluster } from '../../../operator/status-page/page-model.ts';

const NOW = new Date('2026-01-01T00:10:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();

const orsCluster = (name: string, nodes: number): ListedOrsCluster => ({
  apiVersion: 'ors.dev/v1alpha1', kind: 'OrsCluster', metadata: { name, namespace: 'ns' }, spec: { nodes },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', reason: 'AllNodesReady', message: '2 nodes with a ready primary' }] },
} as ListedOrsCluster);

const pod = (cluster: string, node: number, ordinal: number, ready: boolean): V1Pod => ({
  metadata: { name: `${cluster}-node-${node}-${ordinal}`, namespace: 'ns', labels: { 'ors.dev/cluster': cluster, 'ors.dev/node': String(node) } },
  spec: { nodeName: 'kube-a', containers: [] },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

function lease(cluster: string, node: number, holder: string, transitions: number, annotations: Record<string, string> = {}): V1Lease {
  return {
    metadata: { name: `${cluster}-node-${node}`, namespace: 'ns', annotations },
    spec: { holderIdentity: holder, acquireTime: new Date(ago(60)), leaseDurationSeconds: 15, leaseTransitions: transitions },
  };
}

const syncState = (backup: string, primary: string, synced: boolean, at: string) => ({ 'ors.dev/sync-state': JSON.stringify({ backup, primary, synced, at }) });

describe('status page model', () => {
  it('shows every node with its primary and backup pods, readiness, sync and sessions', () => {
    const page = buildStatusPage({
      source: 'kubernetes',
      clusters: [orsCluster('c', 2)],
      pods: [pod('c', 0, 0, true), pod('c', 0, 1, false), pod('c', 1, 0, false), pod('c', 1, 1, true), pod('other', 0, 0, true)],
      leases: [
        lease('c', 0, 'c-node-0-0', 1, syncState('c-node-0-1', 'c-node-0-0', true, ago(50))),
        lease('c', 1, 'c-node-1-1', 2, { ...syncState('c-node-1-0', 'c-node-1-1', false, ago(30)), 'ors.dev/active-sessions': '7' }),
      ],
      events: [],
      podSessions: new Map([['ns/c-node-0-0', 3]]),
      now: NOW,
    });
    expect(StatusPageSchema.parse(page)).toEqual(page);
    expect(page.clusters).toHaveLength(1);
    const [c] = page.clusters;
    expect(c).toMatchObject({ name: 'c', namespace: 'ns', phase: 'Running', desiredNodes: 2, readyNodes: 2, sessions: 10 });
    expect(c!.nodes[0]).toMatchObject({ id: 0, primary: 'c-node-0-0', backup: 'c-node-0-1', ready: true, synced: true, syncLagSeconds: 0, sessions: 3, transitions: 1 });
    expect(c!.nodes[0]!.lastFailover).toBeUndefined();
    expect(c!.nodes[0]!.pods.map((p) => [p.name, p.role, p.ready])).toEqual([['c-node-0-0', 'primary', true], ['c-node-0-1', 'backup', false]]);
    expect(c!.nodes[1]).toMatchObject({ id: 1, primary: 'c-node-1-1', backup: 'c-node-1-0', synced: false, syncLagSeconds: 30, sessions: 7, lastFailover: ago(60) });
  });

  it('a node without pods or Lease is listed, not ready, without a lag', () => {
    const page = buildStatusPage({ source: 'local', clusters: [orsCluster('c', 1)], pods: [], leases: [], events: [], now: NOW });
    expect(page.clusters[0]!.nodes).toEqual([{ id: 0, pods: [], ready: false, synced: false, failsafe: false, draining: false, transitions: 0 }]);
  });

  it('puts failovers on the timeline (from events and from Leases) and lists the events about the cluster, newest first', () => {
    const events: ListedEvent[] = [
      { metadata: { name: 'e1', namespace: 'ns' }, eventTime: ago(120), reason: 'SwitchedOver', note: 'node 0: primary is now c-node-0-1', type: 'Normal', regarding: { kind: 'OrsCluster', name: 'c', namespace: 'ns' } },
      { metadata: { name: 'e2', namespace: 'ns' }, eventTime: ago(100), reason: 'BackupNotSynced', note: 'node 0: waiting', type: 'Normal', series: { count: 4, lastObservedTime: ago(10) }, regarding: { kind: 'OrsCluster', name: 'c', namespace: 'ns' } },
      { metadata: { name: 'e3', namespace: 'ns' }, lastTimestamp: ago(5), reason: 'Killing', message: 'Stopping container runtime', type: 'Normal', involvedObject: { kind: 'Pod', name: 'c-node-1-0', namespace: 'ns' } },
      { metadata: { name: 'e4', namespace: 'ns' }, eventTime: ago(1), reason: 'SwitchedOver', note: 'elsewhere', regarding: { kind: 'OrsCluster', name: 'other', namespace: 'ns' } },
    ];
    const page = buildStatusPage({
      source: 'kubernetes', clusters: [orsCluster('c', 2)], pods: [pod('c', 0, 1, true), pod('c', 1, 1, true)],
      leases: [lease('c', 0, 'c-node-0-1', 0), lease('c', 1, 'c-node-1-1', 2)], events, now: NOW,
    });
    const c = page.clusters[0]!;
    expect(c.events.map((e) => [e.reason, e.object, e.count])).toEqual([['Killing', 'Pod/c-node-1-0', 1], ['BackupNotSynced', 'OrsCluster/c', 4], ['SwitchedOver', 'OrsCluster/c', 1]]);
    expect(c.timeline).toEqual([
      { at: ago(60), node: 1, kind: 'failover', message: 'node 1: c-node-1-1 took the Lease (transition 2)' },
      { at: ago(120), node: 0, kind: 'switchover', message: 'SwitchedOver: node 0: primary is now c-node-0-1' },
    ]);
  });

  it('a failsafe primary shows while its backup keeps confirming', () => {
    const failsafe = (at: string) => ({ 'ors.dev/failsafe': JSON.stringify({ primary: 'c-node-0-0', active: true, confirmedBy: 'c-node-0-1', at }) });
    const build = (at: string) => buildStatusPage({ source: 'kubernetes', clusters: [orsCluster('c', 1)], pods: [pod('c', 0, 0, true)], leases: [lease('c', 0, 'c-node-0-0', 0, failsafe(at))], events: [], now: NOW });
    expect(build(ago(5)).clusters[0]!.nodes[0]!.failsafe).toBe(true);
    expect(build(ago(300)).clusters[0]!.nodes[0]!.failsafe).toBe(false);
  });

  describe('the primary\'s load report on the Lease (Kubernetes, outside a drain)', () => {
    const load = (primary: string, sessions: number, syncLagMs: number, at: string) =>
      ({ 'ors.dev/primary-load': JSON.stringify({ primary, sessions, syncLagMs, at }) });
    const node = (annotations: Record<string, string>, podSessions?: Map<string, number>) => buildStatusPage({
      source: 'kubernetes', clusters: [orsCluster('c', 1)], pods: [pod('c', 0, 0, true), pod('c', 0, 1, false)],
      leases: [lease('c', 0, 'c-node-0-0', 1, annotations)], events: [], now: NOW, ...(podSessions ? { podSessions } : {}),
    }).clusters[0]!;
    const synced = syncState('c-node-0-1', 'c-node-0-0', true, ago(50));

    it('a fresh report by the holder gives the sessions and, while synced, the real sync lag', () => {
      const c = node({ ...synced, ...load('c-node-0-0', 4, 37, ago(2)) });
      expect(c.nodes[0]).toMatchObject({ synced: true, syncLagSeconds: 0.037, sessions: 4 });
      expect(c.sessions).toBe(4);
    });

    it('a stale report, or one by another pod (the previous holder), is not shown as current', () => {
      // 2 x the lease duration (15 s) is the limit.
      for (const annotations of [load('c-node-0-0', 4, 37, ago(31)), load('c-node-0-1', 4, 37, ago(1))]) {
        const c = node({ ...synced, ...annotations });
        expect(c.nodes[0]!.sessions).toBeUndefined();
        expect(c.nodes[0]!.syncLagSeconds).toBe(0);
      }
      expect(node({ ...synced, ...load('c-node-0-0', 4, 37, ago(29)) }).nodes[0]!.sessions).toBe(4);
    });

    it('not synced: the time out of sync, not the primary\'s lag to nobody', () => {
      const c = node({ ...syncState('c-node-0-1', 'c-node-0-0', false, ago(12)), ...load('c-node-0-0', 2, 0, ago(1)) });
      expect(c.nodes[0]).toMatchObject({ synced: false, syncLagSeconds: 12, sessions: 2 });
    });

    it('a count asked of the pod comes first; the report comes before the drain count', () => {
      expect(node(load('c-node-0-0', 4, 0, ago(1)), new Map([['ns/c-node-0-0', 6]])).nodes[0]!.sessions).toBe(6);
      expect(node({ ...load('c-node-0-0', 4, 0, ago(1)), 'ors.dev/drain': ago(5), 'ors.dev/active-sessions': '9' }).nodes[0]!.sessions).toBe(4);
      expect(node({ ...load('c-node-0-0', 4, 0, ago(60)), 'ors.dev/drain': ago(5), 'ors.dev/active-sessions': '9' }).nodes[0]!.sessions).toBe(9);
    });

    it('a malformed report is absent', () => {
      for (const value of ['{nope', '{"primary":"c-node-0-0","sessions":-1,"syncLagMs":0,"at":"x"}', '{"primary":"c-node-0-0"}']) {
        expect(node({ 'ors.dev/primary-load': value }).nodes[0]!.sessions).toBeUndefined();
      }
    });
  });
});

import { describe, expect, it } from 'vitest';
import { parseOrsCluster } from '../../../operator/api/parse-ors-cluster.ts';
import type { OrsCluster } from '../../../operator/api/ors-cluster.ts';
import type { Action } from '../../../operator/planning/actions.ts';
import { planNextActions } from '../../../operator/planning/next-actions.ts';
import { nodeView, type ObservedLease, type ObservedPod, type ObservedState } from '../../../operator/planning/observed-state.ts';
import { computeStatus, invalidSpecStatus } from '../../../operator/planning/status-report.ts';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

function cluster(spec: Record<string, unknown> = {}, annotations?: Record<string, string>, status?: object): OrsCluster {
  const parsed = parseOrsCluster({
    metadata: { name: 'c', namespace: 'ns', uid: 'u', generation: 3, ...(annotations ? { annotations } : {}) },
    spec: { image: 'ors:1', nodes: 2, ...spec },
    status,
  });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cluster;
}

const pod = (node: number, ordinal: number, revision: string, extra: Partial<ObservedPod> = {}): ObservedPod => ({
  name: `c-node-${node}-${ordinal}`, node, revision, ready: false, deleting: false, createdAt: T0.toISOString(), kubeNode: `k${node}${ordinal}`, ...extra,
});

/** A healthy node: pod 0 primary (Ready), pod 1 synced backup. */
function healthyNode(node: number, revision = 'r1'): { pods: ObservedPod[]; lease: ObservedLease } {
  return {
    pods: [pod(node, 0, revision, { ready: true }), pod(node, 1, revision)],
    lease: {
      node, holder: `c-node-${node}-0`, renewTime: T0.toISOString(), leaseDurationSeconds: 3600, transitions: 0, acquireTime: T0.toISOString(),
      syncState: { backup: `c-node-${node}-1`, primary: `c-node-${node}-0`, synced: true, at: T0.toISOString() },
    },
  };
}

function state(nodes: number, revision = 'r1', target = revision): ObservedState {
  const parts = Array.from({ length: nodes }, (_, i) => healthyNode(i, revision));
  return {
    pods: parts.flatMap((p) => p.pods),
    leases: parts.map((p) => p.lease),
    statefulSets: parts.map((_, i) => ({ node: i, updateRevision: target, statusCurrent: true })),
    cordonedKubeNodes: new Set(),
  };
}

/**
 * Plays the cluster's part for the rollout tests: the StatefulSet controller recreates a
 * deleted pod at the target revision; the backup reports synced on the next pass; a
 * primary asked to step down releases the Lease and its backup takes it.
 */
function simulate(s: ObservedState, actions: Action[], now: Date): ObservedState {
  let pods = s.pods.map((p) => ({ ...p }));
  const leases = s.leases.map((l) => ({ ...l }));
  // Pods recreated last pass report synced now.
  for (const lease of leases) {
    const holder = pods.find((p) => p.name === lease.holder);
    const other = pods.find((p) => p.node === lease.node && p.name !== lease.holder);
    if (holder && other && !lease.syncState?.synced) lease.syncState = { backup: other.name, primary: holder.name, synced: true, at: now.toISOString() };
  }
  for (const a of actions) {
    const lease = leases.find((l) => l.node === a.node)!;
    if (a.type === 'delete-pod') {
      const target = s.statefulSets.find((x) => x.node === a.node)!.updateRevision!;
      pods = pods.map((p) => (p.name === a.pod ? { ...p, revision: target, ready: false, createdAt: now.toISOString() } : p));
      lease.syncState = { ...lease.syncState!, synced: false };
    } else if (a.type === 'request-switchover') {
      lease.stepDown = a.primary;
    } else if (a.type === 'clear-step-down') {
      delete lease.stepDown;
    }
  }
  // A requested step-down completes before the next pass.
  for (const lease of leases) {
    if (lease.stepDown && lease.stepDown === lease.holder) {
      const next = pods.find((p) => p.node === lease.node && p.name !== lease.holder)!;
      pods = pods.map((p) => (p.node === lease.node ? { ...p, ready: p.name === next.name } : p));
      lease.holder = next.name;
      lease.transitions = (lease.transitions ?? 0) + 1;
      lease.acquireTime = now.toISOString();
      lease.syncState = { ...lease.syncState!, synced: false };
    }
  }
  return { ...s, pods, leases };
}

describe('node view', () => {
  it('takes the primary from the Lease holder and the sync state from the backup\'s annotation', () => {
    const s = state(1);
    const view = nodeView(s, 0, T0);
    expect(view.primary?.name).toBe('c-node-0-0');
    expect(view.backup?.name).toBe('c-node-0-1');
    expect(view.synced).toBe(true);
  });

  it('a sync report older than the backup pod (about a previous pod of that name) is not synced', () => {
    const s = state(1);
    s.pods[1]!.createdAt = at(10).toISOString();
    expect(nodeView(s, 0, at(11)).synced).toBe(false);
    s.leases[0]!.syncState!.at = at(12).toISOString();
    expect(nodeView(s, 0, at(13)).synced).toBe(true);
  });

  it('an expired Lease has no primary; a sync state about another holder is not synced', () => {
    const s = state(1);
    expect(nodeView(s, 0, at(3601)).primary).toBeUndefined();
    s.leases[0]!.syncState = { backup: 'c-node-0-1', primary: 'c-node-0-9', synced: true, at: '' };
    expect(nodeView(s, 0, T0).synced).toBe(false);
  });
});

describe('rollout', () => {
  it('replaces the backup, waits for sync, switches over once, replaces the old primary — one node at a time', () => {
    const c = cluster();
    let s = state(2, 'r1', 'r2');
    const log: string[] = [];
    for (let pass = 0; pass < 30; pass++) {
      const now = at(pass);
      const { actions } = planNextActions(c, s, now);
      const disruptive = actions.filter((a) => a.type === 'delete-pod' || a.type === 'request-switchover');
      if (actions.length === 0) break;
      for (const a of actions) {
        if (a.type === 'delete-pod') log.push(`delete ${a.pod} (${a.reason})`);
        if (a.type === 'request-switchover') log.push(`switchover ${a.primary} (${a.reason})`);
        if (a.type === 'wait' && a.reason === 'BackupNotSynced') log.push(`wait sync node ${a.node}`);
      }
      expect(new Set(disruptive.map((a) => a.node)).size).toBeLessThanOrEqual(1);
      s = simulate(s, actions, now);
    }
    expect(log).toEqual([
      'delete c-node-0-1 (ReplaceBackup)',
      'wait sync node 0',
      'switchover c-node-0-0 (Rollout)',
      'delete c-node-0-0 (ReplaceBackup)',
      'delete c-node-1-1 (ReplaceBackup)',
      'wait sync node 1',
      'switchover c-node-1-0 (Rollout)',
      'delete c-node-1-0 (ReplaceBackup)',
    ]);
    expect(s.pods.every((p) => p.revision === 'r2')).toBe(true);
    expect(s.leases.map((l) => l.transitions)).toEqual([1, 1]);
  });

  it('holds every node while a StatefulSet has not taken the new template yet (no early rollout of a later node)', () => {
    const c = cluster();
    const s = state(2, 'r1', 'r2');
    // Node 0's StatefulSet is still the old one in the cache (old revision, old template); node 1's is new.
    s.statefulSets[0] = { node: 0, updateRevision: 'r1', templateHash: 'old-template', statusCurrent: true };
    expect(planNextActions(c, s, T0).actions).toEqual([
      expect.objectContaining({ type: 'wait', node: 0, reason: 'StatefulSetUpdating' }),
      expect.objectContaining({ type: 'wait', node: 1, reason: 'OtherNodeRollingOut' }),
    ]);
    s.statefulSets[0] = { node: 0, updateRevision: 'r1', statusCurrent: false };
    expect(planNextActions(c, s, T0).actions[0]).toEqual(expect.objectContaining({ type: 'wait', node: 0, reason: 'StatefulSetUpdating' }));
  });

  it('never switches over to an unsynced backup', () => {
    const s = state(1, 'r1', 'r2');
    s.pods[1]!.revision = 'r2';
    s.leases[0]!.syncState!.synced = false;
    const { actions } = planNextActions(cluster({ nodes: 1 }), s, T0);
    expect(actions).toEqual([expect.objectContaining({ type: 'wait', reason: 'BackupNotSynced', node: 0 })]);
  });

  it('replaces pods of a node that has served nothing for two lease durations, so a broken template can be fixed', () => {
    const s = state(1, 'r1', 'r2');
    s.leases[0]!.holder = undefined;
    expect(planNextActions(cluster({ nodes: 1 }), s, at(29)).actions).toEqual([expect.objectContaining({ type: 'wait', reason: 'NoPrimary' })]);
    expect(planNextActions(cluster({ nodes: 1 }), s, at(30)).actions).toEqual([{ type: 'delete-pod', node: 0, pod: 'c-node-0-0', reason: 'ReplaceUnservedPod' }]);
  });

  it('does not touch a node whose primary has released the Lease to step down, before the backup takes it', () => {
    const s = state(2, 'r1', 'r2');
    s.pods[1]!.revision = 'r2';
    s.leases[0]!.stepDown = 'c-node-0-0';
    s.leases[0]!.holder = undefined; // released, not yet acquired
    expect(planNextActions(cluster(), s, at(60)).actions).toEqual([
      expect.objectContaining({ type: 'wait', node: 1, reason: 'OtherNodeRollingOut' }),
    ]);
  });

  it('keeps the standby while the primary is not Ready (e.g. right after a switchover)', () => {
    const s = state(1, 'r1', 'r2');
    s.pods[0]!.ready = false;
    expect(planNextActions(cluster({ nodes: 1 }), s, T0).actions).toEqual([expect.objectContaining({ type: 'wait', reason: 'PrimaryNotReady' })]);
  });

  it('waits while a pod is missing or terminating', () => {
    const s = state(1, 'r1', 'r2');
    s.pods = s.pods.slice(0, 1);
    expect(planNextActions(cluster({ nodes: 1 }), s, T0).actions).toEqual([expect.objectContaining({ type: 'wait', reason: 'PodsStarting' })]);
  });
});

describe('drains and manual switchovers', () => {
  it('switches a primary off a cordoned Kubernetes node when its backup is synced', () => {
    const s = state(2);
    s.cordonedKubeNodes = new Set(['k10']);
    expect(planNextActions(cluster(), s, T0).actions).toEqual([{ type: 'request-switchover', node: 1, primary: 'c-node-1-0', reason: 'Drain' }]);
    s.leases[1]!.syncState!.synced = false;
    expect(planNextActions(cluster(), s, T0).actions).toEqual([expect.objectContaining({ type: 'wait', node: 1, reason: 'BackupNotSynced' })]);
  });

  it('leaves a primary alone when its backup is on a cordoned node too', () => {
    const s = state(1);
    s.cordonedKubeNodes = new Set(['k00', 'k01']);
    expect(planNextActions(cluster({ nodes: 1 }), s, T0).actions).toEqual([]);
  });

  it('clears the step-down request once the holder changed', () => {
    const s = state(1);
    s.leases[0]!.stepDown = 'c-node-0-1';
    expect(planNextActions(cluster({ nodes: 1 }), s, T0).actions).toEqual([{ type: 'clear-step-down', node: 0 }]);
  });

  it('handles a manual switchover request once, for the node it names', () => {
    const s = state(2);
    const requested = planNextActions(cluster({}, { 'ors.dev/switchover': '1' }), s, T0);
    expect(requested.actions).toEqual([{ type: 'request-switchover', node: 1, primary: 'c-node-1-0', reason: 'Manual' }]);
    expect(requested.handledSwitchoverRequest).toBe('1');
    const again = planNextActions(cluster({}, { 'ors.dev/switchover': '1' }, { handledSwitchoverRequest: '1' }), s, T0);
    expect(again.actions).toEqual([]);
    const bad = planNextActions(cluster({}, { 'ors.dev/switchover': '7' }), s, T0);
    expect(bad.actions).toEqual([]);
    expect(bad.rejectedSwitchoverRequest).toMatch(/node 7, which does not exist/);
    expect(bad.handledSwitchoverRequest).toBe('7');
  });
});

describe('scale down', () => {
  it('drains a removed node, then deletes it when its sessions are gone or the timeout passes', () => {
    const c = cluster({ nodes: 1, scaleDown: { drainTimeoutSeconds: 60 } });
    const s = state(2);
    expect(planNextActions(c, s, T0).actions).toEqual([{ type: 'start-drain', node: 1 }]);
    s.leases[1]!.drainSince = T0.toISOString();
    s.leases[1]!.activeSessions = 4;
    expect(planNextActions(c, s, at(10)).actions).toEqual([expect.objectContaining({ type: 'wait', node: 1, reason: 'Draining' })]);
    expect(planNextActions(c, s, at(61)).actions).toEqual([{ type: 'delete-node', node: 1, reason: 'DrainTimeout' }]);
    s.leases[1]!.activeSessions = 0;
    expect(planNextActions(c, s, at(11)).actions).toEqual([{ type: 'delete-node', node: 1, reason: 'Drained' }]);
  });
});

describe('drain on request (ors.dev/drained-nodes)', () => {
  it('drains the listed nodes without removing them, and undrains them when no longer listed', () => {
    const s = state(3);
    expect(planNextActions(cluster({ nodes: 3 }, { 'ors.dev/drained-nodes': '0, 2,x' }), s, T0).actions).toEqual([
      { type: 'start-drain', node: 0, requested: true },
      { type: 'start-drain', node: 2, requested: true },
    ]);
    s.leases[2]!.drainSince = T0.toISOString();
    s.leases[2]!.activeSessions = 0;
    // Drained and empty, but wanted: it stays (no delete-node), and nothing cancels its drain.
    expect(planNextActions(cluster({ nodes: 3 }, { 'ors.dev/drained-nodes': '2' }), s, at(600)).actions).toEqual([]);
    expect(planNextActions(cluster({ nodes: 3 }, { 'ors.dev/drained-nodes': '' }), s, at(600)).actions).toEqual([{ type: 'cancel-drain', node: 2 }]);
  });
});

describe('scale back up', () => {
  it('cancels the drain of a node that is wanted again', () => {
    const s = state(2);
    s.leases[1]!.drainSince = T0.toISOString();
    expect(planNextActions(cluster({ nodes: 2 }), s, T0).actions).toEqual([{ type: 'cancel-drain', node: 1 }]);
  });
});

describe('status', () => {
  it('reports roles, readiness, sync and conditions from the observed state', () => {
    const c = cluster();
    const s = state(2);
    s.leases[1]!.transitions = 2;
    s.leases[1]!.acquireTime = at(5).toISOString();
    s.pods[2]!.ready = false; // node 1's primary not Ready
    const plan = planNextActions(c, s, at(6));
    const status = computeStatus({ cluster: c, ...plan, problems: [], now: at(6) });
    expect(status).toMatchObject({
      observedGeneration: 3, phase: 'Pending', replicas: 2, readyNodes: 1,
      selector: 'ors.dev/cluster=c,app.kubernetes.io/component=runtime',
      nodes: [
        { id: 0, primary: 'c-node-0-0', backup: 'c-node-0-1', ready: true, synced: true },
        { id: 1, primary: 'c-node-1-0', backup: 'c-node-1-1', ready: false, synced: true, lastSwitchover: at(5).toISOString() },
      ],
    });
    // The first election (leaseTransitions 1) is no switchover.
    s.leases[1]!.transitions = 1;
    expect(computeStatus({ cluster: c, ...planNextActions(c, s, at(6)), problems: [], now: at(6) }).nodes![1]!.lastSwitchover).toBeUndefined();
    expect(status.conditions!.map((x) => [x.type, x.status, x.reason])).toEqual([
      ['Ready', 'False', 'NodesNotReady'], ['Progressing', 'False', 'Reconciled'], ['Degraded', 'False', 'AsExpected'],
    ]);
  });

  it('shows failsafe from the Lease: active while the backup keeps vouching, over once stale or ended', () => {
    const c = cluster();
    const s = state(2);
    s.leases[0]!.leaseDurationSeconds = 15;
    s.leases[0]!.failsafe = { primary: 'c-node-0-0', active: true, confirmedBy: 'c-node-0-1', at: at(5).toISOString() };
    s.leases[1]!.failsafe = { primary: 'c-node-1-0', active: false, since: at(1).toISOString(), until: at(2).toISOString() };
    const status = computeStatus({ cluster: c, ...planNextActions(c, s, at(6)), problems: [], now: at(6) });
    expect(status.nodes![0]!.failsafe).toEqual({ active: true, confirmedAt: at(5).toISOString() });
    expect(status.nodes![1]!.failsafe).toEqual({ active: false, since: at(1).toISOString(), until: at(2).toISOString() });
    // The backup stopped writing two lease durations ago (the primary died in failsafe): not active any more.
    s.leases[0]!.failsafe = { primary: 'c-node-0-0', active: true, confirmedBy: 'c-node-0-1', at: at(-25).toISOString() };
    const later = computeStatus({ cluster: c, ...planNextActions(c, s, at(6)), problems: [], now: at(6) });
    expect(later.nodes![0]!.failsafe?.active).toBe(false);
    // A record about an earlier primary is not shown.
    s.leases[0]!.holder = 'c-node-0-1';
    expect(computeStatus({ cluster: c, ...planNextActions(c, s, at(6)), problems: [], now: at(6) }).nodes![0]!.failsafe).toBeUndefined();
  });

  it('keeps lastTransitionTime while a condition holds; Degraded when a backup stays unsynced past the timeout', () => {
    const c1 = cluster({ rollout: { syncTimeoutSeconds: 30 } });
    const s = state(2, 'r1', 'r2');
    const first = computeStatus({ cluster: c1, ...planNextActions(c1, s, T0), problems: [], now: T0 });
    expect(first.phase).toBe('Progressing');
    s.pods[1]!.revision = 'r2';
    s.leases[0]!.syncState!.synced = false;
    const c2 = { ...c1, status: first };
    const later = computeStatus({ cluster: c2, ...planNextActions(c2, s, at(31)), problems: [], now: at(31) });
    const progressing = later.conditions!.find((x) => x.type === 'Progressing')!;
    expect(progressing.lastTransitionTime).toBe(T0.toISOString());
    expect(later.conditions!.find((x) => x.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'BackupNotSynced' });
    expect(later.phase).toBe('Degraded');
  });

  it('reports controller problems and invalid specs as Degraded with their reason', () => {
    const c = cluster();
    const s = state(2);
    const status = computeStatus({ cluster: c, ...planNextActions(c, s, T0), problems: [{ reason: 'ApplyFailed', message: 'Ingress: forbidden' }], now: T0 });
    expect(status.conditions!.find((x) => x.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'ApplyFailed', message: 'Ingress: forbidden' });
    const invalid = invalidSpecStatus(status, 4, 'spec.image: required', T0);
    expect(invalid).toMatchObject({ observedGeneration: 4, phase: 'Degraded' });
    expect(invalid.conditions!.find((x) => x.type === 'Degraded')).toMatchObject({ reason: 'InvalidSpec', message: 'spec.image: required' });
  });

  it('names every wait in Progressing: a manual switchover held back by an unsynced backup says so', () => {
    const c = cluster({}, { 'ors.dev/switchover': '1' });
    const s = state(2);
    s.leases[1]!.syncState!.synced = false;
    const status = computeStatus({ cluster: c, ...planNextActions(c, s, T0), problems: [], now: T0 });
    expect(status.conditions!.find((x) => x.type === 'Progressing')).toMatchObject({
      status: 'True', reason: 'BackupNotSynced', message: 'manual switchover of node 1: waiting for the backup to be synced',
    });
    expect(status.conditions!.find((x) => x.type === 'Ready')!.message).toBe('2 nodes with a ready primary');
  });

  it('says "0 of 1 node has" and spells the field path of a spec error', () => {
    const c = cluster({ nodes: 1 });
    const s = state(1);
    s.pods[0]!.ready = false;
    const status = computeStatus({ cluster: c, ...planNextActions(c, s, T0), problems: [], now: T0 });
    expect(status.conditions!.find((x) => x.type === 'Ready')!.message).toBe('0 of 1 node has a ready primary');
    const parsed = parseOrsCluster({ metadata: { name: 'c', namespace: 'ns', uid: 'u' }, spec: { image: 'i', routing: { scheme: 'ftp' }, tolerations: [{ effect: 'Sometimes' }] } });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(/^spec\.routing\.scheme: .*; spec\.tolerations\[0\]\.effect: /);
  });
});

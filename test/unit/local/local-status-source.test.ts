import { describe, expect, it } from 'vitest';
import type { LeaseRecord } from '../../../runtime/ha/leader-election/lease-record.ts';
import { buildStatusPage } from '../../../operator/status-page/page-model.ts';
import { localObjects, type LocalObservation } from '../../../runtime/local/local-status-source.ts';

const proc = (node: number, suffix: string, state: 'running' | 'down', beat?: { status: number; sessions?: number }) => ({
  node, name: `node-${node}-${suffix}`, port: 4000 + node * 2 + (suffix === 'a' ? 0 : 1), url: `http://127.0.0.1:${4000 + node * 2 + (suffix === 'a' ? 0 : 1)}`,
  logFile: '/dev/null', state, pid: 100 + node, ...(beat ? { beat } : {}),
});

describe('ors local in the status page model', () => {
  it('processes are pods (Ready = heartbeat 200), file leases are Leases, heartbeat sessions count on the primary', () => {
    const at = Date.parse('2026-01-01T00:00:00Z');
    const seen: LocalObservation = {
      nodes: 2,
      processes: [proc(0, 'a', 'down'), proc(0, 'b', 'running', { status: 200, sessions: 4 }), proc(1, 'a', 'running', { status: 200, sessions: 1 }), proc(1, 'b', 'running', { status: 503, sessions: 0 })],
      leases: new Map<number, LeaseRecord>([
        [0, { holderIdentity: 'node-0-b', acquireTime: at, renewTime: at + 500, leaseDurationSeconds: 1.5, leaseTransitions: 2, annotations: {} }],
        [1, { holderIdentity: 'node-1-a', acquireTime: at, renewTime: at + 500, leaseDurationSeconds: 1.5, leaseTransitions: 1, annotations: { 'ors.dev/sync-state': JSON.stringify({ backup: 'node-1-b', primary: 'node-1-a', synced: true, at: new Date(at).toISOString() }) } }],
      ]),
    };
    const { cluster, pods, leases, podSessions } = localObjects(seen);
    const page = buildStatusPage({ source: 'local', clusters: [cluster], pods, leases, events: [], podSessions, now: new Date(at + 1000) });
    const c = page.clusters[0]!;
    expect(c).toMatchObject({ namespace: 'local', name: 'local', phase: 'Running', readyNodes: 2, sessions: 5 });
    expect(c.nodes[0]).toMatchObject({ primary: 'node-0-b', backup: 'node-0-a', ready: true, synced: false, sessions: 4, transitions: 2, lastFailover: new Date(at).toISOString() });
    expect(c.nodes[0]!.pods.find((p) => p.name === 'node-0-a')).toMatchObject({ role: 'backup', ready: false, kubeNode: '127.0.0.1:4000 pid 100 (down)' });
    expect(c.nodes[1]).toMatchObject({ primary: 'node-1-a', backup: 'node-1-b', synced: true, syncLagSeconds: 0, sessions: 1 });
    expect(c.nodes[1]!.lastFailover).toBeUndefined();
    expect(c.timeline).toEqual([{ at: new Date(at).toISOString(), node: 0, kind: 'failover', message: 'node 0: node-0-b took the Lease (transition 2)' }]);
  });

  it('a node with no primary answering makes the cluster Degraded', () => {
    const { cluster } = localObjects({ nodes: 1, processes: [proc(0, 'a', 'down'), proc(0, 'b', 'running', { status: 503 })], leases: new Map() });
    expect(cluster.status?.phase).toBe('Degraded');
  });
});

// A two-node cluster snapshot for the view tests: node 0 healthy, node 1 with no synced
// backup and a failsafe episode on record.
import type { ClusterSnapshot } from '../../../runtime/cli/kubectl-ors/cluster-snapshot.ts';

export function twoNodeSnapshot(): ClusterSnapshot {
  return {
    name: 'cc',
    namespace: 'ors',
    at: '2026-12-03T06:00:00Z',
    specNodes: 2,
    httpPort: 8080,
    phase: 'Degraded',
    readyNodes: 2,
    conditions: [
      { type: 'Ready', status: 'True', reason: 'AllNodesReady', message: 'every node has a ready primary', lastTransitionTime: '2026-12-03T05:55:00Z' },
      { type: 'Degraded', status: 'True', reason: 'BackupNotSynced', message: 'node 1: backup not synced', lastTransitionTime: '2026-12-03T05:59:30Z' },
    ],
    nodes: [
      { id: 0, primary: 'cc-node-0-1', backup: 'cc-node-0-0', ready: true, synced: true, lastSwitchover: '2026-12-03T05:58:00Z' },
      { id: 1, primary: 'cc-node-1-0', backup: 'cc-node-1-1', ready: true, synced: false, failsafe: { active: true, confirmedAt: '2026-12-03T05:59:58Z' } },
    ],
    switchoverRequest: '0/x',
    handledSwitchoverRequest: '0/x',
    pods: [
      { name: 'cc-node-0-0', node: 0, phase: 'Running', ready: false, figures: { activeSessions: 0, sessionsFinished: {}, syncLagSeconds: 0.0025 } },
      { name: 'cc-node-0-1', node: 0, phase: 'Running', ready: true, figures: { activeSessions: 7, sessionsCreated: 12, sessionsFinished: { done: 4, terminated: 1 } } },
      { name: 'cc-node-1-0', node: 1, phase: 'Running', ready: true, figures: { activeSessions: 3, sessionsCreated: 3, sessionsFinished: {} } },
      { name: 'cc-node-1-1', node: 1, phase: 'Pending', ready: false, figures: { error: '503 ServiceUnavailable' } },
    ],
    leases: [
      { node: 0, name: 'cc-node-0', holder: 'cc-node-0-1', transitions: 1 },
      { node: 1, name: 'cc-node-1', holder: 'cc-node-1-0', transitions: 0 },
    ],
    events: [
      { time: '2026-12-03T05:57:58Z', type: 'Normal', reason: 'SwitchoverRequested', object: 'OrsCluster/cc', message: 'node 0: asked cc-node-0-0 to step down (manual)', count: 1 },
      { time: '2026-12-03T05:59:30Z', type: 'Warning', reason: 'BackupNotSynced', object: 'OrsCluster/cc', message: 'node 1: backup not synced', count: 3 },
    ],
  };
}

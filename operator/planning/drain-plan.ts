// Kubernetes node drains: a primary on a cordoned node is switched over to its synced
// backup before the eviction needs it (the node's PDB forbids evicting the only Ready
// pod, so without this a drain would stall). A backup on a cordoned node needs nothing:
// it is never Ready, and the PDB lets unhealthy pods go.
import type { Action } from './actions.ts';
import type { NodeView } from './observed-state.ts';

export function planDrainSwitchover(view: NodeView, cordoned: ReadonlySet<string>): Action | undefined {
  const { primary, backup } = view;
  if (!primary?.kubeNode || !cordoned.has(primary.kubeNode)) return undefined;
  if (!backup) return undefined;
  if (backup.kubeNode && cordoned.has(backup.kubeNode)) return undefined; // nowhere better to go
  if (view.lease?.stepDown === primary.name) {
    return { type: 'wait', node: view.id, reason: 'SwitchoverPending', message: `node ${view.id}: waiting for ${primary.name} to leave cordoned ${primary.kubeNode}` };
  }
  if (!view.synced) {
    return { type: 'wait', node: view.id, reason: 'BackupNotSynced', message: `node ${view.id}: primary on cordoned ${primary.kubeNode}, backup not synced yet` };
  }
  return { type: 'request-switchover', node: view.id, primary: primary.name, reason: 'Drain' };
}

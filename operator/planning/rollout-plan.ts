// Rollout of a pod-template change, one ORS node at a time, without ever taking a
// node's service away: replace the backup, wait until it reports synced, ask the primary
// to step down (the one switchover of this node), then replace the old primary — which
// by then is the backup, so the first rule replaces it.
import type { Action } from './actions.ts';
import { isOutdated, type NodeView } from './observed-state.ts';

export type NodeRolloutStep = Action | { type: 'done'; node: number };

/**
 * `desiredTemplateHash`: the hash of the pod template the operator wants for this node.
 * Until the cached StatefulSet carries it and its controller has computed the new
 * updateRevision, the node's pods cannot be judged: it waits, and since it is then the
 * first node not done, the nodes after it wait too (no node is rolled early because
 * its StatefulSet was updated first).
 */
export function planNodeRollout(view: NodeView, desiredTemplateHash?: string): NodeRolloutStep {
  const { id } = view;
  const sts = view.statefulSet;
  if (sts && (!sts.statusCurrent || (desiredTemplateHash && sts.templateHash && sts.templateHash !== desiredTemplateHash))) {
    return { type: 'wait', node: id, reason: 'StatefulSetUpdating', message: `node ${id}: waiting for the StatefulSet to take the new template` };
  }
  const outdated = view.pods.filter((p) => isOutdated(p, view));
  if (outdated.length === 0 && view.pods.length >= 2) return { type: 'done', node: id };
  if (view.pods.length < 2 || view.pods.some((p) => p.deleting)) {
    return { type: 'wait', node: id, reason: 'PodsStarting', message: `node ${id}: waiting for both pods to exist` };
  }
  if (!view.primary) {
    // Nothing is served by this node, so replacing a pod cannot interrupt anything;
    // this is also how a node stuck with a broken template gets the fix.
    return { type: 'delete-pod', node: id, pod: outdated[0]!.name, reason: 'ReplaceUnservedPod' };
  }
  if (view.backup && isOutdated(view.backup, view)) {
    return { type: 'delete-pod', node: id, pod: view.backup.name, reason: 'ReplaceBackup' };
  }
  if (!view.backup) {
    return { type: 'wait', node: id, reason: 'PodsStarting', message: `node ${id}: waiting for the backup pod` };
  }
  // The backup is up to date; only the primary is outdated.
  if (view.lease?.stepDown === view.primary.name) {
    return { type: 'wait', node: id, reason: 'SwitchoverPending', message: `node ${id}: waiting for ${view.primary.name} to step down` };
  }
  if (!view.synced) {
    return { type: 'wait', node: id, reason: 'BackupNotSynced', message: `node ${id}: waiting for backup ${view.backup.name} to report synced` };
  }
  return { type: 'request-switchover', node: id, primary: view.primary.name, reason: 'Rollout' };
}

/**
 * The cluster's rollout: the first node (by id) that is not done gets its next step;
 * every later node with outdated pods waits, so at most one node is disrupted at a time.
 */
export function planRollout(views: readonly NodeView[], desiredTemplateHash: (node: number) => string | undefined = () => undefined): Action[] {
  const actions: Action[] = [];
  let busy: number | undefined;
  for (const view of views) {
    const step = planNodeRollout(view, desiredTemplateHash(view.id));
    if (step.type === 'done') continue;
    if (busy === undefined) {
      busy = view.id;
      actions.push(step);
    } else if (view.pods.some((p) => isOutdated(p, view))) {
      actions.push({ type: 'wait', node: view.id, reason: 'OtherNodeRollingOut', message: `node ${view.id}: waiting for node ${busy} to finish its rollout` });
    }
  }
  return actions;
}

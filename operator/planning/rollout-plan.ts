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
export interface RolloutTiming {
  now: Date;
  leaseDurationSeconds: number;
}

/** Whether the node has had no live Lease holder for `seconds` (judged from the last renewal, or from pod age without a Lease). */
function unservedFor(view: NodeView, seconds: number, now: Date): boolean {
  const since = view.lease?.renewTime ?? view.pods.map((p) => p.createdAt).sort().at(-1);
  return since === undefined || now.getTime() - Date.parse(since) >= seconds * 1000;
}

export function planNodeRollout(view: NodeView, timing: RolloutTiming, desiredTemplateHash?: string): NodeRolloutStep {
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
    if (view.lease?.stepDown) {
      return { type: 'wait', node: id, reason: 'SwitchoverPending', message: `node ${id}: waiting for the backup to take the Lease` };
    }
    // Nothing has been served by this node for two lease durations (not a hand-over in
    // progress), so replacing a pod cannot interrupt anything; this is also how a node
    // stuck with a broken template gets the fix.
    if (!unservedFor(view, 2 * timing.leaseDurationSeconds, timing.now)) {
      return { type: 'wait', node: id, reason: 'NoPrimary', message: `node ${id}: no primary yet (its outdated pods are replaced after ${2 * timing.leaseDurationSeconds}s without one)` };
    }
    return { type: 'delete-pod', node: id, pod: outdated[0]!.name, reason: 'ReplaceUnservedPod' };
  }
  if (view.backup && isOutdated(view.backup, view)) {
    // The standby goes only while the primary serves (e.g. not in the moment after a
    // switchover, before the new primary answers /heartbeat).
    if (!view.primary.ready) {
      return { type: 'wait', node: id, reason: 'PrimaryNotReady', message: `node ${id}: waiting for primary ${view.primary.name} to be Ready before replacing the backup` };
    }
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
export function planRollout(views: readonly NodeView[], timing: RolloutTiming, desiredTemplateHash: (node: number) => string | undefined = () => undefined): Action[] {
  const actions: Action[] = [];
  let busy: number | undefined;
  for (const view of views) {
    const step = planNodeRollout(view, timing, desiredTemplateHash(view.id));
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

// All decisions for one OrsCluster in one pass, at most one disruptive action per node:
// a pending step-down blocks everything else on its node; then scale-down, manual
// switchover, drain switchover, and finally the rollout (one node at a time).
import type { OrsCluster } from '../api/ors-cluster.ts';
import { DRAINED_NODES_ANNOTATION, SWITCHOVER_REQUEST_ANNOTATION, parseDrainedNodes } from '../api/pod-contract.ts';
import type { Action } from './actions.ts';
import { planDrainSwitchover } from './drain-plan.ts';
import { planManualSwitchover } from './manual-switchover.ts';
import { nodeView, observedNodeIds, type NodeView, type ObservedState } from './observed-state.ts';
import { planRollout } from './rollout-plan.ts';
import { planScaleDown } from './scale-down-plan.ts';
import { podTemplateHash } from '../builders/node-statefulset.ts';

export interface Plan {
  actions: Action[];
  /** New value for status.handledSwitchoverRequest, when a manual request was acted upon or rejected. */
  handledSwitchoverRequest?: string;
  /** Manual switchover requests that cannot be honoured, for a Warning event. */
  rejectedSwitchoverRequest?: string;
  views: NodeView[];
  drainingNodes: number[];
}

export function planNextActions(cluster: OrsCluster, state: ObservedState, now: Date): Plan {
  const desired = cluster.spec.nodes;
  const ids = [...new Set([...observedNodeIds(state), ...Array.from({ length: desired }, (_, i) => i)])].sort((a, b) => a - b);
  const views = ids.map((id) => nodeView(state, id, now));
  const actions: Action[] = [];
  const busy = new Set<number>();
  const take = (action: Action) => {
    actions.push(action);
    busy.add(action.node);
  };

  for (const view of views) {
    const stepDown = view.lease?.stepDown;
    if (!stepDown) continue;
    // Done once another pod holds the Lease; until then (the primary still holds it, or
    // has released it and the backup has not taken it yet) the switchover is under way.
    if (view.primary && view.primary.name !== stepDown) actions.push({ type: 'clear-step-down', node: view.id });
    else busy.add(view.id);
  }

  const draining = views.filter((v) => v.id >= desired && v.statefulSet);
  for (const view of draining) {
    if (!busy.has(view.id)) take(planScaleDown(view, cluster.spec.scaleDown.drainTimeoutSeconds, now));
  }
  const active = views.filter((v) => v.id < desired);
  // Scaled back up while draining, or undrained: the node takes sessions again. A node
  // drained on request (the drained-nodes annotation) keeps its drain and is not removed.
  const requested = parseDrainedNodes(cluster.metadata.annotations?.[DRAINED_NODES_ANNOTATION]);
  for (const view of active) {
    if (!view.lease) continue;
    if (requested.has(view.id) && !view.lease.drainSince) actions.push({ type: 'start-drain', node: view.id, requested: true });
    if (!requested.has(view.id) && view.lease.drainSince) actions.push({ type: 'cancel-drain', node: view.id });
  }

  const plan: Plan = { actions, views, drainingNodes: draining.map((v) => v.id) };
  const manual = planManualSwitchover(
    cluster.metadata.annotations?.[SWITCHOVER_REQUEST_ANNOTATION],
    cluster.status?.handledSwitchoverRequest,
    active,
  );
  if (manual.kind === 'invalid') {
    plan.handledSwitchoverRequest = manual.request;
    plan.rejectedSwitchoverRequest = manual.message;
  } else if (manual.kind !== 'none' && !busy.has(manual.action.node)) {
    take(manual.action);
    if (manual.kind === 'switch') plan.handledSwitchoverRequest = manual.request;
  }

  for (const view of active) {
    if (busy.has(view.id)) continue;
    const drain = planDrainSwitchover(view, state.cordonedKubeNodes);
    if (drain) take(drain);
  }

  // The rollout sees every active node (a node in the middle of a switchover is the one
  // rolling out), but only acts on nodes nothing else acted on in this pass.
  const timing = { now, leaseDurationSeconds: cluster.spec.leaderElection.leaseDurationSeconds };
  for (const action of planRollout(active, timing, (node) => podTemplateHash(cluster, node))) {
    if (!busy.has(action.node)) take(action);
  }
  return plan;
}

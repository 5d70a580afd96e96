// Scale-down decisions: mark a node as draining on its Lease, and remove a drained node
// with everything that belongs to it (its Lease is not owned, so it is deleted here).
import type { OrsCluster } from '../api/ors-cluster.ts';
import { ACTIVE_SESSIONS_ANNOTATION, DRAIN_ANNOTATION } from '../api/pod-contract.ts';
import { leaseName, nodeName, sessionRouteName, syncServiceName } from '../builders/names.ts';
import type { Action } from '../planning/actions.ts';
import { annotateLease } from './lease-annotations.ts';
import { deleteOwned } from './apply-reconciler.ts';
import { pathOf } from './resource-paths.ts';
import { eventTarget, type ReconcileContext } from './reconcile-context.ts';

type ScaleAction = Extract<Action, { type: 'start-drain' | 'cancel-drain' | 'delete-node' }>;

export function isScaleAction(a: Action): a is ScaleAction {
  return a.type === 'start-drain' || a.type === 'cancel-drain' || a.type === 'delete-node';
}

/** Removes a drained node: its owned objects (only if they are this cluster's) and its Lease, which the pods created. */
export async function deleteNodeObjects(ctx: ReconcileContext, cluster: OrsCluster, node: number): Promise<void> {
  const name = cluster.metadata.name;
  const owned: [string, string, string][] = [
    ['apps/v1', 'StatefulSet', nodeName(name, node)],
    ['v1', 'Service', nodeName(name, node)],
    ['v1', 'Service', syncServiceName(name, node)],
    ['policy/v1', 'PodDisruptionBudget', nodeName(name, node)],
    ['networking.k8s.io/v1', 'NetworkPolicy', nodeName(name, node)],
    ['gateway.networking.k8s.io/v1', 'HTTPRoute', nodeName(name, node)],
    ['gateway.networking.k8s.io/v1', 'HTTPRoute', sessionRouteName(name, node)],
  ];
  await Promise.all(owned.map(([apiVersion, kind, object]) => deleteOwned(ctx, cluster, apiVersion, kind, object)));
  await ctx.client.delete(pathOf('coordination.k8s.io/v1', 'Lease', cluster.metadata.namespace, leaseName(name, node)), { propagationPolicy: 'Background' });
}

export async function carryOutScaleAction(ctx: ReconcileContext, cluster: OrsCluster, action: ScaleAction): Promise<void> {
  const target = eventTarget(cluster);
  if (action.type === 'start-drain') {
    await annotateLease(ctx, cluster, action.node, { [DRAIN_ANNOTATION]: ctx.now().toISOString() });
    const why = action.requested ? 'drained on request (ors.dev/drained-nodes): no new sessions' : `draining before removal (timeout ${cluster.spec.scaleDown.drainTimeoutSeconds}s)`;
    await ctx.events.record(target, 'Normal', 'NodeDraining', `node ${action.node}: ${why}`);
    return;
  }
  if (action.type === 'cancel-drain') {
    await annotateLease(ctx, cluster, action.node, { [DRAIN_ANNOTATION]: null, [ACTIVE_SESSIONS_ANNOTATION]: null });
    await ctx.events.record(target, 'Normal', 'NodeDrainCancelled', `node ${action.node}: takes sessions again (scaled back up or undrained)`);
    return;
  }
  await deleteNodeObjects(ctx, cluster, action.node);
  ctx.log.info({ cluster: cluster.metadata.name, node: action.node, reason: action.reason }, 'node removed');
  await ctx.events.record(target, 'Normal', 'NodeRemoved', `node ${action.node}: removed (${action.reason})`);
}

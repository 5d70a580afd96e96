// Scale-down decisions: mark a node as draining on its Lease, and remove a drained node
// with everything that belongs to it (its Lease is not owned, so it is deleted here).
import type { OrsCluster } from '../api/ors-cluster.ts';
import { ACTIVE_SESSIONS_ANNOTATION, DRAIN_ANNOTATION } from '../api/pod-contract.ts';
import { leaseName, nodeName, sessionRouteName, syncServiceName } from '../builders/names.ts';
import type { Action } from '../planning/actions.ts';
import { annotateLease } from './lease-annotations.ts';
import { KubeApiError } from './kube-client.ts';
import { pathOf } from './resource-paths.ts';
import { eventTarget, type ReconcileContext } from './reconcile-context.ts';

type ScaleAction = Extract<Action, { type: 'start-drain' | 'cancel-drain' | 'delete-node' }>;

export function isScaleAction(a: Action): a is ScaleAction {
  return a.type === 'start-drain' || a.type === 'cancel-drain' || a.type === 'delete-node';
}

export async function deleteNodeObjects(ctx: ReconcileContext, namespace: string, cluster: string, node: number): Promise<void> {
  const paths = [
    pathOf('apps/v1', 'StatefulSet', namespace, nodeName(cluster, node)),
    pathOf('v1', 'Service', namespace, nodeName(cluster, node)),
    pathOf('v1', 'Service', namespace, syncServiceName(cluster, node)),
    pathOf('policy/v1', 'PodDisruptionBudget', namespace, nodeName(cluster, node)),
    pathOf('networking.k8s.io/v1', 'NetworkPolicy', namespace, nodeName(cluster, node)),
    pathOf('gateway.networking.k8s.io/v1', 'HTTPRoute', namespace, nodeName(cluster, node)),
    pathOf('gateway.networking.k8s.io/v1', 'HTTPRoute', namespace, sessionRouteName(cluster, node)),
    pathOf('coordination.k8s.io/v1', 'Lease', namespace, leaseName(cluster, node)),
  ];
  await Promise.all(
    paths.map((path) =>
      ctx.client.delete(path, { propagationPolicy: 'Background' }).catch((error: unknown) => {
        if (!(error instanceof KubeApiError && error.status === 404)) throw error;
      }),
    ),
  );
}

export async function carryOutScaleAction(ctx: ReconcileContext, cluster: OrsCluster, action: ScaleAction): Promise<void> {
  const target = eventTarget(cluster);
  if (action.type === 'start-drain') {
    await annotateLease(ctx, cluster, action.node, { [DRAIN_ANNOTATION]: ctx.now().toISOString() });
    await ctx.events.record(target, 'Normal', 'NodeDraining', `node ${action.node}: draining before removal (timeout ${cluster.spec.scaleDown.drainTimeoutSeconds}s)`);
    return;
  }
  if (action.type === 'cancel-drain') {
    await annotateLease(ctx, cluster, action.node, { [DRAIN_ANNOTATION]: null, [ACTIVE_SESSIONS_ANNOTATION]: null });
    await ctx.events.record(target, 'Normal', 'NodeDrainCancelled', `node ${action.node}: kept (scaled back up while draining)`);
    return;
  }
  await deleteNodeObjects(ctx, cluster.metadata.namespace, cluster.metadata.name, action.node);
  ctx.log.info({ cluster: cluster.metadata.name, node: action.node, reason: action.reason }, 'node removed');
  await ctx.events.record(target, 'Normal', 'NodeRemoved', `node ${action.node}: removed (${action.reason})`);
}

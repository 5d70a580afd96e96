// The operator's side of the pod contract: merge patches of the node Lease's
// annotations (never its spec, which belongs to the elected pods).
import { FIELD_MANAGER, leaseName } from '../builders/names.ts';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { pathOf } from './resource-paths.ts';
import type { ReconcileContext } from './reconcile-context.ts';

export async function annotateLease(ctx: ReconcileContext, cluster: OrsCluster, node: number, annotations: Record<string, string | null>): Promise<void> {
  await ctx.client.mergePatch(
    pathOf('coordination.k8s.io/v1', 'Lease', cluster.metadata.namespace, leaseName(cluster.metadata.name, node)),
    { metadata: { annotations } },
    FIELD_MANAGER,
  );
}

// Deletion: garbage collection removes every owned object (owner references); what it
// cannot remove is the node Leases, which the pods create. They go here, then the
// finalizer is released.
import type { KubernetesObject, V1Lease } from '@kubernetes/client-node';
import { API_VERSION, KIND } from '../api/ors-cluster.ts';
import { FIELD_MANAGER } from '../builders/names.ts';
import { leaseNodeId } from '../planning/observed-from-objects.ts';
import { FINALIZER } from './apply-reconciler.ts';
import { pathOf } from './resource-paths.ts';
import type { ReconcileContext } from './reconcile-context.ts';

export async function finalizeDeletedCluster(ctx: ReconcileContext, raw: KubernetesObject): Promise<void> {
  const namespace = raw.metadata!.namespace!;
  const name = raw.metadata!.name!;
  const finalizers = raw.metadata?.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) return;
  const leases = ctx.informers.list<V1Lease>('Lease', namespace).filter((l) => leaseNodeId(name, l.metadata?.name ?? '') !== undefined);
  await Promise.all(leases.map((l) => ctx.client.delete(pathOf('coordination.k8s.io/v1', 'Lease', namespace, l.metadata!.name!))));
  await ctx.client.mergePatch(
    pathOf(API_VERSION, KIND, namespace, name),
    { metadata: { finalizers: finalizers.filter((f) => f !== FINALIZER), resourceVersion: raw.metadata!.resourceVersion } },
    FIELD_MANAGER,
  );
  ctx.log.info({ cluster: name, namespace, leases: leases.length }, 'cluster deleted; leases removed, finalizer released');
}

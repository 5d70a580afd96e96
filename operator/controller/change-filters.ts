// Which watch events are worth a reconcile pass. The operator's own writes come back as
// watch events; passing them on would run a second (and third) pass per change that
// only re-derives what the first pass just wrote. What others do (the StatefulSet
// controller's status, a user's edit, a deletion) always passes.
import type { KubernetesObject } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../builders/names.ts';

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  time?: string | Date;
}

const timeOf = (e: ManagedFieldsEntry) => (e.time === undefined ? 0 : new Date(e.time).getTime());

/**
 * True when the last change to `object` was the operator's own apply: its Apply entry
 * is strictly newer than every other manager's entry. A tie (same second) counts as
 * someone else's change, so nothing is missed.
 */
export function isOwnWrite(object: KubernetesObject): boolean {
  const entries = (object.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
  const own = entries.filter((e) => e.manager === FIELD_MANAGER && e.operation === 'Apply' && !e.subresource);
  if (own.length === 0) return false;
  const ownTime = Math.max(...own.map(timeOf));
  return entries.every((e) => own.includes(e) || timeOf(e) < ownTime);
}

interface OrsClusterShape {
  metadata?: KubernetesObject['metadata'];
}

/**
 * An OrsCluster update matters when what the operator acts on changed: the spec
 * (generation), annotations (switchover requests), labels, finalizers or deletion.
 * Status writes, the operator's own above all, do not.
 */
export function orsClusterChanged(previous: KubernetesObject | undefined, next: KubernetesObject): boolean {
  if (!previous) return true;
  const a = (previous as OrsClusterShape).metadata ?? {};
  const b = (next as OrsClusterShape).metadata ?? {};
  return a.generation !== b.generation
    || JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {})
    || JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {})
    || JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? [])
    || !!a.deletionTimestamp !== !!b.deletionTimestamp;
}

/** What the planners read of a StatefulSet (observeStatefulSet); replica counts in its status are not among it. */
export function statefulSetChanged(previous: KubernetesObject | undefined, next: KubernetesObject): boolean {
  const signature = (o: KubernetesObject | undefined) => {
    const sts = o as { metadata?: KubernetesObject['metadata']; status?: { observedGeneration?: number; updateRevision?: string } } | undefined;
    return JSON.stringify([
      sts?.metadata?.generation, sts?.status?.observedGeneration, sts?.status?.updateRevision, !!sts?.metadata?.deletionTimestamp,
      sts?.metadata?.labels ?? {}, sts?.metadata?.annotations ?? {},
    ]);
  };
  return signature(previous) !== signature(next);
}

/** What the planners read of a pod (observePod, keysForChange): revision, readiness, deletion, placement. */
export function podChanged(previous: KubernetesObject | undefined, next: KubernetesObject): boolean {
  const signature = (o: KubernetesObject | undefined) => {
    const pod = o as { metadata?: KubernetesObject['metadata']; spec?: { nodeName?: string }; status?: { conditions?: { type: string; status: string }[] } } | undefined;
    return JSON.stringify([
      pod?.metadata?.labels ?? {}, !!pod?.metadata?.deletionTimestamp, pod?.spec?.nodeName ?? '',
      pod?.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '',
    ]);
  };
  return signature(previous) !== signature(next);
}

/**
 * What the caches keep of an object. managedFields are read once (isOwnWrite) when the
 * event arrives and are most of an object's size, so they are dropped, as is kubectl's
 * last-applied annotation. Of pods and StatefulSets (2,000 and 1,000 of them for 1,000
 * ORS nodes) only what observed-from-objects.ts and cluster-keys.ts read is kept.
 */
export function trimForCache(kind: string, object: KubernetesObject): void {
  const metadata = object.metadata;
  if (!metadata) return;
  delete metadata.managedFields;
  if (metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']) {
    delete metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
  }
  const o = object as { spec?: Record<string, unknown>; status?: Record<string, unknown> };
  if (kind === 'Pod') {
    o.spec = o.spec?.nodeName ? { nodeName: o.spec.nodeName } : {};
    o.status = { ...(o.status?.phase ? { phase: o.status.phase } : {}), ...(o.status?.conditions ? { conditions: o.status.conditions } : {}) };
  } else if (kind === 'StatefulSet') {
    o.spec = { replicas: o.spec?.replicas };
  } else if (kind === 'Node') {
    o.spec = o.spec?.unschedulable ? { unschedulable: true } : {};
    delete o.status;
  }
}

// Whether an existing object belongs to an OrsCluster: its controller owner reference
// names that cluster's uid. The operator writes and deletes only such objects (or ones
// that do not exist yet); anything else with a name it wants is left alone and named
// in a condition, so one cluster can never take over or delete another's objects, or a
// user's.
import type { KubernetesObject } from '@kubernetes/client-node';
import { KIND } from '../api/ors-cluster.ts';

export function controllerOf(object: KubernetesObject): { kind: string; name: string; uid: string } | undefined {
  const ref = object.metadata?.ownerReferences?.find((r) => r.controller);
  return ref ? { kind: ref.kind, name: ref.name, uid: ref.uid } : undefined;
}

export function isOwnedBy(object: KubernetesObject, clusterUid: string): boolean {
  return controllerOf(object)?.uid === clusterUid;
}

/** Why `existing` (which the cluster wants to write as `kind name`) is not the cluster's, for its condition. */
export function ownershipConflict(kind: string, existing: KubernetesObject): string {
  const owner = controllerOf(existing);
  const by = !owner ? 'has no controller (created by someone else)'
    : owner.kind === KIND ? `belongs to OrsCluster ${owner.name}`
    : `belongs to ${owner.kind} ${owner.name}`;
  return `${kind} ${existing.metadata?.name} already exists and ${by}; the operator leaves it alone (rename or delete it)`;
}

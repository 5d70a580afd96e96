// Which OrsCluster a change concerns: the cluster itself, the owner named by the
// ors.dev/cluster label, the cluster a node Lease belongs to (by name), or every cluster
// with pods on a Kubernetes node that was cordoned or uncordoned.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { LABEL_CLUSTER } from '../api/pod-contract.ts';

export const clusterKey = (namespace: string, name: string) => `${namespace}/${name}`;

export function splitKey(key: string): { namespace: string; name: string } {
  const at = key.indexOf('/');
  return { namespace: key.slice(0, at), name: key.slice(at + 1) };
}

export function keysForChange(
  kind: string,
  object: KubernetesObject,
  lookup: { clusterExists: (namespace: string, name: string) => boolean; pods: () => readonly V1Pod[] },
): string[] {
  const namespace = object.metadata?.namespace ?? '';
  const name = object.metadata?.name ?? '';
  if (kind === 'OrsCluster') return [clusterKey(namespace, name)];
  if (kind === 'Lease') {
    const match = /^(.+)-node-(0|[1-9][0-9]*)$/.exec(name);
    return match && lookup.clusterExists(namespace, match[1]!) ? [clusterKey(namespace, match[1]!)] : [];
  }
  if (kind === 'Node') {
    const keys = lookup
      .pods()
      .filter((p) => p.spec?.nodeName === name && p.metadata?.labels?.[LABEL_CLUSTER])
      .map((p) => clusterKey(p.metadata!.namespace!, p.metadata!.labels![LABEL_CLUSTER]!));
    return [...new Set(keys)];
  }
  const owner = object.metadata?.labels?.[LABEL_CLUSTER];
  return owner ? [clusterKey(namespace, owner)] : [];
}

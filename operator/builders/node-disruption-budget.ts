// One PDB per node. The backup is never Ready, so it counts as unhealthy: with
// AlwaysAllow it can always be evicted, while the primary can only be evicted once the
// operator has switched it over (then it is the not-Ready one).
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { nodeLabels, nodeName, nodeSelector, ownedMetadata } from './names.ts';

export function buildNodeDisruptionBudget(cluster: OrsCluster, node: number): V1PodDisruptionBudget {
  const name = cluster.metadata.name;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: ownedMetadata(cluster, nodeName(name, node), nodeLabels(name, node, 'node')),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: nodeSelector(name, node) },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}

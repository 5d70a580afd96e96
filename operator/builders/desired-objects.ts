// Everything an OrsCluster should own, as one list: the input of server-side apply.
// `nodeIds` are the nodes that must exist (0..nodes-1 plus those still draining after a
// scale-down); `secrets` are the generated values (the existing ones, or new ones when a
// Secret is missing).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { buildClusterService } from './cluster-service.ts';
import { buildClusterHttpRoute, buildNodeHttpRoute, buildNodeSessionHttpRoute } from './http-routes.ts';
import { buildIngress } from './ingress.ts';
import { buildNodeDisruptionBudget } from './node-disruption-budget.ts';
import { buildNodeNetworkPolicy } from './node-network-policy.ts';
import { buildNodePrimaryService, buildNodeSyncService } from './node-services.ts';
import { buildNodeStatefulSet } from './node-statefulset.ts';
import { buildRuntimeRole, buildRuntimeRoleBinding, buildRuntimeServiceAccount } from './runtime-rbac.ts';
import { buildOptionsConfigMap, buildStrategiesConfigMap } from './runtime-config.ts';
import { buildSyncKeySecret } from './sync-key-secret.ts';
import { buildApiTokensSecret } from './api-auth.ts';

export interface GeneratedSecretValues {
  syncKey: string;
  /** The operator's API tokens Secret (used only when the spec names no Secret of its own). */
  apiTokens: string;
}

export function activeNodeIds(cluster: OrsCluster): number[] {
  return Array.from({ length: cluster.spec.nodes }, (_, i) => i);
}

export function buildNodeObjects(cluster: OrsCluster, node: number): KubernetesObject[] {
  return [
    buildNodeSyncService(cluster, node),
    buildNodePrimaryService(cluster, node),
    buildNodeDisruptionBudget(cluster, node),
    buildNodeNetworkPolicy(cluster, node),
    buildNodeHttpRoute(cluster, node),
    buildNodeSessionHttpRoute(cluster, node),
    buildNodeStatefulSet(cluster, node),
  ].filter((o): o is NonNullable<typeof o> => o !== undefined) as KubernetesObject[];
}

export function buildClusterObjects(cluster: OrsCluster, nodeIds: readonly number[], secrets: GeneratedSecretValues): KubernetesObject[] {
  return [
    buildRuntimeServiceAccount(cluster),
    buildRuntimeRole(cluster, nodeIds),
    buildRuntimeRoleBinding(cluster),
    buildSyncKeySecret(cluster, secrets.syncKey),
    buildApiTokensSecret(cluster, secrets.apiTokens),
    buildOptionsConfigMap(cluster, nodeIds),
    buildStrategiesConfigMap(cluster),
    buildClusterService(cluster),
    buildIngress(cluster, nodeIds),
    buildClusterHttpRoute(cluster),
  ].filter((o): o is NonNullable<typeof o> => o !== undefined) as KubernetesObject[];
}

export function buildDesiredObjects(cluster: OrsCluster, nodeIds: readonly number[], secrets: GeneratedSecretValues): KubernetesObject[] {
  return [...buildClusterObjects(cluster, nodeIds, secrets), ...nodeIds.flatMap((node) => buildNodeObjects(cluster, node))];
}

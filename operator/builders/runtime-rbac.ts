// The runtime pods' identity: they may read and write their own nodes' Leases, and read
// their own cluster's pods (a backup asks the kubelet's report on its crashed primary,
// runtime/ha/FAILOVER.md), and nothing else. Create cannot be restricted by name in RBAC,
// so it is granted on Leases in the namespace; every other verb is limited to the names of
// this cluster's Leases and pods.
import type { V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { clusterLabels, leaseName, ownedMetadata, podName, runtimeServiceAccountName } from './names.ts';

export function buildRuntimeServiceAccount(cluster: OrsCluster): V1ServiceAccount {
  const name = cluster.metadata.name;
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: ownedMetadata(cluster, runtimeServiceAccountName(name), clusterLabels(name, 'runtime')),
    automountServiceAccountToken: true,
  };
}

export function buildRuntimeRole(cluster: OrsCluster, nodeIds: readonly number[]): V1Role {
  const name = cluster.metadata.name;
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: ownedMetadata(cluster, runtimeServiceAccountName(name), clusterLabels(name, 'runtime')),
    rules: [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      ...(nodeIds.length > 0
        ? [{
            apiGroups: ['coordination.k8s.io'],
            resources: ['leases'],
            resourceNames: nodeIds.map((node) => leaseName(name, node)),
            verbs: ['get', 'list', 'watch', 'update', 'patch'],
          }, {
            apiGroups: [''],
            resources: ['pods'],
            resourceNames: nodeIds.flatMap((node) => [podName(name, node, 0), podName(name, node, 1)]),
            verbs: ['get'],
          }]
        : []),
    ],
  };
}

export function buildRuntimeRoleBinding(cluster: OrsCluster): V1RoleBinding {
  const name = cluster.metadata.name;
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: ownedMetadata(cluster, runtimeServiceAccountName(name), clusterLabels(name, 'runtime')),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: runtimeServiceAccountName(name) },
    subjects: [{ kind: 'ServiceAccount', name: runtimeServiceAccountName(name), namespace: cluster.metadata.namespace }],
  };
}

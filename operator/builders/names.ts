// Names and labels of the objects an OrsCluster owns. Everything that
// computes a name goes through here so the builders, the controller and the status
// reporter agree.
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, KIND, type OrsCluster } from '../api/ors-cluster.ts';
import {
  LABEL_CLUSTER, LABEL_COMPONENT, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, LABEL_NODE,
} from '../api/pod-contract.ts';

export const FIELD_MANAGER = 'ors-operator';

export const nodeName = (cluster: string, node: number) => `${cluster}-node-${node}`;
export const leaseName = nodeName;
export const syncServiceName = (cluster: string, node: number) => `${cluster}-node-${node}-sync`;
/** The HTTPRoute that sends node `node`'s sessions on the cluster host to the node. */
export const sessionRouteName = (cluster: string, node: number) => `${cluster}-node-${node}-sessions`;
export const podName = (cluster: string, node: number, ordinal: number) => `${nodeName(cluster, node)}-${ordinal}`;
export const clusterServiceName = (cluster: string) => cluster;
export const optionsConfigMapName = (cluster: string) => `${cluster}-options`;
export const strategiesConfigMapName = (cluster: string) => `${cluster}-strategies`;
export const syncKeySecretName = (cluster: string) => `${cluster}-sync-key`;
/** The bearer-token Secret the operator creates when spec.apiAuth names none. */
export const apiTokensSecretName = (cluster: string) => `${cluster}-api-tokens`;
export const runtimeServiceAccountName = (cluster: string) => `${cluster}-runtime`;

/** Labels on every object of a cluster; the selector of cluster-wide listings. */
export function clusterLabels(cluster: string, component: string): Record<string, string> {
  return {
    [LABEL_NAME]: 'ors',
    [LABEL_INSTANCE]: cluster,
    [LABEL_COMPONENT]: component,
    [LABEL_MANAGED_BY]: 'ors-operator',
    [LABEL_CLUSTER]: cluster,
  };
}

export const clusterSelector = (cluster: string) => ({ [LABEL_CLUSTER]: cluster });
export const nodeSelector = (cluster: string, node: number) => ({ [LABEL_CLUSTER]: cluster, [LABEL_NODE]: String(node) });
export const runtimePodSelector = (cluster: string) => ({ [LABEL_CLUSTER]: cluster, [LABEL_COMPONENT]: 'runtime' });

export function nodeLabels(cluster: string, node: number, component: string): Record<string, string> {
  return { ...clusterLabels(cluster, component), [LABEL_NODE]: String(node) };
}

export function ownerReference(cluster: OrsCluster): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: cluster.metadata.name,
    uid: cluster.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function ownedMetadata(cluster: OrsCluster, name: string, labels: Record<string, string>): V1ObjectMeta {
  return { name, namespace: cluster.metadata.namespace, labels, ownerReferences: [ownerReference(cluster)] };
}

/** The in-cluster URL of a node's primary (used as external-url when no public host is set). */
export function inClusterNodeUrl(cluster: OrsCluster, node: number): string {
  return `http://${nodeName(cluster.metadata.name, node)}.${cluster.metadata.namespace}.svc:${cluster.spec.httpPort}`;
}

/** The URL other nodes redirect to for node `node`'s sessions (ORS external-url). */
export function externalUrl(cluster: OrsCluster, node: number): string {
  const { routing } = cluster.spec;
  const routed = routing.ingress.enabled || routing.gateway.enabled;
  if (routed && routing.host) return `${routing.scheme}://${nodeHost(routing.host, node)}`;
  return inClusterNodeUrl(cluster, node);
}

export const nodeHost = (host: string, node: number) => `node-${node}.${host}`;

// REST paths of the kinds the operator reads and writes.
export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts' },
  { apiVersion: 'v1', kind: 'Pod', plural: 'pods' },
  { apiVersion: 'v1', kind: 'Event', plural: 'events' },
  { apiVersion: 'v1', kind: 'Node', plural: 'nodes' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', plural: 'rolebindings' },
  { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases' },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', plural: 'httproutes' },
  { apiVersion: 'ors.dev/v1alpha1', kind: 'OrsCluster', plural: 'orsclusters' },
];

export function resourceType(apiVersion: string, kind: string): ResourceType {
  const type = RESOURCE_TYPES.find((t) => t.apiVersion === apiVersion && t.kind === kind);
  if (!type) throw new Error(`no REST path known for ${apiVersion} ${kind}`);
  return type;
}

function groupPrefix(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** Collection path: all namespaces when `namespace` is undefined. */
export function collectionPath(type: ResourceType, namespace?: string): string {
  return namespace === undefined || type.kind === 'Node'
    ? `${groupPrefix(type.apiVersion)}/${type.plural}`
    : `${groupPrefix(type.apiVersion)}/namespaces/${namespace}/${type.plural}`;
}

export function objectPath(type: ResourceType, namespace: string | undefined, name: string, subresource?: string): string {
  return `${collectionPath(type, namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}

export function pathOf(apiVersion: string, kind: string, namespace: string | undefined, name: string, subresource?: string): string {
  return objectPath(resourceType(apiVersion, kind), namespace, name, subresource);
}

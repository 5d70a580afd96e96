// Gateway API HTTPRoutes: one for the cluster host (to the Service over all primaries),
// one per node host (that node's external-url), and one per node on the cluster host that
// sends a request naming one of the node's sessions — in its path (RegularExpression) or
// in the ORSSESSIONID Cookie header (RegularExpression) — straight to the node's Service.
// The gateway adds no cookie of its own (no sessionPersistence): the runtime's
// ORSSESSIONID is the session id, and a gateway cookie of that name would replace it.
// A request the session routes miss reaches any primary, which answers 307 to the
// owner's external-url. Regular-expression matches are "implementation-specific" in
// the Gateway API: README's routing section lists what each gateway does with them.
// The Gateway API types are not in @kubernetes/client-node, so the shape is declared
// here (gateway.networking.k8s.io/v1).
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { clusterLabels, clusterServiceName, nodeHost, nodeLabels, nodeName, ownedMetadata, sessionRouteName } from './names.ts';
import { sessionCookiePattern, sessionPathPattern } from './session-route-patterns.ts';

export interface HTTPRouteMatch {
  path?: { type: 'PathPrefix' | 'Exact' | 'RegularExpression'; value: string };
  headers?: { type: 'Exact' | 'RegularExpression'; name: string; value: string }[];
}

export interface HTTPRoute {
  apiVersion: 'gateway.networking.k8s.io/v1';
  kind: 'HTTPRoute';
  metadata: V1ObjectMeta;
  spec: {
    parentRefs: { name: string; namespace?: string; sectionName?: string }[];
    hostnames: string[];
    rules: { matches?: HTTPRouteMatch[]; backendRefs: { name: string; port: number }[] }[];
  };
}

function parentRefs(cluster: OrsCluster): HTTPRoute['spec']['parentRefs'] {
  return cluster.spec.routing.gateway.parentRefs.map((ref) => ({ ...ref }));
}

function route(cluster: OrsCluster, metadata: V1ObjectMeta, hostname: string, rule: HTTPRoute['spec']['rules'][number]): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata,
    spec: { parentRefs: parentRefs(cluster), hostnames: [hostname], rules: [rule] },
  };
}

export function buildClusterHttpRoute(cluster: OrsCluster): HTTPRoute | undefined {
  const { routing, httpPort } = cluster.spec;
  if (!routing.gateway.enabled || !routing.host) return undefined;
  const name = cluster.metadata.name;
  return route(cluster, ownedMetadata(cluster, name, clusterLabels(name, 'routing')), routing.host, {
    backendRefs: [{ name: clusterServiceName(name), port: httpPort }],
  });
}

export function buildNodeHttpRoute(cluster: OrsCluster, node: number): HTTPRoute | undefined {
  const { routing, httpPort } = cluster.spec;
  if (!routing.gateway.enabled || !routing.host) return undefined;
  const name = cluster.metadata.name;
  return route(cluster, ownedMetadata(cluster, nodeName(name, node), nodeLabels(name, node, 'routing')), nodeHost(routing.host, node), {
    backendRefs: [{ name: nodeName(name, node), port: httpPort }],
  });
}

/** Node `node`'s sessions on the cluster host: path or cookie names one -> the node's Service. */
export function buildNodeSessionHttpRoute(cluster: OrsCluster, node: number): HTTPRoute | undefined {
  const { routing, httpPort } = cluster.spec;
  if (!routing.gateway.enabled || !routing.host) return undefined;
  const name = cluster.metadata.name;
  return route(cluster, ownedMetadata(cluster, sessionRouteName(name, node), nodeLabels(name, node, 'routing')), routing.host, {
    // Two matches (either one selects the rule). A gateway ranks the path match above the
    // cookie match (a path match first, then the number of header matches), so a path that
    // names a session of another node wins over the cookie.
    matches: [
      { path: { type: 'RegularExpression', value: sessionPathPattern(node) } },
      { headers: [{ type: 'RegularExpression', name: 'Cookie', value: sessionCookiePattern(node) }] },
    ],
    backendRefs: [{ name: nodeName(name, node), port: httpPort }],
  });
}

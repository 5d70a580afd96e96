// Gateway API HTTPRoutes: one for the cluster host with cookie session persistence on
// ORSSESSIONID, and one per node host (that node's external-url). The Gateway API types
// are not in @kubernetes/client-node, so the shape is declared here (gateway.networking.k8s.io/v1).
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { clusterLabels, clusterServiceName, nodeHost, nodeLabels, nodeName, ownedMetadata } from './names.ts';
import { SESSION_COOKIE } from './ingress.ts';

export interface HTTPRoute {
  apiVersion: 'gateway.networking.k8s.io/v1';
  kind: 'HTTPRoute';
  metadata: V1ObjectMeta;
  spec: {
    parentRefs: { name: string; namespace?: string; sectionName?: string }[];
    hostnames: string[];
    rules: {
      backendRefs: { name: string; port: number }[];
      sessionPersistence?: { sessionName: string; type: 'Cookie'; absoluteTimeout?: string };
    }[];
  };
}

function parentRefs(cluster: OrsCluster): HTTPRoute['spec']['parentRefs'] {
  return cluster.spec.routing.gateway.parentRefs.map((ref) => ({ ...ref }));
}

export function buildClusterHttpRoute(cluster: OrsCluster): HTTPRoute | undefined {
  const { routing, httpPort } = cluster.spec;
  if (!routing.gateway.enabled || !routing.host) return undefined;
  const name = cluster.metadata.name;
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: ownedMetadata(cluster, name, clusterLabels(name, 'routing')),
    spec: {
      parentRefs: parentRefs(cluster),
      hostnames: [routing.host],
      rules: [
        {
          backendRefs: [{ name: clusterServiceName(name), port: httpPort }],
          sessionPersistence: {
            sessionName: SESSION_COOKIE,
            type: 'Cookie',
            ...(routing.stickyCookieMaxAgeSeconds !== undefined ? { absoluteTimeout: `${routing.stickyCookieMaxAgeSeconds}s` } : {}),
          },
        },
      ],
    },
  };
}

export function buildNodeHttpRoute(cluster: OrsCluster, node: number): HTTPRoute | undefined {
  const { routing, httpPort } = cluster.spec;
  if (!routing.gateway.enabled || !routing.host) return undefined;
  const name = cluster.metadata.name;
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: ownedMetadata(cluster, nodeName(name, node), nodeLabels(name, node, 'routing')),
    spec: {
      parentRefs: parentRefs(cluster),
      hostnames: [nodeHost(routing.host, node)],
      rules: [{ backendRefs: [{ name: nodeName(name, node), port: httpPort }] }],
    },
  };
}

// The Ingress: the cluster host goes to the Service over all primaries, hashed on the
// ORSSESSIONID cookie so a session's requests keep reaching its node; node-<i>.<host>
// goes to node i's primary and is that node's external-url. The ORS cookie is the
// session id itself, so stickiness hashes on it rather than adding a second cookie.
import type { V1Ingress, V1IngressRule } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { clusterLabels, clusterServiceName, nodeHost, nodeName, ownedMetadata } from './names.ts';

export const SESSION_COOKIE = 'ORSSESSIONID';

const STICKINESS_ANNOTATIONS: Record<string, string> = {
  'nginx.ingress.kubernetes.io/upstream-hash-by': `$cookie_${SESSION_COOKIE}`,
  'haproxy.org/cookie-persistence': SESSION_COOKIE,
};

function rule(host: string, service: string, port: number): V1IngressRule {
  return {
    host,
    http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } }] },
  };
}

export function buildIngress(cluster: OrsCluster, nodeIds: readonly number[]): V1Ingress | undefined {
  const { routing, httpPort } = cluster.spec;
  if (!routing.ingress.enabled || !routing.host) return undefined;
  const name = cluster.metadata.name;
  const nodeHosts = nodeIds.map((node) => nodeHost(routing.host!, node));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      ...ownedMetadata(cluster, name, clusterLabels(name, 'routing')),
      annotations: { ...STICKINESS_ANNOTATIONS, ...routing.ingress.annotations },
    },
    spec: {
      ...(routing.ingress.className ? { ingressClassName: routing.ingress.className } : {}),
      ...(routing.ingress.tlsSecretName
        ? { tls: [{ hosts: [routing.host, ...nodeHosts], secretName: routing.ingress.tlsSecretName }] }
        : {}),
      rules: [
        rule(routing.host, clusterServiceName(name), httpPort),
        ...nodeIds.map((node) => rule(nodeHost(routing.host!, node), nodeName(name, node), httpPort)),
      ],
    },
  };
}

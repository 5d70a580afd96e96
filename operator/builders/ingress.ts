// The Ingress: on the cluster host, a path per node that matches that node's session ids
// (/scxml/session/<id>/..., a regular expression, pathType ImplementationSpecific) goes
// to the node's Service, everything else to the Service over all primaries; node-<i>.<host>
// goes to node i's primary and is that node's external-url. The annotations tell the
// controllers people run which read those paths as regular expressions: Traefik
// (router.pathmatcher), HAProxy Ingress (path-type) and ingress-nginx (use-regex). A
// controller that reads them literally never matches them, and a session request then
// reaches any primary, which answers 307 to the owner: the fallback. No cookie
// stickiness: the ORSSESSIONID cookie is the session id, and a controller's own cookie
// of that name would replace it. README's routing section lists what each controller does.
import type { V1HTTPIngressPath, V1Ingress, V1IngressRule } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { clusterLabels, clusterServiceName, nodeHost, nodeName, ownedMetadata } from './names.ts';
import { ingressSessionPathPattern } from './session-route-patterns.ts';

export const SESSION_PATH_ANNOTATIONS: Record<string, string> = {
  'traefik.ingress.kubernetes.io/router.pathmatcher': 'PathRegexp',
  'haproxy-ingress.github.io/path-type': 'regex',
  'nginx.ingress.kubernetes.io/use-regex': 'true',
};

function backend(service: string, port: number): V1HTTPIngressPath['backend'] {
  return { service: { name: service, port: { number: port } } };
}

function rule(host: string, paths: V1HTTPIngressPath[]): V1IngressRule {
  return { host, http: { paths } };
}

export function buildIngress(cluster: OrsCluster, nodeIds: readonly number[]): V1Ingress | undefined {
  const { routing, httpPort } = cluster.spec;
  if (!routing.ingress.enabled || !routing.host) return undefined;
  const name = cluster.metadata.name;
  const nodeHosts = nodeIds.map((node) => nodeHost(routing.host!, node));
  const everything = (service: string): V1HTTPIngressPath => ({ path: '/', pathType: 'Prefix', backend: backend(service, httpPort) });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      ...ownedMetadata(cluster, name, clusterLabels(name, 'routing')),
      annotations: { ...SESSION_PATH_ANNOTATIONS, ...routing.ingress.annotations },
    },
    spec: {
      ...(routing.ingress.className ? { ingressClassName: routing.ingress.className } : {}),
      ...(routing.ingress.tlsSecretName
        ? { tls: [{ hosts: [routing.host, ...nodeHosts], secretName: routing.ingress.tlsSecretName }] }
        : {}),
      rules: [
        rule(routing.host, [
          ...nodeIds.map((node): V1HTTPIngressPath => ({
            path: ingressSessionPathPattern(node),
            pathType: 'ImplementationSpecific',
            backend: backend(nodeName(name, node), httpPort),
          })),
          everything(clusterServiceName(name)),
        ]),
        ...nodeIds.map((node) => rule(nodeHost(routing.host!, node), [everything(nodeName(name, node))])),
      ],
    },
  };
}

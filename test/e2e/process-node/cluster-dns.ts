// The cluster DNS stand-in: an /etc/hosts for the sandboxes with every pod's DNS names
// under its headless Service (<hostname>.<subdomain>.<namespace>.svc[.cluster.local]),
// which is how a StatefulSet's pods find each other (the runtime's sync peers). Pure.
import type { V1Pod } from '@kubernetes/client-node';

export function hostsFile(pods: readonly V1Pod[]): string {
  const lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback'];
  const entries = pods
    .filter((pod) => pod.status?.podIP && !pod.metadata?.deletionTimestamp)
    .map((pod) => {
      const hostname = pod.spec?.hostname ?? pod.metadata!.name!;
      const namespace = pod.metadata!.namespace!;
      const names = pod.spec?.subdomain
        ? [`${hostname}.${pod.spec.subdomain}.${namespace}.svc.cluster.local`, `${hostname}.${pod.spec.subdomain}.${namespace}.svc`, `${hostname}.${pod.spec.subdomain}`]
        : [`${hostname}`];
      return `${pod.status!.podIP} ${names.join(' ')}`;
    })
    .sort();
  return [...lines, ...entries].join('\n') + '\n';
}

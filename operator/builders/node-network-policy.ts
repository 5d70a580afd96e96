// Per node: the HTTP port is open (clients, load balancers, other nodes' redirects are
// client-side), the sync port only between the node's own two pods. Built as wire JSON:
// the client-node model names the `from` field `_from`, and objects are sent as JSON here.
import type { V1NetworkPolicy, V1NetworkPolicyIngressRule, V1NetworkPolicyPeer } from '@kubernetes/client-node';

type WireIngressRule = Omit<V1NetworkPolicyIngressRule, '_from'> & { from?: V1NetworkPolicyPeer[] };
type WireNetworkPolicy = Omit<V1NetworkPolicy, 'spec'> & { spec: Omit<NonNullable<V1NetworkPolicy['spec']>, 'ingress'> & { ingress: WireIngressRule[] } };
import type { OrsCluster } from '../api/ors-cluster.ts';
import { nodeLabels, nodeName, nodeSelector, ownedMetadata } from './names.ts';

export function buildNodeNetworkPolicy(cluster: OrsCluster, node: number): WireNetworkPolicy {
  const name = cluster.metadata.name;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: ownedMetadata(cluster, nodeName(name, node), nodeLabels(name, node, 'node')),
    spec: {
      podSelector: { matchLabels: nodeSelector(name, node) },
      policyTypes: ['Ingress'],
      ingress: [
        { ports: [{ port: cluster.spec.httpPort, protocol: 'TCP' }] },
        { from: [{ podSelector: { matchLabels: nodeSelector(name, node) } }], ports: [{ port: cluster.spec.syncPort, protocol: 'TCP' }] },
      ],
    },
  };
}

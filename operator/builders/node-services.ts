// Per node: a headless Service that gives both pods stable DNS names for the sync
// connection (published before they are Ready: the backup is never Ready), and a Service
// for the node itself that reaches its primary only, because only the primary is Ready.
import type { V1Service } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { nodeLabels, nodeName, nodeSelector, ownedMetadata, syncServiceName } from './names.ts';

export function buildNodeSyncService(cluster: OrsCluster, node: number): V1Service {
  const name = cluster.metadata.name;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMetadata(cluster, syncServiceName(name, node), nodeLabels(name, node, 'sync')),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: nodeSelector(name, node),
      ports: [{ name: 'sync', port: cluster.spec.syncPort, targetPort: 'sync', protocol: 'TCP' }],
    },
  };
}

export function buildNodePrimaryService(cluster: OrsCluster, node: number): V1Service {
  const name = cluster.metadata.name;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMetadata(cluster, nodeName(name, node), nodeLabels(name, node, 'node-primary')),
    spec: {
      type: 'ClusterIP',
      selector: nodeSelector(name, node),
      ports: [{ name: 'http', port: cluster.spec.httpPort, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

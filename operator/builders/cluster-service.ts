// The Service over all primaries of the cluster (only primaries are Ready). Sessions are
// pinned by the ORSSESSIONID cookie at the Ingress/Gateway; a request reaching the wrong
// node is redirected (307) to the owner's external-url by the runtime itself.
import type { V1Service } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { clusterLabels, clusterServiceName, ownedMetadata, runtimePodSelector } from './names.ts';

export function buildClusterService(cluster: OrsCluster): V1Service {
  const name = cluster.metadata.name;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMetadata(cluster, clusterServiceName(name), clusterLabels(name, 'cluster')),
    spec: {
      type: 'ClusterIP',
      selector: runtimePodSelector(name),
      ports: [{ name: 'http', port: cluster.spec.httpPort, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

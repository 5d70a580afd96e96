// What the e2e tests read back from the cluster: every node's Lease holder and epoch,
// pod readiness, the cluster Service's endpoints, and the OrsCluster status.
import type { V1EndpointSlice, V1Lease, V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../../operator/controller/kube-client.ts';

export interface NodeView {
  node: number;
  holder: string | undefined;
  transitions: number;
  readyPods: string[];
  pods: string[];
}

export class ClusterObserver {
  private readonly client: KubeClient;
  private readonly namespace: string;
  private readonly cluster: string;

  constructor(client: KubeClient, namespace: string, cluster: string) {
    this.client = client;
    this.namespace = namespace;
    this.cluster = cluster;
  }

  async pods(): Promise<V1Pod[]> {
    const list = await this.client.get<{ items: V1Pod[] }>(`/api/v1/namespaces/${this.namespace}/pods?labelSelector=${encodeURIComponent(`ors.dev/cluster=${this.cluster}`)}`);
    return list.items;
  }

  async lease(node: number): Promise<V1Lease | undefined> {
    return this.client.find<V1Lease>(`/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases/${this.cluster}-node-${node}`);
  }

  async nodes(count: number): Promise<NodeView[]> {
    const pods = await this.pods();
    const views: NodeView[] = [];
    for (let node = 0; node < count; node++) {
      const lease = await this.lease(node);
      const mine = pods.filter((p) => p.metadata?.labels?.['ors.dev/node'] === String(node) && !p.metadata?.deletionTimestamp);
      views.push({
        node,
        holder: lease?.spec?.holderIdentity || undefined,
        transitions: lease?.spec?.leaseTransitions ?? 0,
        pods: mine.map((p) => p.metadata!.name!).sort(),
        readyPods: mine.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((p) => p.metadata!.name!),
      });
    }
    return views;
  }

  /** True when every node has two pods, its Lease holder is its only Ready pod. */
  async allNodesServing(count: number): Promise<NodeView[] | undefined> {
    const views = await this.nodes(count);
    const ok = views.every((v) => v.pods.length === 2 && v.holder !== undefined && v.readyPods.length === 1 && v.readyPods[0] === v.holder);
    return ok ? views : undefined;
  }

  /** Ready endpoint addresses of a Service (from the EndpointSlices the controller manager writes). */
  async readyEndpoints(service: string): Promise<string[]> {
    const slices = await this.client.get<{ items: V1EndpointSlice[] }>(
      `/apis/discovery.k8s.io/v1/namespaces/${this.namespace}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${service}`)}`,
    );
    return slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.targetRef?.name ?? e.addresses)).sort();
  }

  async status(): Promise<Record<string, unknown> | undefined> {
    const cluster = await this.client.find<{ status?: Record<string, unknown> }>(`/apis/ors.dev/v1alpha1/namespaces/${this.namespace}/orsclusters/${this.cluster}`);
    return cluster?.status;
  }
}

// The status page's data in Kubernetes: OrsClusters, pods and Leases from the
// operator's own informer caches while it leads (no second watch stack); a standby
// replica, which has no caches, lists them. Events are not watched by the operator, so
// they are listed (events.k8s.io/v1 holds the kubelet's core Events too). A snapshot is
// kept for a moment, so many open pages cost one listing, not one each.
import type { KubernetesListObject, KubernetesObject, V1Lease, V1Pod } from '@kubernetes/client-node';
import { API_VERSION, KIND } from '../api/ors-cluster.ts';
import { LABEL_MANAGED_BY } from '../api/pod-contract.ts';
import type { Informers } from '../controller/informers.ts';
import type { KubeClient } from '../controller/kube-client.ts';
import { collectionPath, resourceType } from '../controller/resource-paths.ts';
import { buildStatusPage, type ListedEvent, type ListedOrsCluster, type StatusPage } from './page-model.ts';
import type { StatusSource } from './status-routes.ts';

const SNAPSHOT_MS = 500;
const eventsPath = (namespace?: string) => (namespace === undefined ? '/apis/events.k8s.io/v1/events' : `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events`);

export interface KubernetesSourceOptions {
  client: KubeClient;
  /** The leader's caches, when this replica leads. */
  caches: () => Informers | undefined;
  /** Only this namespace (the operator's --watch-namespace). */
  namespace?: string;
  now?: () => Date;
}

export class KubernetesStatusSource implements StatusSource {
  private readonly options: KubernetesSourceOptions;
  private last?: { at: number; page: Promise<StatusPage> };

  constructor(options: KubernetesSourceOptions) {
    this.options = options;
  }

  snapshot(): Promise<StatusPage> {
    const now = Date.now();
    if (this.last && now - this.last.at < SNAPSHOT_MS) return this.last.page;
    const page = this.build();
    this.last = { at: now, page };
    page.catch(() => {
      if (this.last?.page === page) this.last = undefined;
    });
    return page;
  }

  private async build(): Promise<StatusPage> {
    const { client, namespace } = this.options;
    const caches = this.options.caches();
    const list = async <T extends KubernetesObject>(apiVersion: string, kind: string, labelSelector?: string): Promise<readonly T[]> => {
      if (caches?.watching(kind)) return caches.list<T>(kind, namespace);
      const listed = await client.request<KubernetesListObject<T>>('GET', collectionPath(resourceType(apiVersion, kind), namespace), { query: labelSelector ? { labelSelector } : {} });
      return listed.items;
    };
    const [clusters, pods, leases, events] = await Promise.all([
      list<ListedOrsCluster>(API_VERSION, KIND),
      list<V1Pod>('v1', 'Pod', `${LABEL_MANAGED_BY}=ors-operator`),
      list<V1Lease>('coordination.k8s.io/v1', 'Lease'),
      client.request<KubernetesListObject<ListedEvent>>('GET', eventsPath(namespace)).then((l) => l.items),
    ]);
    return buildStatusPage({ source: 'kubernetes', clusters, pods, leases, events, now: this.options.now?.() ?? new Date() });
  }
}

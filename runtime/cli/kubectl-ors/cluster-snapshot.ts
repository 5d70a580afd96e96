// What `kubectl ors` knows about one OrsCluster at one moment, read from the API server:
// the resource, its pods and node Leases, the events about them and, through the API
// server's pod proxy, each runtime's /metrics. The views render this; they do no I/O.
import type { KubernetesObject, V1Lease, V1Pod } from '@kubernetes/client-node';
import { KubeApiError, type KubeClient } from '../../../operator/controller/kube-client.ts';
import { GROUP, PLURAL, VERSION, type Condition, type NodeStatus } from '../../../operator/api/ors-cluster.ts';
import {
  DRAIN_ANNOTATION, FAILSAFE_ANNOTATION, LABEL_CLUSTER, LABEL_NODE, PRIMARY_LOAD_ANNOTATION, SWITCHOVER_REQUEST_ANNOTATION, SYNC_STATE_ANNOTATION,
  parseFailsafeState, parsePrimaryLoad, parseSyncState, type FailsafeState, type PrimaryLoad, type SyncState,
} from '../../../operator/api/pod-contract.ts';
import { runtimeFigures, type RuntimeFigures } from './runtime-metrics-text.ts';

export interface PodSnapshot {
  name: string;
  node: number | undefined;
  phase: string;
  ready: boolean;
  podIP?: string;
  /** Figures from the pod's /metrics, or why they could not be read. */
  figures: RuntimeFigures | { error: string };
}

export interface LeaseSnapshot {
  node: number;
  name: string;
  holder?: string;
  transitions: number;
  syncState?: SyncState;
  failsafe?: FailsafeState;
  /** Set while the node is drained (ors.dev/drain on the Lease): its primary takes no new sessions. */
  drainSince?: string;
  leaseDurationSeconds?: number;
  /** The holder's last load report on the Lease (judge it with currentPrimaryLoad). */
  primaryLoad?: PrimaryLoad;
}

export interface EventSnapshot {
  time: string;
  type: string;
  reason: string;
  object: string;
  message: string;
  count: number;
}

export interface ClusterSnapshot {
  name: string;
  namespace: string;
  /** When it was read: the views compute ages against this, not the clock. */
  at: string;
  specNodes: number;
  httpPort: number;
  phase?: string;
  readyNodes?: number;
  conditions: Condition[];
  nodes: NodeStatus[];
  switchoverRequest?: string;
  handledSwitchoverRequest?: string;
  pods: PodSnapshot[];
  leases: LeaseSnapshot[];
  events: EventSnapshot[];
}

export interface RawOrsCluster extends KubernetesObject {
  spec?: { nodes?: number; httpPort?: number };
  status?: { phase?: string; readyNodes?: number; conditions?: Condition[]; nodes?: NodeStatus[]; handledSwitchoverRequest?: string };
}

export const orsClusterPath = (namespace: string, name?: string) =>
  `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}${name ? `/${encodeURIComponent(name)}` : ''}`;

const DEFAULT_HTTP_PORT = 8080;

export async function readOrsCluster(client: KubeClient, namespace: string, name: string): Promise<RawOrsCluster> {
  try {
    return await client.get<RawOrsCluster>(orsClusterPath(namespace, name));
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) throw new Error(`OrsCluster "${name}" not found in namespace "${namespace}"`, { cause: error });
    throw error;
  }
}

export async function listOrsClusters(client: KubeClient, namespace: string): Promise<string[]> {
  const list = await client.get<{ items: RawOrsCluster[] }>(orsClusterPath(namespace));
  return list.items.map((c) => c.metadata!.name!).sort();
}

export async function clusterPods(client: KubeClient, namespace: string, name: string): Promise<V1Pod[]> {
  const selector = encodeURIComponent(`${LABEL_CLUSTER}=${name}`);
  return (await client.get<{ items: V1Pod[] }>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${selector}`)).items;
}

/** A pod's /metrics through the API server's pod proxy (the caller needs pods/proxy). */
export async function podMetrics(client: KubeClient, namespace: string, pod: string, port: number): Promise<string> {
  const text = await client.request<unknown>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(`${pod}:${port}`)}/proxy/metrics`, {
    // JSON too: an error (no kubelet, pod unreachable) is a Status object, refused with 406 otherwise.
    accept: 'text/plain, application/json;q=0.9',
    timeoutMs: 5000,
  });
  return typeof text === 'string' ? text : JSON.stringify(text);
}

/** Events about the cluster or any object named after it (its pods, StatefulSets, Leases...), newest last. */
export async function clusterEvents(client: KubeClient, namespace: string, name: string): Promise<EventSnapshot[]> {
  const list = await client.get<{ items: CoreEvent[] }>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`);
  return list.items
    .filter((e) => e.involvedObject?.name === name || e.involvedObject?.name?.startsWith(`${name}-`))
    .map(eventSnapshot)
    .sort((a, b) => a.time.localeCompare(b.time));
}

interface CoreEvent {
  involvedObject?: { kind?: string; name?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  eventTime?: string;
  lastTimestamp?: string;
  firstTimestamp?: string;
  series?: { count?: number; lastObservedTime?: string };
  metadata?: { creationTimestamp?: string };
}

/** Core v1 view of an event, whichever API wrote it (events.k8s.io series or a core count). */
export function eventSnapshot(e: CoreEvent): EventSnapshot {
  return {
    time: e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? '',
    type: e.type ?? '',
    reason: e.reason ?? '',
    object: `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`,
    message: e.message ?? '',
    count: e.series?.count ?? e.count ?? 1,
  };
}

export function leaseSnapshot(lease: V1Lease, node: number): LeaseSnapshot {
  const annotations = lease.metadata?.annotations ?? {};
  const syncState = parseSyncState(annotations[SYNC_STATE_ANNOTATION]);
  const failsafe = parseFailsafeState(annotations[FAILSAFE_ANNOTATION]);
  const primaryLoad = parsePrimaryLoad(annotations[PRIMARY_LOAD_ANNOTATION]);
  return {
    node,
    name: lease.metadata!.name!,
    ...(lease.spec?.holderIdentity ? { holder: lease.spec.holderIdentity } : {}),
    transitions: lease.spec?.leaseTransitions ?? 0,
    ...(syncState ? { syncState } : {}),
    ...(failsafe ? { failsafe } : {}),
    ...(annotations[DRAIN_ANNOTATION] ? { drainSince: annotations[DRAIN_ANNOTATION] } : {}),
    ...(lease.spec?.leaseDurationSeconds ? { leaseDurationSeconds: lease.spec.leaseDurationSeconds } : {}),
    ...(primaryLoad ? { primaryLoad } : {}),
  };
}

function nodeOfPod(pod: V1Pod): number | undefined {
  const label = pod.metadata?.labels?.[LABEL_NODE];
  return label !== undefined && /^\d+$/.test(label) ? Number(label) : undefined;
}

export async function readClusterSnapshot(client: KubeClient, namespace: string, name: string, options: { metrics?: boolean } = {}): Promise<ClusterSnapshot> {
  const cluster = await readOrsCluster(client, namespace, name);
  const httpPort = cluster.spec?.httpPort ?? DEFAULT_HTTP_PORT;
  const specNodes = cluster.spec?.nodes ?? 0;
  const rawPods = await clusterPods(client, namespace, name);
  const pods = await Promise.all(
    rawPods
      .sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!))
      .map(async (pod): Promise<PodSnapshot> => {
        const podName = pod.metadata!.name!;
        let figures: PodSnapshot['figures'] = { error: 'not read' };
        if (options.metrics !== false) {
          figures = await podMetrics(client, namespace, podName, httpPort).then(runtimeFigures, (error: unknown) => ({ error: shortError(error) }));
        }
        return {
          name: podName,
          node: nodeOfPod(pod),
          phase: pod.status?.phase ?? 'Unknown',
          ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
          ...(pod.status?.podIP ? { podIP: pod.status.podIP } : {}),
          figures,
        };
      }),
  );
  const nodeIds = new Set<number>([...Array.from({ length: specNodes }, (_, i) => i), ...(cluster.status?.nodes ?? []).map((n) => n.id)]);
  const leases: LeaseSnapshot[] = [];
  for (const id of [...nodeIds].sort((a, b) => a - b)) {
    const lease = await client.find<V1Lease>(`/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases/${encodeURIComponent(`${name}-node-${id}`)}`);
    if (lease) leases.push(leaseSnapshot(lease, id));
  }
  const switchoverRequest = cluster.metadata?.annotations?.[SWITCHOVER_REQUEST_ANNOTATION];
  const handled = cluster.status?.handledSwitchoverRequest;
  return {
    name,
    namespace,
    at: new Date().toISOString(),
    specNodes,
    httpPort,
    ...(cluster.status?.phase ? { phase: cluster.status.phase } : {}),
    ...(cluster.status?.readyNodes !== undefined ? { readyNodes: cluster.status.readyNodes } : {}),
    conditions: cluster.status?.conditions ?? [],
    nodes: cluster.status?.nodes ?? [],
    ...(switchoverRequest ? { switchoverRequest } : {}),
    ...(handled ? { handledSwitchoverRequest: handled } : {}),
    pods,
    leases,
    events: await clusterEvents(client, namespace, name),
  };
}

export function shortError(error: unknown): string {
  if (error instanceof KubeApiError) return `${error.status} ${error.reason ?? ''}`.trim();
  return error instanceof Error ? error.message.slice(0, 120) : String(error).slice(0, 120);
}

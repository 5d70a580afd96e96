// Reduces the Kubernetes objects in the caches to the ObservedState the decisions use.
import type { KubernetesObject, V1Lease, V1Node, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import {
  ACTIVE_SESSIONS_ANNOTATION, DRAIN_ANNOTATION, FAILSAFE_ANNOTATION, LABEL_CLUSTER, LABEL_NODE, PRIMARY_LOAD_ANNOTATION, STEP_DOWN_ANNOTATION,
  SYNC_STATE_ANNOTATION, parseFailsafeState, parsePrimaryLoad, parseSyncState,
} from '../api/pod-contract.ts';
import { TEMPLATE_HASH_ANNOTATION } from '../builders/node-statefulset.ts';
import type { ObservedLease, ObservedPod, ObservedState, ObservedStatefulSet } from './observed-state.ts';

const REVISION_LABEL = 'controller-revision-hash';

function nodeIdOf(o: KubernetesObject): number | undefined {
  const raw = o.metadata?.labels?.[LABEL_NODE];
  const id = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(id) && id >= 0 ? id : undefined;
}

const iso = (t: Date | string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

export function observePod(pod: V1Pod): ObservedPod | undefined {
  const node = nodeIdOf(pod);
  if (node === undefined || !pod.metadata?.name) return undefined;
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  return {
    name: pod.metadata.name,
    node,
    revision: pod.metadata.labels?.[REVISION_LABEL] ?? '',
    ready,
    deleting: !!pod.metadata.deletionTimestamp,
    createdAt: iso(pod.metadata.creationTimestamp) ?? new Date(0).toISOString(),
    ...(pod.spec?.nodeName ? { kubeNode: pod.spec.nodeName } : {}),
  };
}

export function observeStatefulSet(sts: V1StatefulSet): ObservedStatefulSet | undefined {
  const node = nodeIdOf(sts);
  if (node === undefined || sts.metadata?.deletionTimestamp) return undefined;
  const templateHash = sts.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION];
  return {
    node,
    ...(sts.status?.updateRevision ? { updateRevision: sts.status.updateRevision } : {}),
    ...(templateHash ? { templateHash } : {}),
    statusCurrent: (sts.status?.observedGeneration ?? 0) >= (sts.metadata?.generation ?? 0),
  };
}

export function observeLease(lease: V1Lease, node: number): ObservedLease {
  const a = lease.metadata?.annotations ?? {};
  const spec = lease.spec ?? {};
  const sessions = a[ACTIVE_SESSIONS_ANNOTATION] === undefined ? undefined : Number(a[ACTIVE_SESSIONS_ANNOTATION]);
  const syncState = parseSyncState(a[SYNC_STATE_ANNOTATION]);
  const failsafe = parseFailsafeState(a[FAILSAFE_ANNOTATION]);
  const primaryLoad = parsePrimaryLoad(a[PRIMARY_LOAD_ANNOTATION]);
  return {
    node,
    ...(spec.holderIdentity ? { holder: spec.holderIdentity } : {}),
    ...(spec.acquireTime ? { acquireTime: iso(spec.acquireTime) } : {}),
    ...(spec.renewTime ? { renewTime: iso(spec.renewTime) } : {}),
    ...(spec.leaseDurationSeconds ? { leaseDurationSeconds: spec.leaseDurationSeconds } : {}),
    ...(spec.leaseTransitions !== undefined ? { transitions: spec.leaseTransitions } : {}),
    ...(syncState ? { syncState } : {}),
    ...(failsafe ? { failsafe } : {}),
    ...(a[STEP_DOWN_ANNOTATION] ? { stepDown: a[STEP_DOWN_ANNOTATION] } : {}),
    ...(a[DRAIN_ANNOTATION] ? { drainSince: a[DRAIN_ANNOTATION] } : {}),
    ...(sessions !== undefined && Number.isFinite(sessions) ? { activeSessions: sessions } : {}),
    ...(primaryLoad ? { primaryLoad } : {}),
  };
}

/** The node id of a Lease named `<cluster>-node-<i>`, or undefined. */
export function leaseNodeId(cluster: string, leaseName: string): number | undefined {
  const prefix = `${cluster}-node-`;
  if (!leaseName.startsWith(prefix)) return undefined;
  const rest = leaseName.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

export function observeCluster(
  cluster: string,
  objects: { pods: readonly V1Pod[]; statefulSets: readonly V1StatefulSet[]; leases: readonly V1Lease[]; kubeNodes: readonly V1Node[] },
): ObservedState {
  const mine = (o: KubernetesObject) => o.metadata?.labels?.[LABEL_CLUSTER] === cluster;
  return {
    pods: objects.pods.filter(mine).map(observePod).filter((p): p is ObservedPod => !!p),
    statefulSets: objects.statefulSets.filter(mine).map(observeStatefulSet).filter((s): s is ObservedStatefulSet => !!s),
    leases: objects.leases.flatMap((l) => {
      const node = leaseNodeId(cluster, l.metadata?.name ?? '');
      return node === undefined ? [] : [observeLease(l, node)];
    }),
    cordonedKubeNodes: new Set(objects.kubeNodes.filter((n) => n.spec?.unschedulable).map((n) => n.metadata!.name!)),
  };
}

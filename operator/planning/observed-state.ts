// What the controller observed about one OrsCluster, reduced to what the pure decisions
// need: pods, StatefulSets, Leases, and the Kubernetes nodes the pods run on. The
// controller fills these from its informer caches (./from-kubernetes.ts).
import type { FailsafeState, PrimaryLoad, SyncState } from '../api/pod-contract.ts';

export interface ObservedPod {
  name: string;
  node: number;
  /** controller-revision-hash label: compared with the StatefulSet's updateRevision. */
  revision: string;
  ready: boolean;
  deleting: boolean;
  createdAt: string;
  /** Kubernetes node the pod is scheduled on, if any. */
  kubeNode?: string;
}

export interface ObservedStatefulSet {
  node: number;
  updateRevision?: string;
  /** The template hash annotation: which desired template this StatefulSet carries (unknown if absent). */
  templateHash?: string;
  /** False while the StatefulSet controller has not processed the latest spec (updateRevision may be stale). */
  statusCurrent: boolean;
}

export interface ObservedLease {
  node: number;
  holder?: string;
  acquireTime?: string;
  renewTime?: string;
  leaseDurationSeconds?: number;
  transitions?: number;
  syncState?: SyncState;
  failsafe?: FailsafeState;
  stepDown?: string;
  drainSince?: string;
  activeSessions?: number;
  /** The holder's last load report (sessions, sync lag), whoever wrote it and however old: see currentPrimaryLoad. */
  primaryLoad?: PrimaryLoad;
}

export interface ObservedState {
  pods: ObservedPod[];
  statefulSets: ObservedStatefulSet[];
  leases: ObservedLease[];
  /** Names of cordoned (unschedulable) Kubernetes nodes. */
  cordonedKubeNodes: ReadonlySet<string>;
}

/** One ORS node as the decisions see it. */
export interface NodeView {
  id: number;
  statefulSet?: ObservedStatefulSet;
  lease?: ObservedLease;
  pods: ObservedPod[];
  /** The Lease holder, when it is one of the node's live pods. */
  primary?: ObservedPod;
  /** The node's other live pod. */
  backup?: ObservedPod;
  synced: boolean;
}

function liveHolder(pods: ObservedPod[], lease: ObservedLease | undefined, now: Date): ObservedPod | undefined {
  if (!lease?.holder) return undefined;
  if (lease.renewTime && lease.leaseDurationSeconds) {
    const expires = Date.parse(lease.renewTime) + lease.leaseDurationSeconds * 1000;
    if (expires < now.getTime()) return undefined;
  }
  return pods.find((p) => p.name === lease.holder && !p.deleting);
}

export function nodeView(state: ObservedState, id: number, now: Date): NodeView {
  const pods = state.pods.filter((p) => p.node === id).sort((a, b) => a.name.localeCompare(b.name));
  const lease = state.leases.find((l) => l.node === id);
  const primary = liveHolder(pods, lease, now);
  const backup = primary ? pods.find((p) => p !== primary && !p.deleting) : undefined;
  const sync = lease?.syncState;
  // A report written before the backup pod was (re)created is about a previous pod of
  // the same name: it does not count.
  const fresh = !!sync && !!backup && Date.parse(sync.at) >= Date.parse(backup.createdAt);
  const synced = !!(primary && backup && sync?.synced && fresh && sync.primary === primary.name && sync.backup === backup.name);
  return { id, statefulSet: state.statefulSets.find((s) => s.node === id), lease, pods, primary, backup, synced };
}

/** Ids of every node that has a StatefulSet, a Lease or pods. */
export function observedNodeIds(state: ObservedState): number[] {
  const ids = new Set<number>([...state.statefulSets.map((s) => s.node), ...state.pods.map((p) => p.node)]);
  return [...ids].sort((a, b) => a - b);
}

export function isOutdated(pod: ObservedPod, view: NodeView): boolean {
  const target = view.statefulSet?.updateRevision;
  return !!target && pod.revision !== target;
}

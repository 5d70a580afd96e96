// The kubelet's word on a primary's container, read from its Pod's status: the third piece
// of crash evidence in Kubernetes (runtime/ha/FAILOVER.md). Pure: a Pod in, a verdict out.
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

export type PodVerdict =
  | { terminated: true; detail: string }
  | { terminated: false; detail: string };

/** The restart count of the pod's containers, summed (a baseline read while the primary was healthy). */
export function restartCount(pod: V1Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((sum, status) => sum + (status.restartCount ?? 0), 0);
}

function describe(status: V1ContainerStatus): string {
  const terminated = status.state?.terminated ?? status.lastState?.terminated;
  return terminated
    ? `container ${status.name} terminated (${terminated.reason ?? 'no reason'}, exit ${terminated.exitCode}${terminated.signal ? `, signal ${terminated.signal}` : ''})`
    : `container ${status.name}`;
}

/**
 * Whether the kubelet reports that the container which served as primary is gone:
 * terminated now, waiting to be restarted after a termination, or restarted since
 * `baselineRestarts` was read (a new run is up at the same address, but the run that held
 * the lease is dead). A running container with no new restart, or a pod without status,
 * is no evidence.
 */
export function judgePod(pod: V1Pod, baselineRestarts: number | undefined): PodVerdict {
  const statuses = pod.status?.containerStatuses ?? [];
  if (statuses.length === 0) return { terminated: false, detail: 'the pod reports no container status' };
  for (const status of statuses) {
    if (status.state?.terminated) return { terminated: true, detail: `kubelet: ${describe(status)}` };
    if (status.state?.waiting && status.lastState?.terminated) {
      return { terminated: true, detail: `kubelet: ${describe(status)}, waiting to restart (${status.state.waiting.reason ?? 'no reason'})` };
    }
  }
  if (baselineRestarts !== undefined && restartCount(pod) > baselineRestarts) {
    const restarted = statuses.find((s) => s.lastState?.terminated) ?? statuses[0]!;
    return { terminated: true, detail: `kubelet: restart count ${baselineRestarts} -> ${restartCount(pod)}, ${describe(restarted)}` };
  }
  return { terminated: false, detail: `kubelet: containers running, restart count ${restartCount(pod)}` };
}

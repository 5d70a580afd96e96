// The status a kubelet reports for a pod of one container: phase, podIP, the
// Initialized / PodScheduled / ContainersReady / Ready conditions and the container's
// status. Pure: pod-runner.ts calls it with what it observed and writes the result.
import type { V1ContainerState, V1PodStatus } from '@kubernetes/client-node';

export interface ObservedContainer {
  name: string;
  image: string;
  state: 'waiting' | 'running' | 'terminated';
  /** For running: when it started; for terminated: exit code and reason. */
  startedAt?: string;
  exitCode?: number;
  reason?: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  lastTermination?: { exitCode: number; reason: string; finishedAt: string };
  containerID: string;
}

export interface ObservedPod {
  podIP: string;
  hostIP: string;
  startTime: string;
  /** Set when the pod's phase is final (restartPolicy Never/OnFailure after exit). */
  finalPhase?: 'Succeeded' | 'Failed';
  container: ObservedContainer;
  /** lastTransitionTime of each condition, kept while its status does not change. */
  transitions: Record<string, { status: string; at: string }>;
  now: string;
}

function containerState(c: ObservedContainer): V1ContainerState {
  if (c.state === 'running') return { running: { startedAt: c.startedAt as unknown as Date } };
  if (c.state === 'terminated') return { terminated: { exitCode: c.exitCode ?? 0, reason: c.reason ?? 'Error' } };
  return { waiting: { reason: c.reason ?? 'ContainerCreating' } };
}

function condition(observed: ObservedPod, type: string, value: boolean) {
  const status = value ? 'True' : 'False';
  const previous = observed.transitions[type];
  const at = previous && previous.status === status ? previous.at : observed.now;
  observed.transitions[type] = { status, at };
  return { type, status, lastProbeTime: null, lastTransitionTime: at };
}

/** The pod status to write (wire JSON: times are RFC 3339 strings). Updates `observed.transitions`. */
export function podStatus(observed: ObservedPod): V1PodStatus {
  const c = observed.container;
  const ready = c.state === 'running' && c.ready;
  const phase = observed.finalPhase ?? (c.state === 'running' || c.restartCount > 0 ? 'Running' : 'Pending');
  const status = {
    phase,
    hostIP: observed.hostIP,
    hostIPs: [{ ip: observed.hostIP }],
    podIP: observed.podIP,
    podIPs: [{ ip: observed.podIP }],
    startTime: observed.startTime,
    qosClass: 'BestEffort',
    conditions: [
      condition(observed, 'PodScheduled', true),
      condition(observed, 'Initialized', true),
      condition(observed, 'ContainersReady', ready),
      condition(observed, 'Ready', ready),
    ],
    containerStatuses: [
      {
        name: c.name,
        image: c.image,
        imageID: `process-node://${c.image}`,
        containerID: c.containerID,
        ready,
        started: c.started,
        restartCount: c.restartCount,
        state: containerState(c),
        lastState: c.lastTermination
          ? { terminated: { exitCode: c.lastTermination.exitCode, reason: c.lastTermination.reason, finishedAt: c.lastTermination.finishedAt } }
          : {},
      },
    ],
  };
  return status as unknown as V1PodStatus;
}

/**
 * Whether the status the API server holds for the pod disagrees with the one this kubelet
 * last wrote, in what readers act on: the phase, each condition's status, and the
 * container's ready/started/restart count. Another writer can change them — the node
 * lifecycle controller marks every pod of a Node NotReady when the Node's lease looks
 * stale (after kube-apiserver restarts) — and the kubelet's status manager then writes its
 * own view again; a kubelet that only wrote on change of its own view would leave the
 * pod NotReady for good.
 */
export function statusDiverged(written: V1PodStatus, inApi: V1PodStatus | undefined): boolean {
  const mine = new Set((written.conditions ?? []).map((c) => c.type));
  const essentials = (s: V1PodStatus | undefined) => JSON.stringify({
    phase: s?.phase,
    // Only the conditions this kubelet owns: others (DisruptionTarget, ...) are not ours to judge.
    conditions: (s?.conditions ?? []).filter((c) => mine.has(c.type)).map((c) => `${c.type}=${c.status}`).sort(),
    containers: (s?.containerStatuses ?? []).map((c) => `${c.name}:${c.ready}:${c.started}:${c.restartCount}`).sort(),
  });
  return essentials(written) !== essentials(inApi);
}

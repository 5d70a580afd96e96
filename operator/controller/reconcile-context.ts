// What every reconciler gets: the API client, the informer caches, the event recorder,
// a logger, metrics and the clock.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { OrsCluster } from '../api/ors-cluster.ts';
import type { EventRecorder, EventTarget } from './event-recorder.ts';
import type { Informers } from './informers.ts';
import type { KubeClient } from './kube-client.ts';
import type { OperatorMetrics } from './operator-metrics.ts';

export interface ReconcileContext {
  client: KubeClient;
  informers: Informers;
  events: EventRecorder;
  log: Logger;
  metrics: OperatorMetrics;
  now: () => Date;
  /** Per cluster key, the problems last logged (so each is logged once, when it appears). */
  loggedProblems: Map<string, string>;
  /** `<uid>/<generation>` of clusters whose first status was written (see reconcile-cluster.ts). */
  acknowledged: Set<string>;
}

export function eventTarget(cluster: OrsCluster | KubernetesObject): EventTarget {
  return {
    apiVersion: cluster.apiVersion ?? 'ors.dev/v1alpha1',
    kind: cluster.kind ?? 'OrsCluster',
    name: cluster.metadata!.name!,
    namespace: cluster.metadata!.namespace!,
    uid: cluster.metadata!.uid!,
  };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

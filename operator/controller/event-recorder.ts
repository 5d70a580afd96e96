// Kubernetes Events on the OrsCluster (switchovers, rollout steps, errors). The same
// reason and message for the same object is not repeated within a minute, so a
// reconcile loop that keeps waiting does not flood the namespace.
import { randomBytes } from 'node:crypto';
import type { KubeClient } from './kube-client.ts';
import { collectionPath, resourceType } from './resource-paths.ts';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}

export class EventRecorder {
  private readonly client: KubeClient;
  private readonly recent = new Map<string, number>();
  private readonly component: string;

  constructor(client: KubeClient, component = 'ors-operator') {
    this.client = client;
    this.component = component;
  }

  async record(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const key = `${target.uid}|${type}|${reason}|${message}`;
    const now = Date.now();
    if ((this.recent.get(key) ?? 0) > now - 60_000) return;
    this.recent.set(key, now);
    if (this.recent.size > 10_000) this.recent.clear();
    const time = new Date(now).toISOString();
    try {
      await this.client.request('POST', collectionPath(resourceType('v1', 'Event'), target.namespace), {
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: `${target.name}.${randomBytes(8).toString('hex')}`, namespace: target.namespace },
          involvedObject: { apiVersion: target.apiVersion, kind: target.kind, name: target.name, namespace: target.namespace, uid: target.uid },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.component,
          firstTimestamp: time,
          lastTimestamp: time,
          count: 1,
        },
      });
    } catch {
      // Events are best effort: losing one must not fail a reconcile.
    }
  }
}

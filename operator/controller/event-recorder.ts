// Kubernetes Events on the OrsCluster (switchovers, rollout steps, waits, errors), as
// events.k8s.io/v1 series the way client-go's event recorder writes them: the first
// occurrence of a (object, type, reason, message) is created, a repeat only raises the
// series count of that Event (written at most every SERIES_WRITE_MS), so a reconcile
// loop that keeps waiting or failing shows one line with a count in `kubectl describe`
// and `kubectl get events`, not one Event per pass.
import { randomBytes } from 'node:crypto';
import { KubeApiError, type KubeClient } from './kube-client.ts';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}

const EVENTS_PATH = (namespace: string) => `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events`;
export const SERIES_WRITE_MS = 10_000;
/** Series not seen for this long are forgotten; the next occurrence starts a new Event (the apiserver drops Events after an hour). */
const SERIES_FORGET_MS = 30 * 60_000;
const MAX_SERIES = 10_000;

interface Series {
  namespace: string;
  name: string;
  count: number;
  written: number;
  lastObserved: number;
  timer?: NodeJS.Timeout;
}

/** MicroTime wants six fractional digits. */
const microTime = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

export class EventRecorder {
  private readonly client: KubeClient;
  private readonly series = new Map<string, Series>();
  private readonly component: string;
  private readonly instance: string;

  constructor(client: KubeClient, component = 'ors-operator', instance = component) {
    this.client = client;
    this.component = component;
    this.instance = instance.slice(0, 128);
  }

  /** Best effort: an Event that cannot be written never fails a reconcile. */
  async record(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string, action = 'Reconcile'): Promise<void> {
    const note = message.slice(0, 1024);
    const key = `${target.uid}|${type}|${reason}|${note}`;
    const now = Date.now();
    const existing = this.series.get(key);
    if (existing && now - existing.lastObserved < SERIES_FORGET_MS) {
      existing.count++;
      existing.lastObserved = now;
      if (now - existing.written >= SERIES_WRITE_MS) await this.writeSeries(existing);
      else existing.timer ??= setTimeout(() => void this.writeSeries(existing), existing.written + SERIES_WRITE_MS - now).unref();
      return;
    }
    if (existing) this.forget(key, existing);
    if (this.series.size >= MAX_SERIES) this.prune(now);
    const created: Series = { namespace: target.namespace, name: `${target.name}.${randomBytes(8).toString('hex')}`, count: 1, written: now, lastObserved: now };
    this.series.set(key, created);
    try {
      await this.client.request('POST', EVENTS_PATH(target.namespace), {
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name: created.name, namespace: target.namespace },
          eventTime: microTime(now),
          reportingController: `ors.dev/${this.component}`,
          reportingInstance: this.instance,
          action,
          reason,
          regarding: { apiVersion: target.apiVersion, kind: target.kind, name: target.name, namespace: target.namespace, uid: target.uid },
          note,
          type,
        },
      });
    } catch {
      this.series.delete(key);
    }
  }

  private async writeSeries(s: Series): Promise<void> {
    if (s.timer) clearTimeout(s.timer);
    delete s.timer;
    s.written = Date.now();
    try {
      await this.client.mergePatch(`${EVENTS_PATH(s.namespace)}/${encodeURIComponent(s.name)}`, {
        series: { count: s.count, lastObservedTime: microTime(s.lastObserved) },
      }, this.component);
    } catch (error) {
      // Expired (404): the next occurrence creates a new Event.
      if (error instanceof KubeApiError && error.status === 404) s.lastObserved = 0;
    }
  }

  private forget(key: string, s: Series): void {
    if (s.timer) clearTimeout(s.timer);
    this.series.delete(key);
  }

  private prune(now: number): void {
    for (const [key, s] of this.series) if (now - s.lastObserved >= SERIES_FORGET_MS / 2) this.forget(key, s);
    if (this.series.size >= MAX_SERIES) for (const [key, s] of this.series) this.forget(key, s);
  }

  /** Writes pending series counts (on shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.series.values()].filter((s) => s.timer).map((s) => this.writeSeries(s)));
  }
}

// The operator's caches: client-node ListWatch informers (list, then watch from the
// listed resourceVersion) for OrsClusters and what they own. A ListWatch stops on a
// watch error (e.g. the apiserver restarting); this restarts it with backoff so the
// operator rides out apiserver restarts. Leases change on every renewal: only changes
// of holder or of the operator's annotations are passed on.
import { ListWatch, Watch, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client.ts';
import { collectionPath, resourceType } from './resource-paths.ts';
import { LABEL_MANAGED_BY } from '../api/pod-contract.ts';
import { API_VERSION, KIND } from '../api/ors-cluster.ts';

export type ChangeKind = 'add' | 'update' | 'delete';
export type ChangeHandler = (kind: string, type: ChangeKind, object: KubernetesObject, previous?: KubernetesObject) => void;

export interface InformerLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

const MANAGED = `${LABEL_MANAGED_BY}=ors-operator`;

interface WatchedKind {
  apiVersion: string;
  kind: string;
  labelSelector?: string;
  /** Whether an update matters; by default every update does. */
  relevant?: (previous: KubernetesObject | undefined, next: KubernetesObject) => boolean;
}

/** Holder and the annotations of the operator's contract; renewals change neither. */
function leaseSignature(lease: KubernetesObject | undefined): string {
  const l = lease as { spec?: { holderIdentity?: string }; metadata?: { annotations?: Record<string, string> } } | undefined;
  const annotations = Object.entries(l?.metadata?.annotations ?? {}).filter(([k]) => k.startsWith('ors.dev/'));
  return JSON.stringify([l?.spec?.holderIdentity ?? '', annotations]);
}

function nodeSignature(node: KubernetesObject | undefined): string {
  return String((node as { spec?: { unschedulable?: boolean } } | undefined)?.spec?.unschedulable ?? false);
}

export const WATCHED_KINDS: readonly WatchedKind[] = [
  { apiVersion: API_VERSION, kind: KIND },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', labelSelector: MANAGED },
  { apiVersion: 'v1', kind: 'Pod', labelSelector: MANAGED },
  { apiVersion: 'v1', kind: 'Service', labelSelector: MANAGED },
  { apiVersion: 'v1', kind: 'ConfigMap', labelSelector: MANAGED },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', labelSelector: MANAGED },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', labelSelector: MANAGED },
  { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', relevant: (a, b) => leaseSignature(a) !== leaseSignature(b) },
  { apiVersion: 'v1', kind: 'Node', relevant: (a, b) => nodeSignature(a) !== nodeSignature(b) },
];

export class Informers {
  private readonly client: KubeClient;
  private readonly log: InformerLog;
  private readonly watches = new Map<string, ListWatch<KubernetesObject>>();
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly namespace: string | undefined;

  /** `namespace`: watch only that namespace (Kubernetes nodes are cluster-wide regardless). */
  constructor(client: KubeClient, log: InformerLog, namespace?: string) {
    this.client = client;
    this.log = log;
    this.namespace = namespace;
  }

  async start(onChange: ChangeHandler): Promise<void> {
    await Promise.all(WATCHED_KINDS.map((kind) => this.startOne(kind, onChange)));
  }

  private async startOne(watched: WatchedKind, onChange: ChangeHandler): Promise<void> {
    const type = resourceType(watched.apiVersion, watched.kind);
    const path = collectionPath(type, this.namespace);
    const listFn = () =>
      this.client.request<KubernetesListObject<KubernetesObject>>('GET', path, {
        query: watched.labelSelector ? { labelSelector: watched.labelSelector } : {},
      });
    const informer = new ListWatch<KubernetesObject>(path, new Watch(this.client.config), listFn, false, watched.labelSelector);
    const previous = new Map<string, KubernetesObject>();
    const key = (o: KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
    informer.on('add', (o) => {
      previous.set(key(o), o);
      onChange(watched.kind, 'add', o);
    });
    informer.on('update', (o) => {
      const before = previous.get(key(o));
      previous.set(key(o), o);
      if (!watched.relevant || watched.relevant(before, o)) onChange(watched.kind, 'update', o, before);
    });
    informer.on('delete', (o) => {
      previous.delete(key(o));
      onChange(watched.kind, 'delete', o);
    });
    let delayMs = 250;
    informer.on('connect', () => {
      delayMs = 250;
    });
    informer.on('error', (error) => {
      if (this.stopped) return;
      this.log.warn({ kind: watched.kind, err: String((error as Error)?.message ?? error), retryInMs: delayMs }, 'watch failed; restarting');
      const timer = setTimeout(() => {
        this.restartTimers.delete(timer);
        if (!this.stopped) informer.start().catch(() => undefined);
      }, delayMs);
      this.restartTimers.add(timer);
      delayMs = Math.min(delayMs * 2, 10_000);
    });
    this.watches.set(watched.kind, informer);
    await informer.start();
  }

  list<T extends KubernetesObject>(kind: string, namespace?: string): readonly T[] {
    return (this.watches.get(kind)?.list(namespace) ?? []) as readonly T[];
  }

  get<T extends KubernetesObject>(kind: string, name: string, namespace?: string): T | undefined {
    return this.watches.get(kind)?.get(name, namespace) as T | undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.restartTimers) clearTimeout(timer);
    await Promise.all([...this.watches.values()].map((w) => w.stop()));
  }
}

// The operator's caches: client-node ListWatch informers (list, then watch from the
// listed resourceVersion) for OrsClusters and every kind they own, so a deleted child
// is restored at once rather than at a resync. A ListWatch stops on a watch error (e.g.
// the apiserver restarting); this restarts it with backoff so the operator rides out
// apiserver restarts. What is passed on is filtered (./change-filters.ts): the
// operator's own applies, status-only OrsCluster updates and Lease renewals are not.
// Kinds from optional CRDs (Gateway API) are skipped, with one log line, while absent.
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client.ts';
import { collectionPath, resourceType } from './resource-paths.ts';
import { LABEL_MANAGED_BY, PRIMARY_LOAD_ANNOTATION } from '../api/pod-contract.ts';
import { API_VERSION, KIND } from '../api/ors-cluster.ts';
import { isOwnWrite, orsClusterChanged, podChanged, statefulSetChanged, trimForCache } from './change-filters.ts';
import { KubeApiError } from './kube-client.ts';

export type ChangeKind = 'add' | 'update' | 'delete';
export type ChangeHandler = (kind: string, type: ChangeKind, object: KubernetesObject, previous?: KubernetesObject) => void;

export interface InformerLog {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

const MANAGED = `${LABEL_MANAGED_BY}=ors-operator`;

interface WatchedKind {
  apiVersion: string;
  kind: string;
  labelSelector?: string;
  /** Whether an update matters; by default every update does. */
  relevant?: (previous: KubernetesObject | undefined, next: KubernetesObject) => boolean;
  /** Objects the operator applies: its own writes are not passed on (deletions always are). */
  applied?: boolean;
  /** From a CRD that may not be installed: skipped (and looked for again later) while absent. */
  optional?: string;
  /**
   * Watched as metadata only (PartialObjectMetadata) and without a label selector: the
   * operator needs no more of these kinds than names, owners and versions, and seeing
   * every object of the kind lets it check ownership from the cache, with no GET
   * before a first write.
   */
  metadataOnly?: boolean;
}

const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const METADATA_WATCH = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

const OPTIONAL_RETRY_MS = 60_000;

/** Holder and the annotations of the operator's contract; renewals change neither. */
function leaseSignature(lease: KubernetesObject | undefined): string {
  const l = lease as { spec?: { holderIdentity?: string }; metadata?: { annotations?: Record<string, string> } } | undefined;
  // The primary's load report changes with nearly every renewal and decides nothing: the
  // status page reads it from the cache, no reconcile pass is needed for it.
  const annotations = Object.entries(l?.metadata?.annotations ?? {}).filter(([k]) => k.startsWith('ors.dev/') && k !== PRIMARY_LOAD_ANNOTATION);
  return JSON.stringify([l?.spec?.holderIdentity ?? '', annotations]);
}

function nodeSignature(node: KubernetesObject | undefined): string {
  return String((node as { spec?: { unschedulable?: boolean } } | undefined)?.spec?.unschedulable ?? false);
}

export const WATCHED_KINDS: readonly WatchedKind[] = [
  { apiVersion: API_VERSION, kind: KIND, relevant: orsClusterChanged },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', labelSelector: MANAGED, applied: true, relevant: statefulSetChanged },
  { apiVersion: 'v1', kind: 'Pod', labelSelector: MANAGED, relevant: podChanged },
  { apiVersion: 'v1', kind: 'Service', applied: true, metadataOnly: true },
  { apiVersion: 'v1', kind: 'ConfigMap', applied: true, metadataOnly: true },
  { apiVersion: 'v1', kind: 'Secret', labelSelector: MANAGED, applied: true },
  { apiVersion: 'v1', kind: 'ServiceAccount', applied: true, metadataOnly: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', applied: true, metadataOnly: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', applied: true, metadataOnly: true },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', applied: true, metadataOnly: true },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', applied: true, metadataOnly: true },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', applied: true, metadataOnly: true },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', applied: true, metadataOnly: true, optional: 'the Gateway API CRDs' },
  { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', relevant: (a, b) => leaseSignature(a) !== leaseSignature(b) },
  { apiVersion: 'v1', kind: 'Node', relevant: (a, b) => nodeSignature(a) !== nodeSignature(b) },
];

/** The KubeConfig as Watch uses it, with the Accept header of metadata-only watches added. */
function acceptingConfig(config: KubeConfig, accept: string): KubeConfig {
  return {
    getCurrentCluster: () => config.getCurrentCluster(),
    applySecurityAuthentication: async (context: { setHeaderParam(key: string, value: string): void }) => {
      await config.applySecurityAuthentication(context as never);
      context.setHeaderParam('Accept', accept);
    },
  } as unknown as KubeConfig;
}

export class Informers {
  private readonly client: KubeClient;
  private readonly log: InformerLog;
  private readonly watches = new Map<string, ListWatch<KubernetesObject>>();
  /** Optional kinds whose CRD was found missing (not watched for now). */
  private readonly absent = new Set<string>();
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
    const listFn = async () => {
      const list = await this.client.request<KubernetesListObject<KubernetesObject>>('GET', path, {
        query: watched.labelSelector ? { labelSelector: watched.labelSelector } : {},
        ...(watched.metadataOnly ? { accept: METADATA_LIST } : {}),
      });
      if (this.absent.delete(watched.kind)) this.log.info({ kind: watched.kind }, `${watched.optional}: found; ${watched.kind}s are watched`);
      return list;
    };
    const informer = new ListWatch<KubernetesObject>(path, new Watch(watched.metadataOnly ? acceptingConfig(this.client.config, METADATA_WATCH) : this.client.config), listFn, false, watched.labelSelector);
    const previous = new Map<string, KubernetesObject>();
    const key = (o: KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
    // The cache holds the very object handed to these callbacks, so trimming it here trims the cache.
    informer.on('add', (o) => {
      const own = watched.applied && isOwnWrite(o);
      trimForCache(watched.kind, o);
      if (watched.relevant) previous.set(key(o), o);
      if (!own) onChange(watched.kind, 'add', o);
    });
    informer.on('update', (o) => {
      const own = watched.applied && isOwnWrite(o);
      trimForCache(watched.kind, o);
      const before = previous.get(key(o));
      if (watched.relevant) previous.set(key(o), o);
      if (own) return;
      if (!watched.relevant || watched.relevant(before, o)) onChange(watched.kind, 'update', o, before);
    });
    informer.on('delete', (o) => {
      trimForCache(watched.kind, o);
      previous.delete(key(o));
      onChange(watched.kind, 'delete', o);
    });
    let delayMs = 250;
    informer.on('connect', () => {
      delayMs = 250;
    });
    informer.on('error', (error) => {
      if (this.stopped) return;
      if (watched.optional && error instanceof KubeApiError && error.status === 404) {
        if (!this.absent.has(watched.kind)) {
          this.log.info({ kind: watched.kind }, `${watched.optional} are not installed: ${watched.kind}s are not watched (looking again every ${OPTIONAL_RETRY_MS / 1000}s)`);
        }
        this.absent.add(watched.kind);
        const timer = setTimeout(() => {
          this.restartTimers.delete(timer);
          if (!this.stopped) informer.start().catch(() => undefined);
        }, OPTIONAL_RETRY_MS);
        timer.unref();
        this.restartTimers.add(timer);
        return;
      }
      this.absent.delete(watched.kind);
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

  /** Whether the cache of `kind` holds every object of the kind (not only the operator's labelled ones), so absence there is absence. */
  complete(kind: string): boolean {
    return this.watching(kind) && !!WATCHED_KINDS.find((k) => k.kind === kind)?.metadataOnly;
  }

  /** Whether `kind` is in the caches (false for an optional kind whose CRD is missing). */
  watching(kind: string): boolean {
    return this.watches.has(kind) && !this.absent.has(kind);
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

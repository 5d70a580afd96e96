// The controller loop: informers feed a keyed work queue; workers run one reconcile
// pass per OrsCluster key, requeueing with backoff on errors and after a delay while
// something is being waited for. Runs only while this process is the leader.
import type { Logger } from 'pino';
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { AppliedObjects, WATCHED_APPLIED_KINDS } from './apply-reconciler.ts';
import { keysForChange, splitKey } from './cluster-keys.ts';
import { EventRecorder } from './event-recorder.ts';
import { Informers } from './informers.ts';
import type { KubeClient } from './kube-client.ts';
import type { OperatorMetrics } from './operator-metrics.ts';
import { reconcileCluster } from './reconcile-cluster.ts';
import { errorMessage, type ReconcileContext } from './reconcile-context.ts';
import { WorkQueue } from './work-queue.ts';

const COALESCE_MS = 1_000;
const IMMEDIATE_KINDS = new Set(['OrsCluster', 'Lease', 'Node']);

export interface ControllerOptions {
  client: KubeClient;
  log: Logger;
  metrics: OperatorMetrics;
  workers: number;
  /** Reconcile only OrsClusters of this namespace (all namespaces when unset). */
  watchNamespace?: string;
  /** Leader-election identity, the reportingInstance of Events. */
  identity?: string;
}

export class OperatorController {
  private readonly options: ControllerOptions;
  private informers: Informers | undefined;
  private queue: WorkQueue | undefined;
  private workers: Promise<void>[] = [];
  private synced = false;
  /** Kept across leadership changes: after a re-election, unchanged objects are not re-applied. */
  private readonly applied = new AppliedObjects();

  constructor(options: ControllerOptions) {
    this.options = options;
  }

  /** True once the caches are filled (for /readyz). */
  isSynced(): boolean {
    return this.synced;
  }

  /** The filled caches while leading (the status page reads them), else undefined. */
  caches(): Informers | undefined {
    return this.synced ? this.informers : undefined;
  }

  async start(): Promise<void> {
    const { client, log, metrics } = this.options;
    const informers = new Informers(client, log, this.options.watchNamespace);
    const queue = new WorkQueue({
      metrics: { depth: (n) => metrics.queueDepth.set(n), retried: () => metrics.retries.inc() },
    });
    this.informers = informers;
    this.queue = queue;
    const ctx: ReconcileContext = { client, informers, events: new EventRecorder(client, 'ors-operator', this.options.identity), log, metrics, now: () => new Date(), loggedProblems: new Map(), acknowledged: new Set() };
    const applied = this.applied;
    const lookup = {
      clusterExists: (namespace: string, name: string) => informers.get('OrsCluster', name, namespace) !== undefined,
      pods: () => informers.list<V1Pod>('Pod'),
    };
    let started = false;
    await informers.start((kind, type, object) => {
      if (type === 'delete' && WATCHED_APPLIED_KINDS.has(kind)) applied.forget({ ...object, kind });
      // Generated values (sync key, API tokens) are kept in memory so a deleted Secret comes back with the same value.
      if (kind === 'Secret' && type !== 'delete') applied.rememberSecret(object as V1Secret);
      // Until every cache is filled, events are from the initial lists: one pass per
      // cluster after start covers them.
      if (!started) return;
      // The OrsCluster itself, Leases (switchovers), cordons and deletions (to be
      // restored) at once; other changes of children are gathered for a moment, so the
      // pods a StatefulSet creates one by one cost one pass, not one each.
      const now = IMMEDIATE_KINDS.has(kind) || type === 'delete';
      for (const key of keysForChange(kind, object, lookup)) {
        if (now) queue.add(key);
        else queue.addSoon(key, COALESCE_MS);
      }
    });
    started = true;
    this.synced = true;
    for (const c of informers.list('OrsCluster')) queue.add(`${c.metadata!.namespace}/${c.metadata!.name}`);
    log.info({ clusters: informers.list('OrsCluster').length }, 'caches synced; reconciling');

    const worker = async () => {
      for (;;) {
        const key = await queue.take();
        if (key === undefined) return;
        const { namespace, name } = splitKey(key);
        const end = metrics.reconcileSeconds.startTimer();
        try {
          const result = await reconcileCluster(ctx, applied, namespace, name);
          ctx.loggedProblems.delete(`${key}#error`);
          if (result.failed) {
            metrics.reconciles.inc({ result: 'error' });
            queue.retry(key);
          } else {
            metrics.reconciles.inc({ result: 'ok' });
            queue.forget(key);
            if (result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
          }
        } catch (error) {
          metrics.reconciles.inc({ result: 'error' });
          const delay = queue.retry(key);
          // Logged when it first happens (or changes), not on every retry.
          const message = errorMessage(error);
          if (ctx.loggedProblems.get(`${key}#error`) !== message) {
            ctx.loggedProblems.set(`${key}#error`, message);
            log.warn({ cluster: name, namespace, err: message, retryInMs: delay }, 'reconcile failed; retrying with backoff');
          }
        } finally {
          end();
          queue.done(key);
        }
      }
    };
    this.workers = Array.from({ length: this.options.workers }, () => worker());
  }

  async stop(): Promise<void> {
    this.synced = false;
    this.queue?.shutDown();
    await this.informers?.stop();
    await Promise.all(this.workers);
    this.workers = [];
  }
}

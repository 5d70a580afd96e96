// Create/apply: the finalizer, the sync-key Secret (created once, never rewritten), and
// server-side apply of every desired object with the operator's field manager. An
// object identical to the one last applied, and unchanged since, is not sent again, so
// a quiet cluster costs no writes. Optional objects the spec no longer wants are deleted.
import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { API_VERSION, KIND } from '../api/ors-cluster.ts';
import { buildClusterObjects, buildNodeObjects } from '../builders/desired-objects.ts';
import { FIELD_MANAGER, clusterServiceName, nodeName, sessionRouteName, strategiesConfigMapName, syncKeySecretName } from '../builders/names.ts';
import { buildSyncKeySecret, generateSyncKey } from '../builders/sync-key-secret.ts';
import type { Problem } from '../planning/status-report.ts';
import { KubeApiError } from './kube-client.ts';
import { collectionPath, pathOf, resourceType } from './resource-paths.ts';
import { errorMessage, type ReconcileContext } from './reconcile-context.ts';

export const FINALIZER = 'ors.dev/cleanup';
const REAPPLY_AFTER_MS = 5 * 60_000;

interface Applied {
  bodyHash: string;
  resourceVersion?: string;
  generation?: number;
  at: number;
}

/** What was last applied, per object, to skip identical re-applies. */
export class AppliedObjects {
  private readonly applied = new Map<string, Applied>();

  static key(o: KubernetesObject): string {
    return `${o.kind}/${o.metadata?.namespace}/${o.metadata?.name}`;
  }

  /**
   * Whether applying `o` again would change nothing: the same body was applied, and the
   * watched copy has not been changed by anyone since (same generation, or for kinds
   * without one the same resourceVersion). A watched copy not in the cache yet is the
   * informer lagging behind our own apply; a deletion is reported through `forget`.
   */
  unchanged(o: KubernetesObject, hash: string, cached: KubernetesObject | undefined, watched: boolean, now: number): boolean {
    const last = this.applied.get(AppliedObjects.key(o));
    if (!last || last.bodyHash !== hash) return false;
    if (!watched) return now - last.at < REAPPLY_AFTER_MS;
    if (!cached) return true;
    const generation = cached.metadata?.generation;
    if (generation !== undefined && last.generation !== undefined) return generation === last.generation;
    return cached.metadata?.resourceVersion === last.resourceVersion;
  }

  remember(o: KubernetesObject, hash: string, result: KubernetesObject, now: number): void {
    this.applied.set(AppliedObjects.key(o), {
      bodyHash: hash,
      ...(result.metadata?.resourceVersion ? { resourceVersion: result.metadata.resourceVersion } : {}),
      ...(result.metadata?.generation !== undefined ? { generation: result.metadata.generation } : {}),
      at: now,
    });
  }

  /** For debug logs: why `unchanged` said no. */
  whyChanged(o: KubernetesObject, hash: string): string {
    const last = this.applied.get(AppliedObjects.key(o));
    if (!last) return 'never applied';
    if (last.bodyHash !== hash) return 'desired state changed';
    return `changed since applied (applied version ${last.resourceVersion}, generation ${last.generation ?? '-'})`;
  }

  forget(o: KubernetesObject): void {
    this.applied.delete(AppliedObjects.key(o));
  }

  /** Whether the sync-key Secret of a cluster was seen recently (Secrets are not watched). */
  secretKnown(key: string, now: number): boolean {
    const last = this.applied.get(`Secret/${key}`);
    return !!last && now - last.at < REAPPLY_AFTER_MS;
  }

  rememberSecret(key: string, now: number): void {
    this.applied.set(`Secret/${key}`, { bodyHash: '', at: now });
  }

  forgetCluster(namespace: string): void {
    for (const key of this.applied.keys()) if (key.split('/')[1] === namespace) this.applied.delete(key);
  }
}

export const WATCHED_APPLIED_KINDS = new Set(['StatefulSet', 'Service', 'ConfigMap', 'PodDisruptionBudget', 'NetworkPolicy']);

export async function ensureFinalizer(ctx: ReconcileContext, raw: KubernetesObject): Promise<void> {
  const finalizers = raw.metadata?.finalizers ?? [];
  if (finalizers.includes(FINALIZER)) return;
  await ctx.client.mergePatch(
    pathOf(API_VERSION, KIND, raw.metadata!.namespace, raw.metadata!.name!),
    { metadata: { finalizers: [...finalizers, FINALIZER], resourceVersion: raw.metadata!.resourceVersion } },
    FIELD_MANAGER,
  );
}

async function ensureSyncKeySecret(ctx: ReconcileContext, cluster: OrsCluster): Promise<void> {
  // Create, never update: a 409 means the key exists and is kept as it is.
  try {
    await ctx.client.request('POST', collectionPath(resourceType('v1', 'Secret'), cluster.metadata.namespace), {
      body: buildSyncKeySecret(cluster, generateSyncKey()),
      query: { fieldManager: FIELD_MANAGER },
    });
  } catch (error) {
    if (!(error instanceof KubeApiError && error.status === 409)) throw error;
  }
}

function problemFor(o: KubernetesObject, error: unknown): Problem {
  if (error instanceof KubeApiError && error.status === 404 && o.kind === 'HTTPRoute') {
    return { reason: 'GatewayAPIMissing', message: `HTTPRoute ${o.metadata?.name}: the Gateway API CRDs are not installed` };
  }
  return { reason: 'ApplyFailed', message: `${o.kind} ${o.metadata?.name}: ${errorMessage(error)}` };
}

export async function applyDesiredObjects(
  ctx: ReconcileContext,
  applied: AppliedObjects,
  cluster: OrsCluster,
  nodeIds: readonly number[],
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const now = ctx.now().getTime();
  const secretKey = `${cluster.metadata.namespace}/${syncKeySecretName(cluster.metadata.name)}`;
  try {
    if (!applied.secretKnown(secretKey, now)) {
      await ensureSyncKeySecret(ctx, cluster);
      applied.rememberSecret(secretKey, now);
    }
  } catch (error) {
    problems.push({ reason: 'ApplyFailed', message: `Secret ${syncKeySecretName(cluster.metadata.name)}: ${errorMessage(error)}` });
  }
  const desired = [
    ...buildClusterObjects(cluster, nodeIds, '').filter((o) => o.kind !== 'Secret'),
    ...nodeIds.flatMap((node) => buildNodeObjects(cluster, node)),
  ];
  await Promise.all(
    desired.map(async (o) => {
      const body = JSON.stringify(o);
      const hash = createHash('sha256').update(body).digest('hex');
      const cached = WATCHED_APPLIED_KINDS.has(o.kind!) ? ctx.informers.get(o.kind!, o.metadata!.name!, o.metadata!.namespace) : undefined;
      if (applied.unchanged(o, hash, cached, WATCHED_APPLIED_KINDS.has(o.kind!), now)) return;
      ctx.log.debug({ kind: o.kind, name: o.metadata!.name, cachedVersion: cached?.metadata?.resourceVersion, cachedGeneration: cached?.metadata?.generation, why: applied.whyChanged(o, hash) }, 'applying');
      try {
        ctx.metrics.applies.inc();
        const result = await ctx.client.apply<KubernetesObject>(pathOf(o.apiVersion!, o.kind!, o.metadata!.namespace, o.metadata!.name!), o, FIELD_MANAGER);
        applied.remember(o, hash, result, now);
      } catch (error) {
        problems.push(problemFor(o, error));
      }
    }),
  );
  return problems;
}

/** Deletes optional objects the spec no longer asks for (Ingress, HTTPRoutes, inline strategies). */
export async function pruneOptionalObjects(ctx: ReconcileContext, cluster: OrsCluster, nodeIds: readonly number[]): Promise<void> {
  const { namespace, name } = cluster.metadata;
  const { routing, strategies } = cluster.spec;
  const deletes: string[] = [];
  if (!routing.ingress.enabled) deletes.push(pathOf('networking.k8s.io/v1', 'Ingress', namespace, clusterServiceName(name)));
  if (!strategies.some((s) => s.scxml !== undefined)) deletes.push(pathOf('v1', 'ConfigMap', namespace, strategiesConfigMapName(name)));
  if (!routing.gateway.enabled) {
    deletes.push(pathOf('gateway.networking.k8s.io/v1', 'HTTPRoute', namespace, clusterServiceName(name)));
    for (const node of nodeIds) {
      deletes.push(pathOf('gateway.networking.k8s.io/v1', 'HTTPRoute', namespace, nodeName(name, node)));
      deletes.push(pathOf('gateway.networking.k8s.io/v1', 'HTTPRoute', namespace, sessionRouteName(name, node)));
    }
  }
  await Promise.all(
    deletes.map((path) =>
      ctx.client.delete(path).catch((error: unknown) => {
        // No Gateway API installed: nothing to delete.
        if (!(error instanceof KubeApiError && (error.status === 404 || error.status === 405))) throw error;
      }),
    ),
  );
}

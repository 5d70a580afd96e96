// Create/apply: the finalizer, the generated Secrets — the sync key and, unless the spec
// names its own, the API tokens — (created once, never rewritten; if one is deleted it
// comes back with the same value, so running pairs keep their handshake and clients their
// token),
// and server-side apply of every desired object with the operator's field manager.
// Nothing is written that exists and is not this cluster's (./ownership.ts). Objects go
// in dependency order: the Role before its RoleBinding (creating a binding needs the
// Role to exist, or the `bind` verb the operator does not hold), everything the pods
// mount or run as before the StatefulSets. An object identical to the one last applied,
// and unchanged since, is not sent again, so a quiet cluster costs no writes. Optional
// objects the spec no longer wants are deleted, only if they are this cluster's.
import { createHash } from 'node:crypto';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { API_VERSION, KIND } from '../api/ors-cluster.ts';
import { buildClusterObjects, buildNodeObjects } from '../builders/desired-objects.ts';
import { FIELD_MANAGER, apiTokensSecretName, clusterServiceName, nodeName, sessionRouteName, strategiesConfigMapName, syncKeySecretName } from '../builders/names.ts';
import { buildSyncKeySecret, generateSyncKey } from '../builders/sync-key-secret.ts';
import { API_TOKENS_KEY, buildApiTokensSecret, generateApiToken } from '../builders/api-auth.ts';
import type { Problem } from '../planning/status-report.ts';
import { KubeApiError } from './kube-client.ts';
import { isOwnedBy, ownershipConflict } from './ownership.ts';
import { collectionPath, pathOf, resourceType } from './resource-paths.ts';
import { errorMessage, eventTarget, type ReconcileContext } from './reconcile-context.ts';
import { LABEL_CLUSTER } from '../api/pod-contract.ts';

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
  /** The data of the cluster Secrets seen (`namespace/name` -> key -> value), kept after a Secret is deleted. */
  private readonly secretData = new Map<string, Record<string, string>>();

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

  /** Whether `o` was applied by this process and not reported deleted since (its cached copy may lag). */
  has(o: KubernetesObject): boolean {
    return this.applied.has(AppliedObjects.key(o));
  }

  /** A value last seen in a cluster's Secret (`namespace/name`), kept after the Secret is deleted. */
  secretValue(secret: string, key: string): string | undefined {
    return this.secretData.get(secret)?.[key];
  }

  rememberSecret(secret: V1Secret): void {
    const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, encoded]) => [key, Buffer.from(encoded, 'base64').toString('utf8')]));
    if (Object.keys(data).length > 0) this.secretData.set(`${secret.metadata!.namespace}/${secret.metadata!.name}`, data);
  }

  forgetCluster(namespace: string, cluster: string): void {
    // Every name of a cluster's objects starts with `<cluster>` (names.ts); a different
    // cluster sharing the prefix only loses its skip-cache (one re-apply, no harm).
    for (const key of this.applied.keys()) {
      const [, ns, name] = key.split('/');
      if (ns === namespace && name?.startsWith(cluster)) this.applied.delete(key);
    }
    for (const name of [syncKeySecretName(cluster), apiTokensSecretName(cluster)]) this.secretData.delete(`${namespace}/${name}`);
  }
}

export const WATCHED_APPLIED_KINDS = new Set([
  'StatefulSet', 'Service', 'ConfigMap', 'Secret', 'ServiceAccount', 'Role', 'RoleBinding', 'PodDisruptionBudget', 'NetworkPolicy', 'Ingress', 'HTTPRoute',
]);

/** Apply order: phase 0, then the RoleBinding, then the StatefulSets, each only when what it needs was written. */
const APPLY_PHASE: Record<string, number> = { RoleBinding: 1, StatefulSet: 2 };
const PHASES = 3;
const NEEDS: Record<string, readonly string[]> = {
  RoleBinding: ['Role'],
  // PodTemplate: something the pod template names is missing (spec-references.ts).
  StatefulSet: ['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Secret', 'Service', 'PodTemplate'],
};

export async function ensureFinalizer(ctx: ReconcileContext, raw: KubernetesObject): Promise<void> {
  const finalizers = raw.metadata?.finalizers ?? [];
  if (finalizers.includes(FINALIZER)) return;
  await ctx.client.mergePatch(
    pathOf(API_VERSION, KIND, raw.metadata!.namespace, raw.metadata!.name!),
    { metadata: { finalizers: [...finalizers, FINALIZER], resourceVersion: raw.metadata!.resourceVersion } },
    FIELD_MANAGER,
  );
}

/**
 * The object of this name as it is now, if it exists: from the cache when the kind is
 * watched and the object is there, or when the cache holds every object of the kind;
 * otherwise (StatefulSets and Secrets, watched by label) from the apiserver, unless this
 * process applied it (then it exists and the cache is only lagging). Only for the
 * ownership check, so a first StatefulSet or Secret write costs one GET more.
 */
async function existing(ctx: ReconcileContext, applied: AppliedObjects, o: KubernetesObject): Promise<KubernetesObject | undefined> {
  const cached = ctx.informers.get(o.kind!, o.metadata!.name!, o.metadata!.namespace);
  if (cached || applied.has(o) || ctx.informers.complete(o.kind!)) return cached;
  try {
    return await ctx.client.find<KubernetesObject>(pathOf(o.apiVersion!, o.kind!, o.metadata!.namespace, o.metadata!.name!));
  } catch (error) {
    // A kind whose CRD is missing (Gateway API) has nothing to own; the apply says why.
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

function conflict(kind: string, live: KubernetesObject): Problem {
  return { reason: 'OwnershipConflict', message: ownershipConflict(kind, live) };
}

/** A Secret whose value the operator generates: created once, with the remembered value when it comes back. */
interface GeneratedSecret {
  build(value: string): V1Secret;
  key: string;
  generate(): string;
  /** Event reason when it had to be created anew while pods already used the old value. */
  regenerated: { reason: string; consequence: string };
}

function generatedSecrets(cluster: OrsCluster): GeneratedSecret[] {
  const secrets: GeneratedSecret[] = [
    {
      build: (key) => buildSyncKeySecret(cluster, key),
      key: 'key',
      generate: generateSyncKey,
      regenerated: { reason: 'SyncKeyRegenerated', consequence: 'a new sync key was created' },
    },
  ];
  if (buildApiTokensSecret(cluster, '')) {
    secrets.push({
      build: (tokens) => buildApiTokensSecret(cluster, tokens)!,
      key: API_TOKENS_KEY,
      generate: generateApiToken,
      regenerated: { reason: 'ApiTokenRegenerated', consequence: 'a new API token was created (clients need the new one)' },
    });
  }
  return secrets;
}

async function ensureGeneratedSecret(ctx: ReconcileContext, applied: AppliedObjects, cluster: OrsCluster, generated: GeneratedSecret): Promise<Problem | undefined> {
  const secret = generated.build('');
  const id = `${cluster.metadata.namespace}/${secret.metadata!.name}`;
  const live = await existing(ctx, applied, secret);
  if (live) return isOwnedBy(live, cluster.metadata.uid) ? undefined : conflict('Secret', live);
  if (applied.has(secret)) return undefined;
  // Deleted while the operator watched it: the same value again. Otherwise a new one.
  const remembered = applied.secretValue(id, generated.key);
  try {
    const created = await ctx.client.request<KubernetesObject>('POST', collectionPath(resourceType('v1', 'Secret'), cluster.metadata.namespace), {
      body: generated.build(remembered ?? generated.generate()),
      query: { fieldManager: FIELD_MANAGER },
    });
    applied.remember(secret, '', created, ctx.now().getTime());
    if (remembered) ctx.log.info({ cluster: cluster.metadata.name, namespace: cluster.metadata.namespace, secret: secret.metadata!.name }, 'generated Secret restored with its previous value');
    else if (ctx.informers.list('Pod', cluster.metadata.namespace).some((p) => p.metadata?.labels?.[LABEL_CLUSTER] === cluster.metadata.name)) {
      // Deleted while no operator watched it: the old value is gone. The pods pick the new
      // one up from the Secret volume; until both pods of a node have the new sync key,
      // their sync handshake fails and the backup reports itself not synced.
      await ctx.events.record(eventTarget(cluster), 'Warning', generated.regenerated.reason, `Secret ${secret.metadata!.name} was deleted while the operator was not running; ${generated.regenerated.consequence}`);
    }
  } catch (error) {
    // Create, never update: a 409 means it exists (the cache lags); it is kept as it is.
    if (!(error instanceof KubeApiError && error.status === 409)) throw error;
  }
  return undefined;
}

function problemFor(o: KubernetesObject, error: unknown): Problem {
  if (error instanceof KubeApiError && error.status === 404 && o.kind === 'HTTPRoute') {
    return { reason: 'GatewayAPIMissing', message: `HTTPRoute ${o.metadata?.name}: the Gateway API CRDs (gateway.networking.k8s.io/v1) are not installed` };
  }
  return { reason: 'ApplyFailed', message: `${o.kind} ${o.metadata?.name}: ${errorMessage(error)}` };
}

async function applyOne(ctx: ReconcileContext, applied: AppliedObjects, cluster: OrsCluster, o: KubernetesObject, now: number): Promise<Problem | undefined> {
  const body = JSON.stringify(o);
  const hash = createHash('sha256').update(body).digest('hex');
  try {
    const live = await existing(ctx, applied, o);
    if (live && !isOwnedBy(live, cluster.metadata.uid)) return conflict(o.kind!, live);
    if (applied.unchanged(o, hash, live, ctx.informers.watching(o.kind!), now)) return undefined;
    ctx.log.debug({ kind: o.kind, name: o.metadata!.name, cachedVersion: live?.metadata?.resourceVersion, why: applied.whyChanged(o, hash) }, 'applying');
    ctx.metrics.applies.inc();
    const result = await ctx.client.apply<KubernetesObject>(pathOf(o.apiVersion!, o.kind!, o.metadata!.namespace, o.metadata!.name!), o, FIELD_MANAGER);
    applied.remember(o, hash, result, now);
    return undefined;
  } catch (error) {
    return problemFor(o, error);
  }
}

export async function applyDesiredObjects(
  ctx: ReconcileContext,
  applied: AppliedObjects,
  cluster: OrsCluster,
  nodeIds: readonly number[],
  holdStatefulSets = false,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const failedKinds = new Set<string>(holdStatefulSets ? ['PodTemplate'] : []);
  const now = ctx.now().getTime();
  for (const generated of generatedSecrets(cluster)) {
    try {
      const problem = await ensureGeneratedSecret(ctx, applied, cluster, generated);
      if (problem) {
        problems.push(problem);
        failedKinds.add('Secret');
      }
    } catch (error) {
      problems.push({ reason: 'ApplyFailed', message: `Secret ${generated.build('').metadata!.name}: ${errorMessage(error)}` });
      failedKinds.add('Secret');
    }
  }
  const desired = [
    ...buildClusterObjects(cluster, nodeIds, { syncKey: '', apiTokens: '' }).filter((o) => o.kind !== 'Secret'),
    ...nodeIds.flatMap((node) => buildNodeObjects(cluster, node)),
  ];
  for (let phase = 0; phase < PHASES; phase++) {
    // What depends on an object that could not be written waits for a later pass.
    const batch = desired.filter((o) => (APPLY_PHASE[o.kind!] ?? 0) === phase && !(NEEDS[o.kind!] ?? []).some((k) => failedKinds.has(k)));
    const results = await Promise.all(batch.map((o) => applyOne(ctx, applied, cluster, o, now)));
    results.forEach((p, i) => {
      if (!p) return;
      problems.push(p);
      failedKinds.add(batch[i]!.kind!);
    });
  }
  return problems;
}

/** Deletes `kind name` if it exists and is this cluster's (preconditioned on its uid, so a replacement is never deleted). */
export async function deleteOwned(ctx: ReconcileContext, cluster: OrsCluster, apiVersion: string, kind: string, name: string): Promise<void> {
  const { namespace, uid } = cluster.metadata;
  if (!ctx.informers.watching(kind)) return;
  const live = ctx.informers.get(kind, name, namespace);
  if (!live || !isOwnedBy(live, uid)) return;
  try {
    await ctx.client.delete(pathOf(apiVersion, kind, namespace, name), { propagationPolicy: 'Background', preconditionsUid: live.metadata!.uid! });
  } catch (error) {
    // 409: the uid precondition failed (it was replaced meanwhile): not ours to delete.
    if (!(error instanceof KubeApiError && error.status === 409)) throw error;
  }
}

/** Deletes optional objects the spec no longer asks for (Ingress, HTTPRoutes, inline strategies). */
export async function pruneOptionalObjects(ctx: ReconcileContext, cluster: OrsCluster, nodeIds: readonly number[]): Promise<void> {
  const { name } = cluster.metadata;
  const { routing, strategies } = cluster.spec;
  const deletes: [string, string, string][] = [];
  if (!routing.ingress.enabled) deletes.push(['networking.k8s.io/v1', 'Ingress', clusterServiceName(name)]);
  if (!strategies.some((s) => s.scxml !== undefined)) deletes.push(['v1', 'ConfigMap', strategiesConfigMapName(name)]);
  if (!buildApiTokensSecret(cluster, '')) deletes.push(['v1', 'Secret', apiTokensSecretName(name)]);
  if (!routing.gateway.enabled) {
    deletes.push(['gateway.networking.k8s.io/v1', 'HTTPRoute', clusterServiceName(name)]);
    for (const node of nodeIds) {
      deletes.push(['gateway.networking.k8s.io/v1', 'HTTPRoute', nodeName(name, node)]);
      deletes.push(['gateway.networking.k8s.io/v1', 'HTTPRoute', sessionRouteName(name, node)]);
    }
  }
  await Promise.all(deletes.map(([apiVersion, kind, object]) => deleteOwned(ctx, cluster, apiVersion, kind, object)));
}

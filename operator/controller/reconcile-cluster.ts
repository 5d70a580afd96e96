// One reconcile pass for one OrsCluster: observe (caches), decide (pure planning),
// act (apply, rollout, scale), report (status). Each concern lives in its own
// reconciler; this file only sequences them.
import type { KubernetesObject, V1Lease, V1Node, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { parseOrsCluster } from '../api/parse-ors-cluster.ts';
import { activeNodeIds } from '../builders/desired-objects.ts';
import { observeCluster } from '../planning/observed-from-objects.ts';
import { planNextActions } from '../planning/next-actions.ts';
import { computeStatus, invalidSpecStatus, type Problem } from '../planning/status-report.ts';
import { applyDesiredObjects, ensureFinalizer, pruneOptionalObjects, type AppliedObjects } from './apply-reconciler.ts';
import { finalizeDeletedCluster } from './delete-reconciler.ts';
import { carryOutRolloutAction, isRolloutAction } from './rollout-reconciler.ts';
import { carryOutScaleAction, isScaleAction } from './scale-reconciler.ts';
import { writeStatus } from './status-reconciler.ts';
import { checkSpecReferences } from './spec-references.ts';
import { errorMessage, eventTarget, type ReconcileContext } from './reconcile-context.ts';

export interface ReconcileResult {
  /** Run again after this long even if nothing changes (waits, timeouts). */
  requeueAfterMs?: number;
  /** Something failed: retry with backoff. */
  failed?: boolean;
}

/**
 * Waits that end by the clock (a sync or drain timeout, a node unserved for too long)
 * are looked at again every TIMED_WAIT_RECHECK_MS; the others end with a watch event
 * (a pod created, a Lease taken) and are only rechecked now and then in case one was
 * missed. Rechecking every wait every few seconds cost 1,000 nodes a pass per cluster
 * every 5 s while their pods were being created.
 */
const TIMED_WAIT_RECHECK_MS = 5_000;
const WAIT_RECHECK_MS = 60_000;
const TIMED_WAITS = new Set(['BackupNotSynced', 'NoPrimary', 'Draining']);
const POD_BLOCKING = new Set(['PriorityClassMissing', 'StrategyConfigMapMissing', 'SecretMissing']);
/** Waits worth an Event (each repeat only raises its count): the ones that hold a switchover or rollout back. */
const REPORTED_WAITS = new Set(['BackupNotSynced', 'SwitchoverPending', 'PrimaryNotReady']);

/** A cluster's problems are logged when they change, not on every retry. */
function logProblemsOnce(ctx: ReconcileContext, namespace: string, name: string, problems: readonly Problem[]): void {
  const key = `${namespace}/${name}`;
  const summary = problems.map((p) => `${p.reason}: ${p.message}`).join('\n');
  if ((ctx.loggedProblems.get(key) ?? '') === summary) return;
  if (summary) ctx.log.warn({ cluster: name, namespace, problems: problems.map((p) => ({ reason: p.reason, message: p.message })) }, 'reconcile problems');
  else ctx.log.info({ cluster: name, namespace }, 'reconcile problems resolved');
  if (summary) ctx.loggedProblems.set(key, summary);
  else ctx.loggedProblems.delete(key);
}

export async function reconcileCluster(ctx: ReconcileContext, applied: AppliedObjects, namespace: string, name: string): Promise<ReconcileResult> {
  const raw = ctx.informers.get<KubernetesObject & { spec?: unknown; status?: unknown }>('OrsCluster', name, namespace);
  if (!raw) return {};
  if (raw.metadata?.deletionTimestamp) {
    await finalizeDeletedCluster(ctx, raw);
    applied.forgetCluster(namespace, name);
    ctx.loggedProblems.delete(`${namespace}/${name}`);
    return {};
  }
  await ensureFinalizer(ctx, raw);

  const now = ctx.now();
  const parsed = parseOrsCluster(raw as Parameters<typeof parseOrsCluster>[0]);
  const generation = raw.metadata?.generation ?? 0;
  if (!parsed.ok) {
    await ctx.events.record(eventTarget(raw), 'Warning', 'InvalidSpec', parsed.message);
    logProblemsOnce(ctx, namespace, name, [{ reason: 'InvalidSpec', message: parsed.message }]);
    await writeStatus(ctx, namespace, name, raw.status, invalidSpecStatus(raw.status as never, generation, parsed.message, now));
    return {};
  }
  const cluster = parsed.cluster;

  const state = observeCluster(name, {
    pods: ctx.informers.list<V1Pod>('Pod', namespace),
    statefulSets: ctx.informers.list<V1StatefulSet>('StatefulSet', namespace),
    leases: ctx.informers.list<V1Lease>('Lease', namespace),
    kubeNodes: ctx.informers.list<V1Node>('Node'),
  });
  const plan = planNextActions(cluster, state, now);

  // A cluster seen for the first time gets its status (Progressing: nodes being created)
  // at once, and its objects in a pass of their own that waits its turn behind the
  // other new clusters', so a thousand nodes created together show a status within
  // seconds rather than after every earlier cluster's objects were written.
  const firstSight = `${raw.metadata!.uid}/${generation}`;
  if (cluster.status?.observedGeneration === undefined && !ctx.acknowledged.has(firstSight)) {
    ctx.acknowledged.add(firstSight);
    if (ctx.acknowledged.size > 100_000) ctx.acknowledged.clear();
    await writeStatus(ctx, namespace, name, raw.status, computeStatus({ cluster, views: plan.views, actions: plan.actions, drainingNodes: plan.drainingNodes, problems: [], now }));
    return { requeueAfterMs: 0 };
  }
  const nodeIds = [...new Set([...activeNodeIds(cluster), ...plan.drainingNodes])].sort((a, b) => a - b);
  const removed = new Set(plan.actions.filter((a) => a.type === 'delete-node').map((a) => a.node));

  const problems: Problem[] = await checkSpecReferences(ctx, cluster);
  // A pod template whose PriorityClass, volume or Secret is missing would give pods that
  // cannot be created or started: the StatefulSets wait (and keep their current template).
  const holdPods = problems.some((p) => POD_BLOCKING.has(p.reason));
  problems.push(...(await applyDesiredObjects(ctx, applied, cluster, nodeIds.filter((id) => !removed.has(id)), holdPods)));
  // Only after a spec change (a new cluster has nothing to prune).
  const observed = cluster.status?.observedGeneration;
  if (observed !== undefined && observed !== generation) {
    await pruneOptionalObjects(ctx, cluster, nodeIds).catch((error: unknown) => {
      problems.push({ reason: 'PruneFailed', message: errorMessage(error) });
    });
  }

  for (const action of plan.actions) {
    try {
      if (isRolloutAction(action)) await carryOutRolloutAction(ctx, cluster, action);
      else if (isScaleAction(action)) await carryOutScaleAction(ctx, cluster, action);
    } catch (error) {
      problems.push({ reason: 'ActionFailed', message: `${action.type} on node ${action.node}: ${errorMessage(error)}` });
    }
  }
  if (plan.rejectedSwitchoverRequest) {
    await ctx.events.record(eventTarget(cluster), 'Warning', 'InvalidSwitchoverRequest', plan.rejectedSwitchoverRequest);
  }
  for (const p of problems) await ctx.events.record(eventTarget(cluster), 'Warning', p.reason, p.message);
  for (const a of plan.actions) {
    if (a.type === 'wait' && REPORTED_WAITS.has(a.reason)) await ctx.events.record(eventTarget(cluster), 'Normal', a.reason, a.message, 'Wait');
  }
  logProblemsOnce(ctx, namespace, name, problems);

  const status = computeStatus({
    cluster,
    views: plan.views.filter((v) => !removed.has(v.id)),
    actions: plan.actions,
    drainingNodes: plan.drainingNodes.filter((id) => !removed.has(id)),
    problems,
    ...(plan.handledSwitchoverRequest !== undefined ? { handledSwitchoverRequest: plan.handledSwitchoverRequest } : {}),
    now,
  });
  await writeStatus(ctx, namespace, name, raw.status, status);

  if (problems.length > 0) return { failed: true };
  const timed = plan.actions.some((a) => (a.type === 'wait' && TIMED_WAITS.has(a.reason)) || a.type === 'start-drain');
  if (timed) return { requeueAfterMs: TIMED_WAIT_RECHECK_MS };
  return plan.actions.some((a) => a.type === 'wait') ? { requeueAfterMs: WAIT_RECHECK_MS } : {};
}

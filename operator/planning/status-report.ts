// The OrsCluster status as a pure function of what was observed: per-node roles from
// the Leases, readiness from the pods, sync state from the backup's Lease annotation,
// conditions from the plan and from problems the controller met (apply errors).
import type { Condition, NodeStatus, OrsCluster, OrsClusterStatus } from '../api/ors-cluster.ts';
import type { Action } from './actions.ts';
import { isOutdated, type NodeView } from './observed-state.ts';
import { runtimePodSelector } from '../builders/names.ts';

export interface Problem {
  reason: string;
  message: string;
}

export interface StatusInput {
  cluster: OrsCluster;
  views: readonly NodeView[];
  actions: readonly Action[];
  drainingNodes: readonly number[];
  problems: readonly Problem[];
  handledSwitchoverRequest?: string;
  now: Date;
}

/** The failsafe record of the current primary; an active one the backup stopped refreshing (two lease durations) is over. */
function failsafeStatus(view: NodeView, now: Date): NodeStatus['failsafe'] {
  const record = view.lease?.failsafe;
  if (!record || !view.primary || record.primary !== view.primary.name) return undefined;
  const staleAfterMs = 2 * (view.lease?.leaseDurationSeconds ?? 15) * 1000;
  const fresh = record.at !== undefined && now.getTime() - Date.parse(record.at) < staleAfterMs;
  return {
    active: record.active && fresh,
    ...(record.since ? { since: record.since } : {}),
    ...(record.until ? { until: record.until } : {}),
    ...(record.active && record.at ? { confirmedAt: record.at } : {}),
  };
}

function nodeStatus(view: NodeView, draining: boolean, now: Date): NodeStatus {
  const lease = view.lease;
  const failsafe = failsafeStatus(view, now);
  return {
    id: view.id,
    ...(view.primary ? { primary: view.primary.name } : {}),
    ...(view.backup ? { backup: view.backup.name } : {}),
    ready: !!view.primary?.ready,
    synced: view.synced,
    // The first election writes leaseTransitions 1 (runtime/ha/leader-election/election-decision.ts): a switchover is a later change of holder.
    ...(lease?.acquireTime && (lease.transitions ?? 0) > 1 ? { lastSwitchover: new Date(lease.acquireTime).toISOString() } : {}),
    ...(draining ? { draining: true } : {}),
    ...(failsafe ? { failsafe } : {}),
  };
}

/** Keeps lastTransitionTime when a condition's status did not change. */
function condition(previous: readonly Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition {
  const before = previous?.find((c) => c.type === next.type);
  const lastTransitionTime = before && before.status === next.status ? before.lastTransitionTime : now.toISOString();
  return { ...next, lastTransitionTime };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
/** Waits spelled out in the Progressing message; more are counted. */
const WAITS_SHOWN = 5;

export function computeStatus(input: StatusInput): OrsClusterStatus {
  const { cluster, views, actions, problems, now } = input;
  const generation = cluster.metadata.generation ?? 0;
  const desired = cluster.spec.nodes;
  const active = views.filter((v) => v.id < desired);
  const readyNodes = active.filter((v) => v.primary?.ready).length;
  const existing = views.filter((v) => v.statefulSet).length;
  const missing = active.filter((v) => !v.statefulSet).length;
  const outdatedNodes = active.filter((v) => v.pods.some((p) => isOutdated(p, v))).length;
  const previous = cluster.status?.conditions;

  const ready = readyNodes === desired
    ? { status: 'True' as const, reason: 'AllNodesReady', message: `${plural(readyNodes, 'node')} with a ready primary` }
    : { status: 'False' as const, reason: 'NodesNotReady', message: `${readyNodes} of ${desired} ${desired === 1 ? 'node has' : 'nodes have'} a ready primary` };

  const progressingReasons: [string, string][] = [];
  if (missing > 0) progressingReasons.push(['ScalingUp', `${plural(missing, 'node')} being created`]);
  if (input.drainingNodes.length > 0) progressingReasons.push(['ScalingDown', `draining node(s) ${input.drainingNodes.join(', ')}`]);
  if (outdatedNodes > 0) progressingReasons.push(['RollingOut', `${plural(outdatedNodes, 'node')} with outdated pods`]);
  const switching = actions.filter((a) => a.type === 'request-switchover');
  if (switching.length > 0) progressingReasons.push(['SwitchingOver', `switchover requested on node(s) ${[...new Set(switching.map((a) => a.node))].join(', ')}`]);
  // Every wait, with its reason and why (a switchover waiting for a synced backup, pods
  // that do not exist yet...); the first is the condition's reason. Nodes that only wait
  // for another node's rollout are summed up in one line.
  const waits = actions.filter((a): a is Extract<Action, { type: 'wait' }> => a.type === 'wait');
  // A node whose StatefulSet does not exist yet is in ScalingUp already.
  const exists = new Set(views.filter((v) => v.statefulSet).map((v) => v.id));
  const ownWaits = waits.filter((a) => a.reason !== 'OtherNodeRollingOut' && exists.has(a.node));
  const queued = waits.filter((a) => a.reason === 'OtherNodeRollingOut').length;
  progressingReasons.unshift(...ownWaits.slice(0, WAITS_SHOWN).map((w): [string, string] => [w.reason, w.message]));
  if (ownWaits.length > WAITS_SHOWN) progressingReasons.push([ownWaits[WAITS_SHOWN]!.reason, `${ownWaits.length - WAITS_SHOWN} more node(s) waiting`]);
  if (queued > 0) progressingReasons.push(['OtherNodeRollingOut', `${plural(queued, 'node')} waiting for their turn to roll out`]);
  const progressing = progressingReasons.length > 0
    ? { status: 'True' as const, reason: progressingReasons[0]![0], message: progressingReasons.map(([, m]) => m).join('; ') }
    : { status: 'False' as const, reason: 'Reconciled', message: 'every node is up to date' };

  const degradedReasons: Problem[] = [...problems];
  const syncTimeoutMs = cluster.spec.rollout.syncTimeoutSeconds * 1000;
  for (const a of actions) {
    if (a.type !== 'wait' || a.reason !== 'BackupNotSynced') continue;
    const backup = views.find((v) => v.id === a.node)?.backup;
    if (backup && now.getTime() - Date.parse(backup.createdAt) > syncTimeoutMs) {
      degradedReasons.push({ reason: 'BackupNotSynced', message: `${a.message} for more than ${cluster.spec.rollout.syncTimeoutSeconds}s` });
    }
  }
  const degraded = degradedReasons.length > 0
    ? { status: 'True' as const, reason: degradedReasons[0]!.reason, message: [...new Set(degradedReasons.map((p) => p.message))].join('; ') }
    : { status: 'False' as const, reason: 'AsExpected', message: 'no problems' };

  const conditions = [
    condition(previous, { type: 'Ready', observedGeneration: generation, ...ready }, now),
    condition(previous, { type: 'Progressing', observedGeneration: generation, ...progressing }, now),
    condition(previous, { type: 'Degraded', observedGeneration: generation, ...degraded }, now),
  ];
  const phase = degraded.status === 'True' ? 'Degraded'
    : progressing.status === 'True' ? 'Progressing'
    : ready.status === 'True' ? 'Running'
    : 'Pending';

  const selector = Object.entries(runtimePodSelector(cluster.metadata.name)).map(([k, v]) => `${k}=${v}`).join(',');
  const handled = input.handledSwitchoverRequest ?? cluster.status?.handledSwitchoverRequest;
  return {
    observedGeneration: generation,
    phase,
    replicas: existing,
    readyNodes,
    selector,
    conditions,
    nodes: views.filter((v) => v.statefulSet || v.id < desired).map((v) => nodeStatus(v, v.id >= desired, now)),
    ...(handled !== undefined ? { handledSwitchoverRequest: handled } : {}),
  };
}

/** The invalid-spec status: nothing else can be computed, and nothing is changed. */
export function invalidSpecStatus(previous: OrsClusterStatus | undefined, generation: number, message: string, now: Date): OrsClusterStatus {
  const degraded = condition(previous?.conditions, { type: 'Degraded', status: 'True', reason: 'InvalidSpec', message, observedGeneration: generation }, now);
  const others = (previous?.conditions ?? []).filter((c) => c.type !== 'Degraded');
  return { ...previous, observedGeneration: generation, phase: 'Degraded', conditions: [...others, degraded] };
}

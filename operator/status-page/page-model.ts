// The live status page's model: a pure function from the listed objects (OrsClusters,
// their pods, node Leases, Events) to what the page shows, and the zod schema of
// /status.json. The Kubernetes source (./kubernetes-source.ts) lists real objects; the
// local source (./local-source.ts) describes an `ors local` cluster in the same shapes,
// so both pages are one model and one renderer.
import type { KubernetesObject, V1Lease, V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { currentPrimaryLoad, LABEL_CLUSTER, type PrimaryLoad } from '../api/pod-contract.ts';
import { leaseNodeId, observeLease, observePod } from '../planning/observed-from-objects.ts';
import type { ObservedLease, ObservedPod } from '../planning/observed-state.ts';

export const PodViewSchema = z.object({
  name: z.string(),
  role: z.enum(['primary', 'backup']),
  ready: z.boolean(),
  deleting: z.boolean(),
  kubeNode: z.string().optional(),
});

export const NodeViewSchema = z.object({
  id: z.int().min(0),
  primary: z.string().optional(),
  backup: z.string().optional(),
  pods: z.array(PodViewSchema),
  /** The primary pod is Ready (answers /heartbeat with 200). */
  ready: z.boolean(),
  /** The backup reports itself synced with the current primary. */
  synced: z.boolean(),
  /**
   * While synced: the primary's reported sync lag (how long its oldest change the backup
   * has not acknowledged has waited; ms precision), or 0 without a current report.
   * Otherwise the seconds the backup has been out of sync with the current primary: since
   * its last sync-state report about this primary (or, without one, since the primary
   * took the Lease). Absent with no primary.
   */
  syncLagSeconds: z.number().min(0).optional(),
  /** Live sessions on the primary, when reported (asked of the pod, its current load report on the Lease, or its count while draining). */
  sessions: z.int().min(0).optional(),
  failsafe: z.boolean(),
  draining: z.boolean(),
  /** The Lease's transitions (1 for its first holder), and when it last changed hands after that. */
  transitions: z.int().min(0),
  lastFailover: z.string().optional(),
});

export const EventViewSchema = z.object({
  at: z.string(),
  type: z.string(),
  reason: z.string(),
  message: z.string(),
  /** Kind/name of the object the event is about. */
  object: z.string(),
  count: z.int().min(1),
});

export const TimelineEntrySchema = z.object({
  at: z.string(),
  node: z.int().min(0).optional(),
  kind: z.enum(['failover', 'switchover']),
  message: z.string(),
});

export const ClusterViewSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  phase: z.string().optional(),
  desiredNodes: z.int().min(0),
  readyNodes: z.int().min(0),
  sessions: z.int().min(0),
  conditions: z.array(z.object({ type: z.string(), status: z.string(), reason: z.string(), message: z.string() })),
  nodes: z.array(NodeViewSchema),
  /** Failovers and switchovers, newest first. */
  timeline: z.array(TimelineEntrySchema),
  /** The events about the cluster and its pods, newest first. */
  events: z.array(EventViewSchema),
});

export const StatusPageSchema = z.object({
  source: z.enum(['kubernetes', 'local']),
  generatedAt: z.string(),
  clusters: z.array(ClusterViewSchema),
});

export type PodView = z.infer<typeof PodViewSchema>;
export type NodeView = z.infer<typeof NodeViewSchema>;
export type EventView = z.infer<typeof EventViewSchema>;
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;
export type ClusterView = z.infer<typeof ClusterViewSchema>;
export type StatusPage = z.infer<typeof StatusPageSchema>;

/** An events.k8s.io/v1 Event (the operator's) or a core/v1 Event (the kubelet's, the StatefulSet controller's). */
export interface ListedEvent extends KubernetesObject {
  eventTime?: string | Date | null;
  deprecatedLastTimestamp?: string | Date;
  lastTimestamp?: string | Date;
  firstTimestamp?: string | Date;
  series?: { count?: number; lastObservedTime?: string | Date };
  count?: number;
  deprecatedCount?: number;
  type?: string;
  reason?: string;
  note?: string;
  message?: string;
  regarding?: { kind?: string; name?: string; namespace?: string };
  involvedObject?: { kind?: string; name?: string; namespace?: string };
}

/** What the page reads of an OrsCluster: names, desired nodes and the status the operator wrote. */
export interface ListedOrsCluster extends KubernetesObject {
  spec?: { nodes?: number };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

export interface PageInput {
  source: StatusPage['source'];
  clusters: readonly ListedOrsCluster[];
  pods: readonly V1Pod[];
  leases: readonly V1Lease[];
  events: readonly ListedEvent[];
  /** Live sessions per primary pod (`<namespace>/<pod>`) where a source asked the pods; else the Lease's (the primary's current load report, or its count while draining). */
  podSessions?: ReadonlyMap<string, number>;
  now: Date;
}

/** Reasons of events that are a change of primary (the timeline), against the rest (the event list). */
const SWITCHOVER_REASONS = new Set(['SwitchedOver', 'SwitchoverRequested', 'Failover', 'PrimaryChanged']);
const MAX_EVENTS = 50;
const MAX_TIMELINE = 30;

const iso = (t: string | Date | null | undefined): string | undefined => {
  if (t === undefined || t === null) return undefined;
  const ms = new Date(t).getTime();
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
};

function eventView(e: ListedEvent): EventView | undefined {
  const at = iso(e.series?.lastObservedTime) ?? iso(e.eventTime) ?? iso(e.lastTimestamp) ?? iso(e.deprecatedLastTimestamp) ?? iso(e.firstTimestamp) ?? iso(e.metadata?.creationTimestamp);
  if (!at) return undefined;
  const about = e.regarding ?? e.involvedObject ?? {};
  return {
    at,
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: e.note ?? e.message ?? '',
    object: `${about.kind ?? '?'}/${about.name ?? '?'}`,
    count: Math.max(1, e.series?.count ?? e.count ?? e.deprecatedCount ?? 1),
  };
}

/** Whether `e` is about `cluster`: the OrsCluster itself, one of its pods, or its StatefulSets, Services or Leases by name. */
function isAbout(e: ListedEvent, namespace: string, cluster: string, podNames: ReadonlySet<string>): boolean {
  const about = e.regarding ?? e.involvedObject;
  if (!about?.name || (about.namespace ?? e.metadata?.namespace) !== namespace) return false;
  if (about.kind === 'OrsCluster') return about.name === cluster;
  return podNames.has(about.name) || about.name.startsWith(`${cluster}-node-`);
}

function syncLagSeconds(lease: ObservedLease | undefined, synced: boolean, load: PrimaryLoad | undefined, now: Date): number | undefined {
  if (!lease?.holder) return undefined;
  if (synced) return load ? load.syncLagMs / 1000 : 0;
  const state = lease.syncState?.primary === lease.holder ? lease.syncState : undefined;
  const since = Date.parse(state?.at ?? lease.acquireTime ?? '');
  return Number.isFinite(since) ? Math.max(0, Math.round((now.getTime() - since) / 100) / 10) : undefined;
}

function nodeView(id: number, pods: readonly ObservedPod[], lease: ObservedLease | undefined, podSessions: number | undefined, now: Date): NodeView {
  const holder = lease?.holder;
  const primary = pods.find((p) => p.name === holder);
  const backup = pods.find((p) => p.name !== holder && !p.deleting) ?? pods.find((p) => p.name !== holder);
  const synced = !!primary && !!backup && lease?.syncState?.synced === true && lease.syncState.primary === primary.name && lease.syncState.backup === backup.name;
  const load = currentPrimaryLoad(lease?.primaryLoad, holder, lease?.leaseDurationSeconds, now);
  const lag = syncLagSeconds(lease, synced, load, now);
  const failsafe = lease?.failsafe;
  const staleAfterMs = 2 * (lease?.leaseDurationSeconds ?? 15) * 1000;
  const sessions = podSessions ?? load?.sessions ?? lease?.activeSessions;
  return {
    id,
    ...(primary ? { primary: primary.name } : {}),
    ...(backup ? { backup: backup.name } : {}),
    pods: [...pods]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((p) => ({ name: p.name, role: p.name === holder ? 'primary' as const : 'backup' as const, ready: p.ready, deleting: p.deleting, ...(p.kubeNode ? { kubeNode: p.kubeNode } : {}) })),
    ready: !!primary?.ready,
    synced,
    ...(lag !== undefined ? { syncLagSeconds: lag } : {}),
    ...(sessions !== undefined ? { sessions } : {}),
    failsafe: !!failsafe?.active && failsafe.primary === holder && failsafe.at !== undefined && now.getTime() - Date.parse(failsafe.at) < staleAfterMs,
    draining: !!lease?.drainSince,
    transitions: lease?.transitions ?? 0,
    // The first holder takes a Lease at transition 1 (runtime/ha/leader-election/election-decision.ts): only a later one is a failover.
    ...(lease?.acquireTime && (lease.transitions ?? 0) > 1 ? { lastFailover: lease.acquireTime } : {}),
  };
}

/**
 * The timeline: every switchover/failover event, and each node's last change of holder
 * from its Lease (so a failover shows even when no event recorded it, e.g. a crash the
 * pods resolved among themselves), without a Lease entry an event already covers.
 */
function timeline(nodes: readonly NodeView[], events: readonly EventView[]): TimelineEntry[] {
  const entries: TimelineEntry[] = events
    .filter((e) => SWITCHOVER_REASONS.has(e.reason))
    .map((e) => {
      const node = /node[ -](\d+)/.exec(e.message)?.[1];
      return { at: e.at, ...(node !== undefined ? { node: Number(node) } : {}), kind: e.reason === 'SwitchedOver' || e.reason === 'SwitchoverRequested' ? 'switchover' as const : 'failover' as const, message: `${e.reason}: ${e.message}` };
    });
  for (const n of nodes) {
    if (!n.lastFailover) continue;
    const covered = entries.some((e) => e.node === n.id && Math.abs(Date.parse(e.at) - Date.parse(n.lastFailover!)) < 5_000 && e.message.includes(n.primary ?? '\0'));
    if (!covered) entries.push({ at: n.lastFailover, node: n.id, kind: 'failover', message: `node ${n.id}: ${n.primary ?? 'a new pod'} took the Lease (transition ${n.transitions})` });
  }
  return entries.sort((a, b) => b.at.localeCompare(a.at)).slice(0, MAX_TIMELINE);
}

export function buildStatusPage(input: PageInput): StatusPage {
  const clusters = [...input.clusters]
    .filter((c) => c.metadata?.name && c.metadata.namespace)
    .sort((a, b) => `${a.metadata!.namespace}/${a.metadata!.name}`.localeCompare(`${b.metadata!.namespace}/${b.metadata!.name}`))
    .map((c): ClusterView => {
      const namespace = c.metadata!.namespace!;
      const name = c.metadata!.name!;
      const pods = input.pods
        .filter((p) => p.metadata?.namespace === namespace && p.metadata.labels?.[LABEL_CLUSTER] === name)
        .map(observePod)
        .filter((p): p is ObservedPod => !!p);
      const leases = new Map<number, ObservedLease>();
      for (const l of input.leases) {
        if (l.metadata?.namespace !== namespace) continue;
        const node = leaseNodeId(name, l.metadata.name ?? '');
        if (node !== undefined) leases.set(node, observeLease(l, node));
      }
      const desired = c.spec?.nodes ?? 0;
      const ids = new Set<number>([...Array.from({ length: desired }, (_, i) => i), ...pods.map((p) => p.node), ...leases.keys()]);
      const nodes = [...ids].sort((a, b) => a - b).map((id) => {
        const holder = leases.get(id)?.holder;
        return nodeView(id, pods.filter((p) => p.node === id), leases.get(id), holder ? input.podSessions?.get(`${namespace}/${holder}`) : undefined, input.now);
      });
      const podNames = new Set(pods.map((p) => p.name));
      const events = input.events
        .filter((e) => isAbout(e, namespace, name, podNames))
        .map(eventView)
        .filter((e): e is EventView => !!e)
        .sort((a, b) => b.at.localeCompare(a.at));
      return {
        namespace,
        name,
        ...(c.status?.phase ? { phase: c.status.phase } : {}),
        desiredNodes: desired,
        readyNodes: nodes.filter((n) => n.ready).length,
        sessions: nodes.reduce((sum, n) => sum + (n.sessions ?? 0), 0),
        conditions: (c.status?.conditions ?? []).map(({ type, status, reason, message }) => ({ type, status, reason, message })),
        nodes,
        timeline: timeline(nodes, events),
        events: events.slice(0, MAX_EVENTS),
      };
    });
  return { source: input.source, generatedAt: input.now.toISOString(), clusters };
}

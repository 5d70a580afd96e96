// The status page's data for `ors local`: the local cluster described in the shapes the
// page model reads from Kubernetes (operator/status-page/page-model.ts), so one model and
// one page serve both. Pods are the runtime processes (Ready = /heartbeat 200, sessions
// from it), Leases are the nodes' file leases (holder, transitions, the backup's
// sync-state annotation), events are what this source saw happen: a process exiting (the
// cluster's own log line) and a node's primary changing (looked for every second, so a
// failover is on the timeline whether or not a page was open).
import type { V1Lease, V1Pod } from '@kubernetes/client-node';
import { LABEL_CLUSTER, LABEL_NODE } from '../../operator/api/pod-contract.ts';
import { buildStatusPage, type ListedEvent, type ListedOrsCluster, type StatusPage } from '../../operator/status-page/page-model.ts';
import type { StatusSource } from '../../operator/status-page/status-routes.ts';
import { FileLeaseLock } from '../ha/leader-election/file-lease-lock.ts';
import type { LeaseRecord } from '../ha/leader-election/lease-record.ts';
import { heartbeat, type LocalCluster, type RuntimeProcessInfo } from './local-cluster.ts';

export const LOCAL_NAMESPACE = 'local';
export const LOCAL_CLUSTER_NAME = 'local';
const POLL_MS = 1000;
const MAX_EVENTS = 200;

/** What one look at the local cluster found: per process its heartbeat, per node its lease. */
export interface LocalObservation {
  processes: readonly (RuntimeProcessInfo & { beat?: { status: number; sessions?: number } })[];
  leases: ReadonlyMap<number, LeaseRecord>;
  nodes: number;
}

/** The observation as the listed objects of the page model (pure). */
export function localObjects(seen: LocalObservation): { cluster: ListedOrsCluster; pods: V1Pod[]; leases: V1Lease[]; podSessions: Map<string, number> } {
  const pods = seen.processes.map((p): V1Pod => ({
    metadata: { name: p.name, namespace: LOCAL_NAMESPACE, labels: { [LABEL_CLUSTER]: LOCAL_CLUSTER_NAME, [LABEL_NODE]: String(p.node) } },
    spec: { nodeName: `${p.url.replace(/^http:\/\//, '')}${p.pid ? ` pid ${p.pid}` : ''} (${p.state})`, containers: [] },
    status: { conditions: [{ type: 'Ready', status: p.beat?.status === 200 ? 'True' : 'False' }] },
  }));
  const leases = [...seen.leases].map(([node, r]): V1Lease => ({
    metadata: { name: `${LOCAL_CLUSTER_NAME}-node-${node}`, namespace: LOCAL_NAMESPACE, annotations: r.annotations },
    spec: {
      holderIdentity: r.holderIdentity,
      acquireTime: new Date(r.acquireTime),
      renewTime: new Date(r.renewTime),
      leaseDurationSeconds: Math.max(1, Math.ceil(r.leaseDurationSeconds)),
      leaseTransitions: r.leaseTransitions,
    },
  }));
  const podSessions = new Map(seen.processes.filter((p) => p.beat?.sessions !== undefined).map((p) => [`${LOCAL_NAMESPACE}/${p.name}`, p.beat!.sessions!]));
  const allServing = Array.from({ length: seen.nodes }, (_, node) => seen.processes.some((p) => p.node === node && p.beat?.status === 200)).every(Boolean);
  const cluster: ListedOrsCluster = {
    apiVersion: 'ors.dev/v1alpha1', kind: 'OrsCluster', metadata: { name: LOCAL_CLUSTER_NAME, namespace: LOCAL_NAMESPACE },
    spec: { nodes: seen.nodes }, status: { phase: allServing ? 'Running' : 'Degraded' },
  };
  return { cluster, pods, leases, podSessions };
}

export class LocalStatusSource implements StatusSource {
  private readonly cluster: LocalCluster;
  private readonly events: ListedEvent[] = [];
  private readonly holders = new Map<number, string>();
  private last?: Promise<LocalObservation>;
  private timer?: NodeJS.Timeout;

  constructor(cluster: LocalCluster) {
    this.cluster = cluster;
  }

  /** Looks every second (the timeline of failovers), until stop(). */
  start(): void {
    const tick = () => {
      this.last = this.observe();
      this.last.catch(() => undefined);
    };
    tick();
    this.timer = setInterval(tick, POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A line of the cluster's log about a process ("node-0-a exited (SIGKILL); ..."), kept as an event about it. */
  noteLog(line: string): void {
    const exited = /^(node-\d+-[ab]) exited \(([^)]*)\)/.exec(line);
    if (exited) this.addEvent('Warning', 'ProcessExited', { kind: 'Pod', name: exited[1]! }, line);
  }

  async snapshot(): Promise<StatusPage> {
    const seen = await (this.last ?? this.observe());
    const { cluster, pods, leases, podSessions } = localObjects(seen);
    return buildStatusPage({ source: 'local', clusters: [cluster], pods, leases, events: this.events, podSessions, now: new Date() });
  }

  private addEvent(type: string, reason: string, regarding: { kind: string; name: string }, note: string): void {
    this.events.push({ metadata: { name: `${reason}-${this.events.length}`, namespace: LOCAL_NAMESPACE }, eventTime: new Date().toISOString(), type, reason, note, regarding: { ...regarding, namespace: LOCAL_NAMESPACE } });
    if (this.events.length > MAX_EVENTS) this.events.shift();
  }

  private async observe(): Promise<LocalObservation> {
    const nodes = this.cluster.options.nodes;
    const processes = await Promise.all(this.cluster.processes.map(async (p) => {
      const beat = p.state === 'running' ? await heartbeat(p.url) : undefined;
      return { node: p.node, name: p.name, port: p.port, url: p.url, logFile: p.logFile, state: p.state, ...(p.pid ? { pid: p.pid } : {}), ...(beat ? { beat } : {}) };
    }));
    const leases = new Map<number, LeaseRecord>();
    await Promise.all(Array.from({ length: nodes }, async (_, node) => {
      const lease = await new FileLeaseLock(this.cluster.leaseDir(node)).get().catch(() => undefined);
      if (lease) leases.set(node, lease.record);
    }));
    for (const [node, lease] of leases) {
      const before = this.holders.get(node);
      const now = lease.holderIdentity;
      if (now && before !== undefined && before !== now) {
        this.addEvent('Normal', 'Failover', { kind: 'OrsCluster', name: LOCAL_CLUSTER_NAME }, `node ${node}: primary ${before} -> ${now} (transition ${lease.leaseTransitions})`);
      }
      if (now) this.holders.set(node, now);
    }
    return { processes, leases, nodes };
  }
}

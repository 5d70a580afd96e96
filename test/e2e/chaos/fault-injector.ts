// The faults of the chaos run, one at a time at random: kill -9 of a primary or a backup,
// SIGSTOP of a primary for longer than its lease, the sync connections of a node cut
// (ss -K on the primary's sync port), Cassandra stopped and started, kube-apiserver
// restarted, and network partitions of a primary (from the API server, from its backup,
// from everything, a lossy link: nftables in its own network namespace, partitions.ts)
// held past its lease and healed. Each waits for its own effect (a kill: the new primary epoch, or the
// container restarted); the run then waits for every node to serve again before the
// next fault, so faults come one at a time. Each says which nodes' primaries it took down
// (killed, frozen, or fenced while no Lease could be renewed), for the call figures.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint } from '../../infra/pod-network/partition-rules.ts';
import { waitUntil } from '../../infra/wait-until.ts';
import type { ClusterObserver } from '../cluster-observer.ts';
import type { ProcessNode } from '../process-node/process-node.ts';
import { partitionFaults, PARTITION_KINDS, type PartitionKind } from './partitions.ts';

const PARTITION_FAULTS = PARTITION_KINDS.map((kind) => `partition-${kind}` as const);
type PartitionFault = (typeof PARTITION_FAULTS)[number];

export type FaultKind = 'kill-primary' | 'kill-backup' | 'freeze-primary' | 'cut-sync' | 'cassandra-restart' | 'apiserver-restart' | PartitionFault;

/** The partitions that take a primary down: it can no longer renew its Lease, so it fences itself. */
const FENCING_PARTITIONS: readonly PartitionKind[] = ['from-api-server', 'from-everything'];

export interface FaultTargets {
  processNode: ProcessNode;
  observer: ClusterObserver;
  nodes: number;
  syncPort: number;
  leaseDurationMs: number;
  restartCassandra?: () => Promise<void>;
  restartApiServer?: () => Promise<void>;
  /** Where the API server and the kubelet are, for the partition faults (none without). */
  partitions?: { apiServer: Endpoint; kubelet: string };
  log(message: string): void;
}

export function availableFaults(targets: FaultTargets): FaultKind[] {
  const kinds: FaultKind[] = ['kill-primary', 'kill-backup', 'freeze-primary', 'cut-sync'];
  if (targets.restartCassandra) kinds.push('cassandra-restart');
  if (targets.restartApiServer) kinds.push('apiserver-restart');
  if (targets.partitions) kinds.push(...PARTITION_FAULTS);
  return kinds;
}

/** The runtime node ids (`node-<i>`) whose primary a fault took down. */
export type PrimaryOutage = string[];

export async function injectFault(kind: FaultKind, t: FaultTargets): Promise<PrimaryOutage> {
  const node = randomInt(0, t.nodes);
  const nodeId = `node-${node}`;
  const view = (await t.observer.nodes(t.nodes))[node];
  const primary = view.holder ? t.processNode.runner(view.holder) : undefined;
  const backup = view.pods.filter((p) => p !== view.holder).map((p) => t.processNode.runner(p)).find(Boolean);
  switch (kind) {
    case 'kill-primary': {
      t.log(`kill -9 primary ${primary?.name} (pid ${primary?.pid})`);
      if (!primary?.signal('SIGKILL')) return [];
      // Its effect: the Lease moves to a new epoch. Until then the cluster still *looks*
      // served (the Lease and the Ready condition lag the kill), and the next fault would
      // land on top of this one.
      await waitUntil(async () => ((await t.observer.nodes(t.nodes))[node].transitions > view.transitions ? true : undefined), {
        what: `a new primary epoch on node ${node}`,
        timeoutMs: 6 * t.leaseDurationMs,
        intervalMs: 200,
      }).catch((e: Error) => t.log(e.message));
      return [nodeId];
    }
    case 'kill-backup': {
      t.log(`kill -9 backup ${backup?.name} (pid ${backup?.pid})`);
      const restarts = backup?.restartCount ?? 0;
      if (!backup?.signal('SIGKILL')) return [];
      // Its effect: the kubelet restarts the container.
      await waitUntil(async () => (backup.restartCount > restarts && backup.pid !== undefined ? true : undefined), {
        what: `${backup.name} restarted`,
        timeoutMs: 60_000,
        intervalMs: 200,
      }).catch((e: Error) => t.log(e.message));
      return [];
    }
    case 'freeze-primary': {
      if (!primary?.signal('SIGSTOP')) return [];
      t.log(`SIGSTOP primary ${primary.name} for ${t.leaseDurationMs + 1500} ms`);
      await sleep(t.leaseDurationMs + 1500);
      primary.signal('SIGCONT');
      t.log(`SIGCONT ${primary.name}`);
      return [nodeId];
    }
    case 'cut-sync': {
      if (!primary) return [];
      t.log(`cut the sync connections of ${primary.name} (${primary.podIP}:${t.syncPort})`);
      // ss -K in the pod's own network namespace, where its sockets are.
      await primary.netns.exec(['ss', '-K', 'sport', '=', `:${t.syncPort}`]).catch((e: Error) => t.log(`ss -K: ${e.message}`));
      await primary.netns.exec(['ss', '-K', 'dport', '=', `:${t.syncPort}`]).catch((e: Error) => t.log(`ss -K: ${e.message}`));
      return [];
    }
    case 'cassandra-restart':
      t.log('Cassandra stop and start');
      await t.restartCassandra!();
      t.log('Cassandra back');
      return [];
    case 'apiserver-restart':
      t.log('kube-apiserver restart');
      await t.restartApiServer!();
      t.log('kube-apiserver back');
      // Nobody could renew a Lease meanwhile: every primary fenced itself.
      return Array.from({ length: t.nodes }, (_, i) => `node-${i}`);
    default: {
      const partition = kind.slice('partition-'.length) as PartitionKind;
      if (!primary || !backup || !t.partitions) return [];
      const holdMs = t.leaseDurationMs + 1500;
      t.log(`partition ${partition} of primary ${primary.name} (${primary.podIP}) for ${holdMs} ms`);
      await primary.netns.setFaults(partitionFaults(partition, { ...t.partitions, peer: backup.podIP }));
      try {
        await sleep(holdMs);
      } finally {
        await primary.netns.setFaults([]);
        t.log(`healed ${primary.name}`);
      }
      return FENCING_PARTITIONS.includes(partition) ? [nodeId] : [];
    }
  }
}

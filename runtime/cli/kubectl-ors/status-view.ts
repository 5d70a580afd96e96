// `kubectl ors status`: one cluster's nodes (primary, backup, synced, sync lag, sessions,
// failsafe, last switchover), its conditions and its recent events. Pure: snapshot -> text.
import { currentPrimaryLoad, type PrimaryLoad } from '../../../operator/api/pod-contract.ts';
import type { ClusterSnapshot, PodSnapshot } from './cluster-snapshot.ts';
import { age, painter, table, type Paint } from './text-table.ts';

export interface StatusViewOptions {
  colour: boolean;
  /** How many of the newest events to show. */
  events?: number;
}

const yesNo = (value: boolean, paint: Paint) => (value ? paint('yes', 'green') : paint('no', 'red'));

/** From the primary's /metrics; when those cannot be read, from its current load report on the Lease (marked so). */
function sessionsOf(pod: PodSnapshot | undefined, load: PrimaryLoad | undefined): string {
  if (!pod) return '-';
  if (!('error' in pod.figures)) return String(pod.figures.activeSessions ?? '-');
  return load ? `${load.sessions} (lease)` : `? (${pod.figures.error})`;
}

/**
 * The primary measures the lag (a backup's gauge is 0), so its /metrics come first; when no
 * pod's can be read, the primary's current load report on the Lease (marked so).
 */
function syncLagOf(pods: readonly (PodSnapshot | undefined)[], load: PrimaryLoad | undefined): string {
  for (const pod of pods) {
    if (pod && !('error' in pod.figures) && pod.figures.syncLagSeconds !== undefined) return `${(pod.figures.syncLagSeconds * 1000).toFixed(1)}ms`;
  }
  return load ? `${load.syncLagMs.toFixed(1)}ms (lease)` : '-';
}

export function renderStatus(snapshot: ClusterSnapshot, options: StatusViewOptions): string {
  const paint = painter(options.colour);
  const out: string[] = [];
  const phase = snapshot.phase ?? 'Pending';
  const phaseColour = phase === 'Running' ? 'green' : phase === 'Degraded' ? 'red' : 'yellow';
  out.push(
    `${paint(`OrsCluster ${snapshot.name}`, 'bold')}  namespace ${snapshot.namespace}  phase ${paint(phase, phaseColour)}  ready nodes ${snapshot.readyNodes ?? 0}/${snapshot.specNodes}`,
  );
  if (snapshot.switchoverRequest) {
    const pending = snapshot.switchoverRequest !== snapshot.handledSwitchoverRequest;
    out.push(`switchover request ${snapshot.switchoverRequest}: ${pending ? paint('pending', 'yellow') : 'handled'}`);
  }
  out.push('');
  const podByName = new Map(snapshot.pods.map((p) => [p.name, p]));
  const rows: string[][] = [['NODE', 'PRIMARY', 'READY', 'BACKUP', 'SYNCED', 'SYNC LAG', 'SESSIONS', 'FAILSAFE', 'LAST SWITCHOVER', 'LEASE TRANSITIONS']];
  const ids = new Set([...snapshot.nodes.map((n) => n.id), ...snapshot.leases.map((l) => l.node)]);
  for (const id of [...ids].sort((a, b) => a - b)) {
    const status = snapshot.nodes.find((n) => n.id === id);
    const lease = snapshot.leases.find((l) => l.node === id);
    const primaryName = status?.primary ?? lease?.holder;
    const backupName = status?.backup ?? snapshot.pods.find((p) => p.node === id && p.name !== primaryName)?.name;
    const primary = primaryName ? podByName.get(primaryName) : undefined;
    const backup = backupName ? podByName.get(backupName) : undefined;
    const load = currentPrimaryLoad(lease?.primaryLoad, lease?.holder, lease?.leaseDurationSeconds, new Date(snapshot.at));
    const failsafe = status?.failsafe?.active ? paint('ACTIVE', 'red') : status?.failsafe?.until ? `ended ${age(status.failsafe.until, snapshot.at)} ago` : '-';
    rows.push([
      `${id}${status?.draining ? ' (removing)' : lease?.drainSince ? ' (drained)' : ''}`,
      primaryName ?? paint('none', 'red'),
      yesNo(status?.ready ?? primary?.ready ?? false, paint),
      backupName ?? paint('none', 'red'),
      yesNo(status?.synced ?? lease?.syncState?.synced ?? false, paint),
      syncLagOf([primary, backup], load),
      sessionsOf(primary, load),
      failsafe,
      status?.lastSwitchover ? `${age(status.lastSwitchover, snapshot.at)} ago` : '-',
      lease ? String(lease.transitions) : '-',
    ]);
  }
  out.push(rows.length > 1 ? table(rows) : '(no nodes reported yet)');
  out.push('', paint('Conditions', 'bold'));
  if (snapshot.conditions.length === 0) out.push('  (none)');
  else {
    out.push(
      table(
        snapshot.conditions.map((c) => {
          const good = (c.type === 'Degraded') === (c.status === 'False');
          return [`  ${c.type}`, paint(c.status, good ? 'green' : 'red'), c.reason, `${age(c.lastTransitionTime, snapshot.at)} ago`, c.message];
        }),
      ),
    );
  }
  const shown = snapshot.events.slice(-(options.events ?? 10));
  out.push('', paint(`Recent events (${shown.length} of ${snapshot.events.length})`, 'bold'));
  if (shown.length === 0) out.push('  (none)');
  else {
    out.push(
      table(
        shown.map((e) => [
          `  ${age(e.time, snapshot.at)} ago`,
          e.type === 'Warning' ? paint(e.type, 'yellow') : e.type,
          e.reason,
          e.object,
          `${e.message}${e.count > 1 ? ` (x${e.count})` : ''}`,
        ]),
      ),
    );
  }
  return out.join('\n') + '\n';
}

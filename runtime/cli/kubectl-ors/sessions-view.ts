// `kubectl ors sessions`: session counts per ORS node and pod, by state — live (running
// now), created since the pod started, and finished by reason (done, terminated, failed,
// shutdown) — from each runtime's /metrics. Pure: snapshot -> text.
import type { ClusterSnapshot } from './cluster-snapshot.ts';
import { table } from './text-table.ts';

export function renderSessions(snapshot: ClusterSnapshot): string {
  const reasons = [...new Set(snapshot.pods.flatMap((p) => ('error' in p.figures ? [] : Object.keys(p.figures.sessionsFinished))))].sort();
  const rows: string[][] = [['NODE', 'POD', 'ROLE', 'LIVE', 'CREATED', ...reasons.map((r) => `FINISHED ${r.toUpperCase()}`)]];
  const totals = { live: 0, created: 0, finished: new Map<string, number>() };
  for (const pod of [...snapshot.pods].sort((a, b) => (a.node ?? -1) - (b.node ?? -1) || a.name.localeCompare(b.name))) {
    const status = snapshot.nodes.find((n) => n.id === pod.node);
    const holder = snapshot.leases.find((l) => l.node === pod.node)?.holder;
    const role = (status?.primary ?? holder) === pod.name ? 'primary' : 'backup';
    if ('error' in pod.figures) {
      rows.push([String(pod.node ?? '-'), pod.name, role, `? (${pod.figures.error})`]);
      continue;
    }
    const f = pod.figures;
    totals.live += f.activeSessions ?? 0;
    totals.created += f.sessionsCreated ?? 0;
    for (const r of reasons) totals.finished.set(r, (totals.finished.get(r) ?? 0) + (f.sessionsFinished[r] ?? 0));
    rows.push([String(pod.node ?? '-'), pod.name, role, String(f.activeSessions ?? 0), String(f.sessionsCreated ?? 0), ...reasons.map((r) => String(f.sessionsFinished[r] ?? 0))]);
  }
  rows.push(['total', '', '', String(totals.live), String(totals.created), ...reasons.map((r) => String(totals.finished.get(r) ?? 0))]);
  return `Sessions of OrsCluster ${snapshot.name} (namespace ${snapshot.namespace})\n${table(rows)}\n`;
}

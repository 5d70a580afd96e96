// Multimedia interactions on a 2-node cluster (2 x primary + backup): pulled only by
// primaries, in proportion to capacity, each processed exactly once, and carried on by
// the backup after its primary dies.
import { afterEach, describe, expect, it } from 'vitest';
import { startSim } from './sim-helpers.ts';
import { startCluster, startProcess, waitFor, workFor } from '../../support/voice-test-cluster.ts';
import type { TestCluster } from '../../support/voice-test-cluster.ts';
import type { PullLogEntry } from '../../../runtime/sim/sim-statistics.ts';

const NODES = ['node-0', 'node-1'];
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(leaseExpiry?: { enabled: boolean; leaseMs: number }) {
  const s = await startSim({
    queues: [{ name: 'chat', strategy: 'chat.scxml' }, { name: 'email', strategy: 'email.scxml' }],
    ...(leaseExpiry ? { leaseExpiry } : {}),
  });
  cleanup.push(() => s.sim.close());
  const cluster = await startCluster(s.url, NODES, {
    script: workFor(20),
    maxPerPull: 8,
    perNode: (nodeId) => ({ maxSessions: nodeId === 'node-0' ? 10 : 20 }),
  });
  cleanup.push(() => cluster.stop());
  return { ...s, cluster };
}

/** Sessions that were started for an interaction (a recovered session is the same one, continued). */
function sessionsPerInteraction(cluster: TestCluster): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of cluster.processes) {
    for (const s of p.port.all) {
      if (!s.started || s.recovered) continue;
      const id = String(s.parameters['InteractionId']);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}

describe('multimedia interactions on a 2-node cluster', () => {
  it('processes 1,000 interactions exactly once, spread by pull in proportion to capacity; backups never pull', async () => {
    const { api, sim, cluster } = await setup();
    await api('POST', '/interactions', { queue: 'chat', count: 500 });
    await api('POST', '/interactions', { queue: 'email', count: 500 });
    await waitFor(() => sim.report().interactions.completed === 1000, 60_000, '1,000 completions');
    const report = sim.report().interactions;
    expect(report).toMatchObject({ enqueued: 1000, pulled: 1000, completed: 1000, returned: 0, waiting: 0, inProgress: 0, pullsRefusedFromBackups: 0 });
    const counts = sessionsPerInteraction(cluster);
    expect(counts.size).toBe(1000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // node-1 has twice node-0's capacity.
    const ratio = report.byNode['node-1']!.completed / report.byNode['node-0']!.completed;
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(2.6);
    // From the simulator's pull log: only primaries pulled, and no interaction twice.
    const { body: log } = (await api('GET', '/pull-log')) as { body: PullLogEntry[] };
    expect(new Set(log.map((e) => e.processId))).toEqual(new Set(['node-0-primary', 'node-1-primary']));
    expect(log.every((e) => e.role === 'primary' && !e.refused)).toBe(true);
    const pulledIds = log.flatMap((e) => e.interactionIds);
    expect(pulledIds).toHaveLength(1000);
    expect(new Set(pulledIds).size).toBe(1000);
    for (const node of NODES) expect(cluster.backup(node).port.all).toHaveLength(0);
  }, 90_000);

  it('killing a primary mid-processing: its sessions continue on its backup, nothing is processed twice', async () => {
    // Lease expiry on: interactions the dying primary had pulled but not yet started a
    // session for go back to the queue (once), instead of being held forever.
    const { api, sim, cluster } = await setup({ enabled: true, leaseMs: 1000 });
    await api('POST', '/interactions', { queue: 'chat', count: 1000 });
    await waitFor(() => sim.report().interactions.completed >= 200, 30_000, '200 completions');
    const primary = cluster.primary('node-0'), backup = cluster.backup('node-0');
    await waitFor(() => primary.port.sessions.size >= 5, 10_000, 'node-0 to be mid-processing');
    const persisted = [...primary.port.sessions.values()];
    expect(persisted.length).toBeGreaterThan(0);
    await primary.kill();
    // HA recovery on the backup: the persisted sessions exist again there, with their interactions.
    for (const s of persisted) {
      const recovered = backup.port.adoptRecovered(s);
      backup.puller.bindRecoveredSession(String(s.parameters['InteractionId']), s.id);
      setTimeout(() => recovered.end(), 20);
    }
    backup.role.set('primary');
    await waitFor(() => sim.report().interactions.completed === 1000, 60_000, '1,000 completions');
    const report = sim.report().interactions;
    expect(report).toMatchObject({ enqueued: 1000, completed: 1000, waiting: 0, inProgress: 0 });
    const counts = sessionsPerInteraction(cluster);
    expect(counts.size).toBe(1000);
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    // The recovered sessions completed on node-0, from its new primary.
    expect(backup.puller.counters.completed).toBeGreaterThanOrEqual(persisted.length);
    const { body: log } = (await api('GET', '/pull-log')) as { body: PullLogEntry[] };
    // Each pull came from a process that was primary at the time: the backup pulled only after promotion.
    expect(log.every((e) => e.role === 'primary' && !e.refused)).toBe(true);
    const firstBackupPull = log.findIndex((e) => e.processId === 'node-0-backup');
    expect(firstBackupPull).toBeGreaterThan(log.findIndex((e) => e.processId === 'node-0-primary'));
  }, 90_000);

  it('completions lost while the connection is down are sent again until the simulator acknowledges them (idempotent there)', async () => {
    const s = await startSim({ queues: [{ name: 'chat', strategy: 'chat.scxml' }] });
    cleanup.push(() => s.sim.close());
    // Sessions that end only when the test says so.
    const primary = await startProcess({ url: s.url, nodeId: 'node-0', processId: 'node-0-primary', role: 'primary', clusterNodeIds: ['node-0'], script: () => () => undefined });
    const backup = await startProcess({ url: s.url, nodeId: 'node-0', processId: 'node-0-backup', role: 'backup', clusterNodeIds: ['node-0'], script: () => () => undefined });
    cleanup.push(async () => {
      await primary.kill();
      await backup.kill();
    });
    await s.api('POST', '/interactions', { queue: 'chat', count: 20 });
    await waitFor(() => primary.port.sessions.size === 20, 10_000, '20 sessions');
    const sessions = [...primary.port.sessions.values()];
    // Half of them as if a first completion had arrived but its answer was lost on the way back.
    for (const session of sessions.slice(0, 10)) {
      await backup.connection.request({ type: 'interaction.complete', interactionId: String(session.parameters['InteractionId']) });
    }
    expect(s.sim.report().interactions.completed).toBe(10);

    expect((await s.api('POST', '/connections/node-0-primary/drop')).body).toEqual({ dropped: 1 });
    expect((await s.api('POST', '/connections/nobody/drop')).status).toBe(404);
    while (primary.connection.isReady) await new Promise((r) => setImmediate(r));
    for (const session of sessions) session.end();
    await new Promise((r) => setImmediate(r));
    // Every session ended while the connection was down: nothing acknowledged yet.
    expect(primary.puller.pendingCompletions()).toBe(20);

    await waitFor(() => primary.puller.pendingCompletions() === 0, 15_000, 'every completion to be acknowledged');
    expect(primary.connection.connections).toBeGreaterThanOrEqual(2);
    const report = s.sim.report().interactions;
    expect(report).toMatchObject({ enqueued: 20, pulled: 20, completed: 20, completionsRepeated: 10, completionsRefused: 0, inProgress: 0, waiting: 0 });
    expect(primary.puller.counters).toMatchObject({ completed: 20, completionsRepeated: 10, completionsRefused: 0 });
  }, 60_000);

  it('a promoted backup pulls nothing until HA reports its recovery, then takes over what its node holds: recovered sessions bound, the rest started over', async () => {
    const s = await startSim({ queues: [{ name: 'chat', strategy: 'chat.scxml' }] });
    cleanup.push(() => s.sim.close());
    const base = { url: s.url, nodeId: 'node-0', clusterNodeIds: ['node-0'], awaitRecovery: true };
    const primary = await startProcess({ ...base, processId: 'node-0-primary', role: 'primary', script: () => () => undefined });
    const backup = await startProcess({ ...base, processId: 'node-0-backup', role: 'backup', script: workFor(20) });
    cleanup.push(async () => {
      await primary.kill();
      await backup.kill();
    });
    // A primary started with awaitRecovery waits for its own (initial) recovery report too.
    await s.api('POST', '/interactions', { queue: 'chat', count: 10 });
    await new Promise((r) => setTimeout(r, 300));
    expect(primary.port.sessions.size).toBe(0);
    primary.puller.adoptRecoveredSessions([]);
    await waitFor(() => primary.port.sessions.size === 10, 10_000, '10 sessions on the primary');
    const sessions = [...primary.port.sessions.values()];
    await primary.kill();

    // What HA brought back on the backup: 6 persisted sessions still working, 1 that ran to its end at once.
    const working = sessions.slice(0, 6).map((x) => backup.port.adoptRecovered(x));
    const ended = backup.port.adoptRecovered(sessions[6]!);
    ended.end();
    await s.api('POST', '/interactions', { queue: 'chat', count: 5 });
    backup.role.set('primary');
    await new Promise((r) => setTimeout(r, 300));
    expect((await s.api('GET', '/pull-log')).body.filter((e: PullLogEntry) => e.processId === 'node-0-backup')).toEqual([]);

    backup.puller.adoptRecoveredSessions([
      ...[...working, ended].map((x) => ({ sessionId: x.id, interactionId: String(x.parameters['InteractionId']) })),
      { sessionId: 'voice-session', interactionId: 'call-1' }, // a voice session: not an interaction of the node
    ]);
    for (const w of working) setTimeout(() => w.end(), 50);
    await waitFor(() => s.sim.report().interactions.completed === 15, 10_000, '15 completions');
    expect(backup.puller.counters).toMatchObject({ recovered: 7, restarted: 3, completionsRefused: 0 });
    // The three with no session left started over in new sessions on the same node; nothing was pulled twice.
    const restartedIds = backup.port.all.filter((x) => !x.recovered && sessions.slice(7).some((o) => o.parameters['InteractionId'] === x.parameters['InteractionId']));
    expect(restartedIds).toHaveLength(3);
    const { body: log } = (await s.api('GET', '/pull-log')) as { body: PullLogEntry[] };
    const pulled = log.flatMap((e) => e.interactionIds);
    expect(pulled).toHaveLength(15);
    expect(new Set(pulled).size).toBe(15);
    expect(s.sim.report().interactions).toMatchObject({ enqueued: 15, pulled: 15, completed: 15, inProgress: 0, waiting: 0, byNode: { 'node-0': { completed: 15 } } });
  }, 60_000);
});

// Multimedia interactions pulled and processed by real `ors runtime` primaries (N nodes
// x primary + backup, strategy examples/strategies/chat-work.scxml with no work time):
// interactions processed (pulled, session run to its end, completion acknowledged) per
// second per node. Baselines, same run: one bare protocol client pulling 8 at a time and
// completing each at once (what the simulator and the protocol cost with no ORS logic),
// and the same cluster with one node (does a second node keep its per-node rate?).
import type { BenchFigure, BenchSuite } from './figure.ts';
import type { TelephonySimulator } from '../runtime/sim/telephony-simulator.ts';
import { startBareClient, startBenchSim, startRuntimeCluster, waitUntil } from './support/telephony-cluster.ts';

const config = { queues: [{ name: 'chat', strategy: 'chat-work.scxml' }] };
const WARM_UP = 500;
const MEASURED = 10_000;

interface Drain {
  /** Interactions per second, whole cluster. */
  rate: number;
  /** Completed per node during the measured drain. */
  byNode: Record<string, number>;
}

async function drain(sim: TelephonySimulator, count: number): Promise<Drain> {
  const before = sim.report().interactions;
  const t0 = performance.now();
  sim.enqueueInteractions('chat', count, { workMs: 0 });
  await waitUntil(() => sim.report().interactions.completed >= before.completed + count, 180_000, () => JSON.stringify(sim.report().interactions));
  const seconds = (performance.now() - t0) / 1000;
  const after = sim.report().interactions;
  const byNode: Record<string, number> = {};
  for (const [node, counts] of Object.entries(after.byNode)) byNode[node] = counts.completed - (before.byNode[node]?.completed ?? 0);
  return { rate: count / seconds, byNode };
}

/** A cluster of `nodes` nodes (primary + backup each) draining the queue: per-node rate. */
async function clusterRun(nodes: string[]): Promise<Drain & { backupPulls: number }> {
  const { sim, url } = await startBenchSim(config);
  const cluster = await startRuntimeCluster(url, nodes, ['--multimedia-pull-interval', '20', '--max-sessions', '64']);
  try {
    await waitUntil(() => sim.connectedProcesses().length === nodes.length * 2, 30_000, () => JSON.stringify(sim.connectedProcesses()));
    await drain(sim, WARM_UP);
    const measured = await drain(sim, MEASURED);
    return { ...measured, backupPulls: sim.pullLog.filter((e) => e.role !== 'primary').length };
  } finally {
    await cluster.stop();
    await sim.close();
  }
}

const suite: BenchSuite = {
  title: 'Multimedia interactions: pulled by a 2-node runtime cluster',
  async run(): Promise<BenchFigure[]> {
    const bare = await startBenchSim(config);
    const client = await startBareClient(bare.url, { route: false, pull: true, maxPerPull: 8 });
    let bareRate: number;
    try {
      await drain(bare.sim, WARM_UP);
      bareRate = (await drain(bare.sim, MEASURED)).rate;
    } finally {
      client.close();
      await bare.sim.close();
    }

    const one = await clusterRun(['node-0']);
    const two = await clusterRun(['node-0', 'node-1']);
    const perNode = two.rate / 2;
    const split = JSON.stringify(two.byNode);
    return [
      {
        name: `interactions processed/s per node, 2 nodes (${MEASURED.toLocaleString('en-US')} queued; completed by node ${split}; pulls by backups: ${two.backupPulls})`,
        value: perNode,
        unit: 'interactions/s',
        better: 'higher',
        baseline: { name: 'bare protocol client, whole simulator', value: bareRate },
      },
      {
        name: 'interactions processed/s per node, 2 nodes, against 1 node (same machine: both share its 2 cores)',
        value: perNode,
        unit: 'interactions/s',
        better: 'higher',
        baseline: { name: `1-node cluster (pulls by backups: ${one.backupPulls})`, value: one.rate },
      },
    ];
  },
};
export default suite;

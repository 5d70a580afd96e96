// Multimedia interactions pulled and processed by real `ors runtime` primaries (2 nodes
// x primary + backup, strategy examples/strategies/chat-work.scxml with no work time):
// interactions processed per second per node. Baseline, same run: one bare protocol
// client pulling 8 at a time and completing each at once.
import type { BenchFigure, BenchSuite } from './figure.ts';
import type { TelephonySimulator } from '../runtime/sim/telephony-simulator.ts';
import { startBareClient, startBenchSim, startRuntimeCluster, waitUntil } from './support/telephony-cluster.ts';

const NODES = ['node-0', 'node-1'];
const config = { queues: [{ name: 'chat', strategy: 'chat-work.scxml' }] };

async function drain(sim: TelephonySimulator, count: number): Promise<number> {
  const before = sim.report().interactions.completed;
  const t0 = performance.now();
  sim.enqueueInteractions('chat', count, { workMs: 0 });
  await waitUntil(() => sim.report().interactions.completed >= before + count, 120_000);
  return count / ((performance.now() - t0) / 1000);
}

const suite: BenchSuite = {
  title: 'Multimedia interactions: pulled by a 2-node runtime cluster',
  async run(): Promise<BenchFigure[]> {
    const bare = await startBenchSim(config);
    const client = await startBareClient(bare.url, { route: false, pull: true, maxPerPull: 8 });
    await drain(bare.sim, 200);
    const bareRate = await drain(bare.sim, 3000);
    client.close();
    await bare.sim.close();

    const { sim, url } = await startBenchSim(config);
    const cluster = await startRuntimeCluster(url, NODES, ['--multimedia-pull-interval', '20', '--max-sessions', '64']);
    try {
      await waitUntil(() => sim.connectedProcesses().length === NODES.length * 2, 30_000);
      await drain(sim, 200);
      const rate = await drain(sim, 3000);
      const byNode = sim.report().interactions.byNode;
      const backupsPulled = sim.pullLog.filter((e) => e.role !== 'primary').length;
      return [
        {
          name: `interactions processed/s per node (2 nodes, 3,000 queued; completed by node ${JSON.stringify(Object.fromEntries(Object.entries(byNode).map(([k, v]) => [k, v.completed])))}; pulls by backups: ${backupsPulled})`,
          value: rate / NODES.length,
          unit: 'interactions/s',
          better: 'higher',
          baseline: { name: 'bare protocol client, whole simulator', value: bareRate },
        },
      ];
    } finally {
      await cluster.stop();
      await sim.close();
    }
  },
};
export default suite;

// Voice calls through real `ors runtime` processes (3 nodes x primary + backup, SCXML
// strategy examples/strategies/voice-route.scxml) driven by the `ors sim` load
// generator: calls routed per second per node at saturation, and time to route (ringing
// to routed) p50/p99 at a steady 100 calls/s. Baseline, same run: one bare protocol
// client that claims and routes each call at once (the simulator and protocol's own cost).
import type { BenchFigure, BenchSuite } from './figure.ts';
import { startLoad } from '../runtime/sim/load-generator.ts';
import type { TelephonySimulator } from '../runtime/sim/telephony-simulator.ts';
import { startBareClient, startBenchSim, startRuntimeCluster, waitUntil } from './support/telephony-cluster.ts';

const NODES = ['node-0', 'node-1', 'node-2'];
const config = { routingPoints: [{ dn: '5000', strategy: 'voice-route.scxml' }] };

async function saturate(sim: TelephonySimulator, calls: number): Promise<number> {
  const t0 = performance.now();
  const run = startLoad(sim, { ratePerSecond: 5000, calls, meanPatienceMs: 1e9, meanTalkMs: 1, seed: 11 }, ['5000']);
  const before = sim.report().calls.routed;
  await waitUntil(() => sim.report().calls.routed >= before + calls, 120_000, () => JSON.stringify(sim.report().calls));
  const seconds = (performance.now() - t0) / 1000;
  await run.done;
  return calls / seconds;
}

async function steady(sim: TelephonySimulator, calls: number): Promise<{ p50: number; p99: number }> {
  const before = sim.stats.timesToRoute.length;
  const run = startLoad(sim, { ratePerSecond: 100, calls, meanPatienceMs: 1e9, meanTalkMs: 1, seed: 12 }, ['5000']);
  await run.done;
  const sorted = sim.stats.timesToRoute.slice(before).sort((a, b) => a - b);
  return { p50: sorted[Math.ceil(sorted.length * 0.5) - 1]!, p99: sorted[Math.ceil(sorted.length * 0.99) - 1]! };
}

const suite: BenchSuite = {
  title: 'Voice calls: ors sim load through a 3-node runtime cluster',
  async run(): Promise<BenchFigure[]> {
    // Baseline: a bare client.
    const bare = await startBenchSim(config);
    const client = await startBareClient(bare.url, { route: true, pull: false, maxPerPull: 8 });
    await saturate(bare.sim, 300); // warm-up
    const bareRate = await saturate(bare.sim, 3000);
    const bareLatency = await steady(bare.sim, 500);
    client.close();
    await bare.sim.close();

    const { sim, url } = await startBenchSim(config);
    const cluster = await startRuntimeCluster(url, NODES);
    try {
      await waitUntil(() => sim.connectedProcesses().length === NODES.length * 2, 30_000);
      await saturate(sim, 300); // warm-up: strategy compiled, JIT warm
      const rate = await saturate(sim, 3000);
      const latency = await steady(sim, 500);
      const spread = sim.report().calls.sessionsAttachedByNode;
      const perNode = rate / NODES.length;
      return [
        { name: `calls routed/s per node (3 nodes, 3,000 calls offered at once; spread ${JSON.stringify(spread)})`, value: perNode, unit: 'calls/s', better: 'higher', baseline: { name: 'bare protocol client, whole simulator', value: bareRate } },
        { name: 'calls routed/s, whole cluster', value: rate, unit: 'calls/s', better: 'higher', baseline: { name: 'bare protocol client', value: bareRate } },
        { name: 'time to route p50 at 100 calls/s (ringing -> routed)', value: latency.p50, unit: 'ms', better: 'lower', baseline: { name: 'bare protocol client', value: bareLatency.p50 } },
        { name: 'time to route p99 at 100 calls/s', value: latency.p99, unit: 'ms', better: 'lower', baseline: { name: 'bare protocol client', value: bareLatency.p99 } },
      ];
    } finally {
      await cluster.stop();
      await sim.close();
    }
  },
};
export default suite;

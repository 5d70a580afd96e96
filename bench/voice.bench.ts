// Voice calls through real `ors runtime` processes (3 nodes x primary + backup, SCXML
// strategy examples/strategies/voice-route.scxml) driven by the `ors sim` load
// generator: calls routed per second per node at saturation, and time to route (ringing
// to routed) p50/p99 at a steady 100 calls/s. Baseline, same run: one bare protocol
// client that claims and routes each call at once (the simulator and protocol's own cost).
//
// A run never waits on a lost call: when no call has been routed for STALL_MS, the calls
// still ringing are released and counted as unrouted (the figure's name says how many).
import type { BenchFigure, BenchSuite } from './figure.ts';
import { startLoad } from '../runtime/sim/load-generator.ts';
import { percentile } from '../runtime/sim/latency-summary.ts';
import type { TelephonySimulator } from '../runtime/sim/telephony-simulator.ts';
import { startBareClient, startBenchSim, startRuntimeCluster, waitUntil } from './support/telephony-cluster.ts';

const NODES = ['node-0', 'node-1', 'node-2'];
const config = { routingPoints: [{ dn: '5000', strategy: 'voice-route.scxml' }] };
const STALL_MS = 15_000;
/** Offered this fast, every call is ringing at once: the rate measured is the routing side's, not the offer rate. */
const SATURATION_RATE = 100_000;

interface Saturation {
  /** Calls routed per second, whole run (first offer to last routing). */
  rate: number;
  perNode: Record<string, number>;
  unrouted: number;
}

/** Offers `calls` calls at once and measures how fast they are routed. */
async function saturate(sim: TelephonySimulator, calls: number): Promise<Saturation> {
  const before = sim.report().calls;
  const routedBefore = { ...before.routedByNode };
  const t0 = performance.now();
  const run = startLoad(sim, { ratePerSecond: SATURATION_RATE, calls, meanPatienceMs: 1e9, meanTalkMs: 1, seed: 11 }, ['5000']);
  let routed = 0;
  let lastProgress = t0;
  let lastRoutedAt = t0;
  while (routed < calls && performance.now() - lastProgress < STALL_MS) {
    await new Promise((r) => setTimeout(r, 10));
    const now = sim.report().calls.routed - before.routed;
    if (now > routed) {
      routed = now;
      lastProgress = lastRoutedAt = performance.now();
    }
  }
  const unrouted = calls - routed;
  if (unrouted > 0) for (const id of run.callIds()) if (sim.callInfo(id)?.state === 'ringing') sim.releaseCall(id);
  run.stop();
  await waitUntil(() => run.callIds().every((id) => sim.callInfo(id)?.state === 'released'), 30_000, () => JSON.stringify(sim.report().calls));
  const seconds = (lastRoutedAt - t0) / 1000;
  const after = sim.report().calls.routedByNode;
  const perNode = Object.fromEntries(Object.entries(after).map(([node, n]) => [node, (n - (routedBefore[node] ?? 0)) / seconds]));
  return { rate: routed / seconds, perNode, unrouted };
}

/** Time to route (ringing -> routed) of `calls` calls offered at a steady 100 calls/s. */
async function steady(sim: TelephonySimulator, calls: number): Promise<{ p50: number; p99: number }> {
  const before = sim.stats.timesToRoute.length;
  const run = startLoad(sim, { ratePerSecond: 100, calls, meanPatienceMs: 1e9, meanTalkMs: 1, seed: 12 }, ['5000']);
  await Promise.race([run.done, new Promise((r) => setTimeout(r, calls * 10 + 2 * STALL_MS))]);
  for (const id of run.callIds()) if (sim.callInfo(id)?.state === 'ringing') sim.releaseCall(id);
  run.stop();
  const sorted = sim.stats.timesToRoute.slice(before).sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  if (p50 === null || p99 === null) throw new Error('no call was routed at 100 calls/s');
  return { p50, p99 };
}

const unroutedNote = (s: Saturation) => (s.unrouted > 0 ? `; ${s.unrouted} unrouted, released after ${STALL_MS / 1000} s without progress` : '');

const suite: BenchSuite = {
  title: 'Voice calls: ors sim load through a 3-node runtime cluster',
  async run(): Promise<BenchFigure[]> {
    // Baseline: a bare client.
    const bare = await startBenchSim(config);
    const client = await startBareClient(bare.url, { route: true, pull: false, maxPerPull: 8 });
    await saturate(bare.sim, 300); // warm-up
    const bareRun = await saturate(bare.sim, 3000);
    const bareLatency = await steady(bare.sim, 500);
    client.close();
    await bare.sim.close();

    const { sim, url } = await startBenchSim(config);
    const cluster = await startRuntimeCluster(url, NODES);
    try {
      await waitUntil(() => sim.connectedProcesses().length === NODES.length * 2, 30_000);
      await saturate(sim, 300); // warm-up: strategy compiled, JIT warm
      const cluster3000 = await saturate(sim, 3000);
      const latency = await steady(sim, 500);
      const baseline = { name: `bare protocol client routing every call${unroutedNote(bareRun)}`, value: bareRun.rate };
      return [
        ...NODES.map((node): BenchFigure => ({
          name: `calls routed/s, ${node} (3,000 calls offered at once over 3 nodes${unroutedNote(cluster3000)})`,
          value: cluster3000.perNode[node] ?? 0,
          unit: 'calls/s',
          better: 'higher',
          baseline,
        })),
        { name: 'calls routed/s, whole cluster', value: cluster3000.rate, unit: 'calls/s', better: 'higher', baseline },
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

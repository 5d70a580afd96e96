// Chaos, bounded in time: ORS_CHAOS_SECONDS (60 by default, and at least one fault of each
// kind; `make chaos` runs longer), after ORS_CHAOS_BASELINE_SECONDS of the same load without faults.
// A two-node OrsCluster with Cassandra persistence, on a control plane and a Cassandra
// of its own (both get restarted), under session load through the Ingress stand-in and
// voice calls from `ors sim` (its telephony server, spec.telephony), while random faults
// hit it. The closing figures are printed and the zeros asserted.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { CassandraServer } from '../infra/cassandra.ts';
import { startControlPlane, type ControlPlane } from '../infra/control-plane.ts';
import { sharedPodNetwork } from '../infra/shared-control-plane.ts';
import { waitUntil } from '../infra/wait-until.ts';
import { chaosReport } from './chaos/chaos-report.ts';
import { placeCall } from '../../runtime/telephony/rendezvous.ts';
import { simAddresses, spawnOrs, type OrsProcess } from '../support/ors-processes.ts';
import { SteadyCallLoad, tallyCalls, type PrimaryFault } from './chaos/call-load.ts';
import { availableFaults, injectFault, type FaultKind, type FaultTargets } from './chaos/fault-injector.ts';
import { ServingPrimaryMonitor } from './chaos/serving-primary-monitor.ts';
import { ClusterObserver } from './cluster-observer.ts';
import { startE2eEnvironment, type E2eEnvironment } from './e2e-environment.ts';
import { OrsIngressClient } from './ors-ingress-client.ts';
import { LEASE_DURATION_SECONDS, orsClusterManifest } from './ors-cluster-manifest.ts';
import { RetryingLoad } from './retrying-load.ts';

const SECONDS = Number(process.env.ORS_CHAOS_SECONDS ?? 60);
const CLUSTER = 'chaos';
const NODES = 2;
/**
 * A client retries a request for up to 30 s. A kube-apiserver restart takes ~15 s here,
 * and while nobody can renew a Lease every primary fences itself (steps down after its
 * renew deadline), as Lease-based election must: requests wait for the API server.
 */
const RETRIES = 15;
/** Voice load: calls per second, alternating between a persisted strategy (recovered from Cassandra) and one restarted on switchover. */
const CALLS_PER_SECOND = Number(process.env.ORS_CHAOS_CALLS_PER_SECOND ?? 4);
/**
 * Session load: concurrent client loops, each running sessions of `requestsPerSession`
 * requests with `thinkMs` between them (`make chaos` sets a contact center's load; the
 * short run in `make test` a light one).
 */
const LOAD = {
  sessions: Number(process.env.ORS_CHAOS_SESSIONS ?? 6),
  requestsPerSession: Number(process.env.ORS_CHAOS_REQUESTS_PER_SESSION ?? 40),
  thinkMs: Number(process.env.ORS_CHAOS_THINK_MS ?? 50),
};
/** The same load without faults, measured first in the same run. */
const BASELINE_SECONDS = Number(process.env.ORS_CHAOS_BASELINE_SECONDS ?? 15);
const ROUTING_POINTS = { '5000': 'voice-treat-route-persisted.scxml', '5001': 'voice-treat-route.scxml' };
/** A caller waits this long before hanging up: far beyond any failover, so an abandoned call is a call the cluster failed to route. */
const CALL_PATIENCE_MS = 120_000;

let plane: ControlPlane;
let cassandra: CassandraServer;
let env: E2eEnvironment;
let endpoint: Awaited<ReturnType<CassandraServer['start']>>;
let sim: OrsProcess;
let simWs = '';
let simHttp = '';

async function simConnections(): Promise<{ nodeId: string; role: string }[]> {
  return (await (await fetch(`${simHttp}/connections`)).json()) as { nodeId: string; role: string }[];
}

beforeAll(async () => {
  // Everything in the run's pod network: the servers in its world, each on an address of its own.
  const network = sharedPodNetwork();
  cassandra = new CassandraServer({ placement: await network.placeInWorld() });
  const simPlace = await network.placeInWorld();
  sim = spawnOrs(
    ['sim', '--host', simPlace.address, '--port', '0', ...Object.entries(ROUTING_POINTS).flatMap(([dn, strategy]) => ['--routing-point', `${dn}=${strategy}`]), '--log-level', 'warn'],
    { placement: simPlace },
  );
  ({ telephonyUrl: simWs, controlUrl: simHttp } = await simAddresses(sim, 60_000));
  [plane, endpoint] = await Promise.all([startControlPlane({ controllerManager: true, network }), cassandra.start()]);
  env = await startE2eEnvironment('e2e-chaos', { kubeconfig: plane.adminKubeconfig, server: plane.server, caFile: plane.caFile });
}, 600_000);

afterAll(async () => {
  await env?.stop();
  await plane?.stop();
  await cassandra?.stop();
  await sim?.stop('SIGKILL');
});

it(`keeps every session, routes every call and answers every request through ${SECONDS} s of faults`, { timeout: (SECONDS + 900) * 1000 }, async () => {
  const journal: string[] = [];
  const observer = new ClusterObserver(env.client, env.namespace, CLUSTER);
  onTestFailed(async () => {
    const views = await observer.nodes(NODES).catch((e: Error) => e.message);
    console.error(`${env.report()}\n${plane.logReport(20)}\n----- nodes now: ${JSON.stringify(views)}\n----- fault journal:\n${journal.join('\n')}`);
  });
  const host = `ors.${env.namespace}.test`;
  await env.apply(orsClusterManifest({
    name: CLUSTER,
    namespace: env.namespace,
    nodes: NODES,
    image: 'ors:chaos',
    httpPort: env.ports.http,
    syncPort: env.ports.sync,
    host,
    cassandra: { host: endpoint.host, port: endpoint.port, localDataCenter: endpoint.localDataCenter, keyspace: `chaos_${randomBytes(4).toString('hex')}` },
    telephonyUrl: simWs,
    exampleStrategies: Object.values(ROUTING_POINTS),
    options: { restartSessionOnSwitchover: true },
  }));
  await waitUntil(() => observer.allNodesServing(NODES), { what: 'every node serving', timeoutMs: 120_000, intervalMs: 500 });
  await waitUntil(async () => {
    const connected = await simConnections();
    return connected.length === 2 * NODES && connected.filter((c) => c.role === 'primary').length === NODES ? true : undefined;
  }, { what: `every runtime process connected to ors sim (${NODES} primaries)`, timeoutMs: 60_000, intervalMs: 500 });

  const primaryFaults: PrimaryFault[] = [];
  const targets: FaultTargets = {
    processNode: env.processNode,
    observer,
    nodes: NODES,
    syncPort: env.ports.sync,
    leaseDurationMs: LEASE_DURATION_SECONDS * 1000,
    restartCassandra: async () => {
      await cassandra.stop();
      await sleep(2000);
      await cassandra.start();
    },
    restartApiServer: () => plane.restartApiServer(),
    partitions: {
      apiServer: { address: new URL(plane.server).hostname, port: Number(new URL(plane.server).port) },
      kubelet: env.network.description.hostAddress,
    },
    log: (m) => journal.push(`${new Date().toISOString()} ${m}`),
  };
  const kinds = availableFaults(targets);
  const faults: Record<string, number> = {};
  const nodeIds = Array.from({ length: NODES }, (_, i) => `node-${i}`);

  /** The same load (sessions, requests, calls) and the serving-primary monitor while `body` runs. */
  async function phase(title: string, body: () => Promise<void>) {
    const monitor = new ServingPrimaryMonitor(env.processNode, CLUSTER, env.ports.http);
    const agent = new http.Agent({ keepAlive: true, maxSockets: LOAD.sessions });
    const load = new RetryingLoad(new OrsIngressClient(env.ingress.url, host, { agent, token: () => env.apiToken(CLUSTER) }), { ...LOAD, retries: RETRIES, retryDelayMs: 2000 });
    const calls = new SteadyCallLoad({
      simUrl: simHttp,
      ratePerSecond: CALLS_PER_SECOND,
      routingPoints: Object.keys(ROUTING_POINTS),
      patienceMs: CALL_PATIENCE_MS,
      talkMs: 500,
      // A greeting long enough that a fault often lands while calls are in treatment.
      attachedData: { greetingMs: 1500 },
    });
    const startedAt = Date.now();
    load.start();
    calls.start();
    await body();
    const offeringEndedAt = Date.now();
    const [loadFigures, callHistories] = await Promise.all([load.stop(), calls.stop(CALL_PATIENCE_MS + 10_000)]);
    await monitor.stop();
    agent.destroy();
    const seconds = (offeringEndedAt - startedAt) / 1000;
    const callFigures = tallyCalls(callHistories, primaryFaults, (c) => placeCall(c.callId, nodeIds).assigned);
    const phaseFaults = title === 'chaos' ? faults : {};
    const report = chaosReport({ title, seconds, load: loadFigures, calls: callFigures, faults: phaseFaults, doublePrimaries: monitor.doublePrimaries, staleEpochServing: monitor.staleEpochServing, monitorRounds: monitor.rounds });
    return { loadFigures, callFigures, monitor, report };
  }

  // The same load without faults first, in the same run: what the faults cost.
  const baseline = await phase('without faults', () => sleep(BASELINE_SECONDS * 1000));
  const chaos = await phase('chaos', async () => {
    const startedAt = Date.now();
    let next = 0;
    // Every kind once (however short the run), then at random until the time is up.
    while (Date.now() - startedAt < SECONDS * 1000 || next < kinds.length) {
      const kind: FaultKind = next < kinds.length ? kinds[next++] : kinds[Math.floor(Math.random() * kinds.length)];
      const at = Date.now();
      for (const node of await injectFault(kind, targets)) primaryFaults.push({ node, at });
      faults[kind] = (faults[kind] ?? 0) + 1;
      await waitUntil(() => observer.allNodesServing(NODES), { what: `every node serving again after ${kind}`, timeoutMs: 60_000, intervalMs: 300 });
      await sleep(1000);
    }
  });
  console.log(`load: ${JSON.stringify({ ...LOAD, callsPerSecond: CALLS_PER_SECOND, nodes: NODES })}\n${baseline.report}\n${chaos.report}\n  fault journal:\n${journal.map((l) => `    ${l}`).join('\n')}`);

  expect(Object.values(faults).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(kinds.length);
  for (const { loadFigures, callFigures, monitor } of [baseline, chaos]) {
    expect(loadFigures.requests).toBeGreaterThan(0);
    expect(callFigures.offered).toBeGreaterThan(0);
    expect(loadFigures.lost, 'sessions lost').toBe(0);
    expect(callFigures.neverRouted, `calls never routed:\n${callFigures.failures.join('\n')}`).toBe(0);
    expect(monitor.doublePrimaries, 'two serving primaries of one node').toEqual([]);
    expect(loadFigures.failed, `requests without a correct answer:\n${loadFigures.failures.join('\n')}`).toBe(0);
  }
});

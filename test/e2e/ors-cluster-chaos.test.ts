// Chaos, bounded in time: ORS_CHAOS_SECONDS (60 by default; `make chaos` runs longer).
// A two-node OrsCluster with Cassandra persistence, on a control plane and a Cassandra
// of its own (both get restarted), under session load through the Ingress stand-in,
// while random faults hit it. The closing figures are printed and the zeros asserted.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { CassandraServer } from '../infra/cassandra.ts';
import { startControlPlane, type ControlPlane } from '../infra/control-plane.ts';
import { waitUntil } from '../infra/wait-until.ts';
import { chaosReport } from './chaos/chaos-report.ts';
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

let plane: ControlPlane;
let cassandra: CassandraServer;
let env: E2eEnvironment;
let endpoint: Awaited<ReturnType<CassandraServer['start']>>;

beforeAll(async () => {
  cassandra = new CassandraServer();
  [plane, endpoint] = await Promise.all([startControlPlane({ controllerManager: true }), cassandra.start()]);
  env = await startE2eEnvironment('e2e-chaos', { kubeconfig: plane.adminKubeconfig, server: plane.server, caFile: plane.caFile });
}, 600_000);

afterAll(async () => {
  await env?.stop();
  await plane?.stop();
  await cassandra?.stop();
});

it(`keeps every session and answers every request through ${SECONDS} s of faults`, async () => {
  onTestFailed(() => console.error(`${env.report()}\n${plane.logReport(20)}`));
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
  }));
  const observer = new ClusterObserver(env.client, env.namespace, CLUSTER);
  await waitUntil(() => observer.allNodesServing(NODES), { what: 'every node serving', timeoutMs: 120_000, intervalMs: 500 });

  const monitor = new ServingPrimaryMonitor(env.processNode, CLUSTER, env.ports.http);
  const load = new RetryingLoad(new OrsIngressClient(env.ingress.url, host), { sessions: 6, retries: RETRIES, retryDelayMs: 2000, thinkMs: 50 });
  const journal: string[] = [];
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
    log: (m) => journal.push(`${new Date().toISOString()} ${m}`),
  };
  const kinds = availableFaults(targets);
  const faults: Record<string, number> = {};
  const startedAt = Date.now();
  load.start();
  let next = 0;
  while (Date.now() - startedAt < SECONDS * 1000) {
    // Every kind once before any repeats, then at random.
    const kind: FaultKind = next < kinds.length ? kinds[next++] : kinds[Math.floor(Math.random() * kinds.length)];
    await injectFault(kind, targets);
    faults[kind] = (faults[kind] ?? 0) + 1;
    await waitUntil(() => observer.allNodesServing(NODES), { what: `every node serving again after ${kind}`, timeoutMs: 60_000, intervalMs: 300 });
    await sleep(1000);
  }
  const loadFigures = await load.stop();
  await monitor.stop();
  const seconds = (Date.now() - startedAt) / 1000;
  const report = chaosReport({ seconds, load: loadFigures, faults, doublePrimaries: monitor.doublePrimaries, staleEpochServing: monitor.staleEpochServing, monitorRounds: monitor.rounds });
  console.log(`${report}\n  fault journal:\n${journal.map((l) => `    ${l}`).join('\n')}`);

  expect(loadFigures.requests).toBeGreaterThan(0);
  expect(Object.values(faults).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(kinds.length);
  expect(loadFigures.lost, 'sessions lost').toBe(0);
  expect(monitor.doublePrimaries, 'two serving primaries of one node').toEqual([]);
  expect(loadFigures.failed, `requests without a correct answer:\n${loadFigures.failures.join('\n')}`).toBe(0);
});

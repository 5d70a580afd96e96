// The whole system as users deploy it: kubectl apply an OrsCluster; the operator
// reconciles it; the process node runs its pods as real `ors runtime` processes; roles
// come from the Leases; the Ingress stand-in follows the EndpointSlices.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { waitUntil } from '../infra/wait-until.ts';
import { ClusterObserver } from './cluster-observer.ts';
import { startE2eEnvironment, type E2eEnvironment } from './e2e-environment.ts';
import { OrsIngressClient } from './ors-ingress-client.ts';
import { COUNTER_STRATEGY, orsClusterManifest } from './ors-cluster-manifest.ts';

const CLUSTER = 'cc';
let env: E2eEnvironment;
let observer: ClusterObserver;
let client: OrsIngressClient;
let host: string;

function manifest(overrides: { nodes?: number; image?: string; annotations?: Record<string, string> } = {}) {
  return orsClusterManifest({
    name: CLUSTER,
    namespace: env.namespace,
    nodes: overrides.nodes ?? 3,
    image: overrides.image ?? 'ors:e2e-1',
    httpPort: env.ports.http,
    syncPort: env.ports.sync,
    host,
    ...(overrides.annotations ? { annotations: overrides.annotations } : {}),
  });
}

beforeAll(async () => {
  env = await startE2eEnvironment('e2e-life');
  observer = new ClusterObserver(env.client, env.namespace, CLUSTER);
  host = `ors.${env.namespace}.test`;
  client = new OrsIngressClient(env.ingress.url, host);
});

afterAll(async () => {
  await env?.stop();
});

describe('an OrsCluster applied with kubectl', () => {
  it('gets every node Ready with exactly one primary', async () => {
    onTestFailed(() => console.error(env.report()));
    const out = await env.apply(manifest());
    expect(out).toContain(`orscluster.ors.dev/${CLUSTER} created`);
    const views = await waitUntil(() => observer.allNodesServing(3), { what: 'three nodes, each with one Ready primary', timeoutMs: 120_000, intervalMs: 500 });
    for (const view of views) {
      expect(view.pods).toEqual([`${CLUSTER}-node-${view.node}-0`, `${CLUSTER}-node-${view.node}-1`]);
      expect(view.readyPods).toEqual([view.holder]);
    }
    // The cluster Service's endpoints are exactly the primaries.
    await waitUntil(async () => {
      const endpoints = await observer.readyEndpoints(CLUSTER);
      return JSON.stringify(endpoints) === JSON.stringify(views.map((v) => v.holder).sort()) ? true : undefined;
    }, { what: 'the cluster Service endpoints to be the three primaries', timeoutMs: 30_000 });
    const status = await waitUntil(async () => {
      const s = await observer.status();
      const ready = (s?.conditions as { type: string; status: string }[] | undefined)?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' ? s : undefined;
    }, { what: 'OrsCluster Ready', timeoutMs: 60_000 });
    expect(status).toBeDefined();
    const table = await env.kubectl(['get', 'orsc', CLUSTER]);
    expect(table).toContain(CLUSTER);
  });

  it('serves sessions through the Ingress, sticky on ORSSESSIONID, with 307s between nodes', async () => {
    onTestFailed(() => console.error(env.report()));
    const started = await waitUntil(async () => {
      const answer = await client.startSession(COUNTER_STRATEGY);
      return answer.status === 200 ? answer : undefined;
    }, { what: 'a session start through the Ingress', timeoutMs: 30_000 });
    const sessionId = String(started.body.sessionid);
    const owner = /node-\d+/.exec(sessionId)?.[0];
    expect(owner, `session id ${sessionId} names its node`).toBeDefined();
    for (let i = 0; i < 5; i++) {
      const sent = await client.sendEvent(sessionId, 'inc');
      expect(sent.status).toBe(200);
    }
    const answer = await client.ask(sessionId, 'get');
    expect(answer.status).toBe(200);
    expect(answer.body.count).toBe(5);
    // Sessions spread over nodes; a request sent to another node's host is redirected.
    const other = [0, 1, 2].map((n) => `node-${n}`).find((n) => n !== owner)!;
    const viaOther = new OrsIngressClient(env.ingress.url, `${other}.${host}`);
    const redirected = await viaOther.ask(sessionId, 'get');
    expect(redirected.status).toBe(200);
    expect(redirected.body.count).toBe(5);
    expect(redirected.redirects).toEqual([`http://${owner}.${host}/scxml/session/${sessionId}/request/get`]);
  });
});

// The whole system as users deploy it: kubectl apply an OrsCluster; the operator
// reconciles it; the process node runs its pods as real `ors runtime` processes; roles
// come from the Leases; the Ingress stand-in follows the EndpointSlices.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { sharedCassandra } from '../infra/shared-cassandra.ts';
import { waitUntil } from '../infra/wait-until.ts';
import { RetryingLoad } from './retrying-load.ts';
import { ClusterObserver } from './cluster-observer.ts';
import { startE2eEnvironment, type E2eEnvironment } from './e2e-environment.ts';
import { OrsIngressClient } from './ors-ingress-client.ts';
import { COUNTER_STRATEGY, orsClusterManifest } from './ors-cluster-manifest.ts';

const CLUSTER = 'cc';
let env: E2eEnvironment;
let observer: ClusterObserver;
let client: OrsIngressClient;
let host: string;
let cassandra: { host: string; port: number; localDataCenter: string; keyspace: string };

function manifest(overrides: { nodes?: number; image?: string; annotations?: Record<string, string> } = {}) {
  return orsClusterManifest({
    name: CLUSTER,
    namespace: env.namespace,
    nodes: overrides.nodes ?? 3,
    image: overrides.image ?? 'ors:e2e-1',
    httpPort: env.ports.http,
    syncPort: env.ports.sync,
    host,
    cassandra,
    ...(overrides.annotations ? { annotations: overrides.annotations } : {}),
  });
}

/** SwitchoverRequested events of the operator, per node. */
async function switchoverRequests(): Promise<Map<number, number>> {
  const events = await env.client.get<{ items: { reason?: string; message?: string; count?: number; series?: { count?: number } }[] }>(
    `/api/v1/namespaces/${env.namespace}/events?fieldSelector=${encodeURIComponent('reason=SwitchoverRequested')}`,
  );
  const perNode = new Map<number, number>();
  for (const event of events.items) {
    const node = Number(/^node (\d+):/.exec(event.message ?? '')?.[1]);
    if (Number.isInteger(node)) perNode.set(node, (perNode.get(node) ?? 0) + (event.series?.count ?? event.count ?? 1));
  }
  return perNode;
}

beforeAll(async () => {
  const [endpoint, started] = await Promise.all([sharedCassandra(inject('cassandraRunDir')), startE2eEnvironment('e2e-life')]);
  env = started;
  cassandra = { host: endpoint.host, port: endpoint.port, localDataCenter: endpoint.localDataCenter, keyspace: `e2e_${randomBytes(4).toString('hex')}` };
  observer = new ClusterObserver(env.client, env.namespace, CLUSTER);
  host = `ors.${env.namespace}.test`;
  client = new OrsIngressClient(env.ingress.url, host, { token: () => env.apiToken(CLUSTER) });
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
    // The API asks for a token by default (the operator's <cluster>-api-tokens Secret): without one, 401 as JSON.
    const anonymous = await new OrsIngressClient(env.ingress.url, host).startSession(COUNTER_STRATEGY);
    expect(anonymous.status, JSON.stringify(anonymous.body)).toBe(401);
    expect(anonymous.body.error).toEqual(expect.any(String));
    const owner = /node-\d+/.exec(sessionId)?.[0];
    expect(owner, `session id ${sessionId} names its node`).toBeDefined();
    for (let i = 0; i < 5; i++) {
      const sent = await client.sendEvent(sessionId, 'inc');
      expect(sent.status).toBe(200);
      // Sticky: the Ingress sends the session's requests straight to its node (no 307).
      expect(sent.redirects).toEqual([]);
    }
    const answer = await client.ask(sessionId, 'get');
    expect(answer.status).toBe(200);
    expect(answer.body.count).toBe(5);
    // Sessions spread over nodes; a request sent to another node's host is redirected.
    const other = [0, 1, 2].map((n) => `node-${n}`).find((n) => n !== owner)!;
    const viaOther = new OrsIngressClient(env.ingress.url, `${other}.${host}`, { token: () => env.apiToken(CLUSTER) });
    const redirected = await viaOther.ask(sessionId, 'get');
    expect(redirected.status).toBe(200);
    expect(redirected.body.count).toBe(5);
    expect(redirected.redirects).toEqual([`http://${owner}.${host}/scxml/session/${sessionId}/request/get`]);
  });

  it('recovers from kill -9 of a primary: its backup takes the Lease, readiness and endpoints follow, persisted sessions continue there', async () => {
    onTestFailed(() => console.error(env.report()));
    const started = await client.startSession(COUNTER_STRATEGY);
    expect(started.status).toBe(200);
    const sessionId = String(started.body.sessionid);
    const node = Number(/node-(\d+)/.exec(sessionId)![1]);
    for (let i = 0; i < 3; i++) expect((await client.sendEvent(sessionId, 'inc')).status).toBe(200);
    expect((await client.ask(sessionId, 'get')).body.count).toBe(3);
    await sleep(500); // the stable point's write reaches Cassandra
    const before = (await observer.nodes(3))[node];
    const backup = before.pods.find((p) => p !== before.holder)!;
    expect(backup, `node ${node} has a backup pod besides ${before.holder}`).toBeDefined();
    const victim = env.processNode.runner(before.holder!)!;
    const killedAt = Date.now();
    expect(victim.signal('SIGKILL')).toBe(true);
    // The kubelet restarts the killed container under the same pod name (the same Lease
    // identity), but that fresh process holds none of the node's state: the Lease must go
    // to the backup, in one transition, and the restarted pod becomes the backup.
    const after = await waitUntil(async () => {
      const view = (await observer.nodes(3))[node];
      return view.holder && view.transitions > before.transitions && view.readyPods.length === 1 && view.readyPods[0] === view.holder ? view : undefined;
    }, { what: `node ${node} to have a new primary epoch and exactly one Ready pod`, timeoutMs: 30_000, intervalMs: 200 });
    console.log(`kill -9 of ${before.holder}: ${after.holder} primary (epoch ${after.transitions}) and Ready ${Date.now() - killedAt} ms later`);
    expect(after.holder, 'the backup took the Lease').toBe(backup);
    expect(after.transitions, 'one Lease transition: straight to the backup').toBe(before.transitions + 1);
    await waitUntil(async () => ((await observer.readyEndpoints(`${CLUSTER}-node-${node}`)).join() === backup ? true : undefined), {
      what: `node ${node}'s Service endpoints to follow the new primary ${backup}`,
      timeoutMs: 30_000,
    });
    // The persisted session continues on the former backup with its data: asked on that
    // pod's own address, it answers itself (no 307 elsewhere).
    const onBackup = new OrsIngressClient(`http://${env.processNode.runner(backup)!.podIP}:${env.ports.http}`, host, { token: () => env.apiToken(CLUSTER) });
    const recovered = await waitUntil(async () => {
      const answer = await onBackup.ask(sessionId, 'get');
      return answer.status === 200 ? answer : undefined;
    }, { what: `session ${sessionId} to answer on ${backup} after the failover`, timeoutMs: 30_000, intervalMs: 300 });
    expect(recovered.redirects).toEqual([]);
    expect(recovered.body.count).toBe(3);
    expect((await client.sendEvent(sessionId, 'inc')).status).toBe(200);
    expect((await client.ask(sessionId, 'get')).body.count).toBe(4);
    expect(env.processNode.runner(before.holder!)?.restartCount).toBeGreaterThanOrEqual(1);
    await waitUntil(() => observer.allNodesServing(3), { what: 'every node serving again', timeoutMs: 30_000 });
    expect((await observer.nodes(3))[node].holder, 'the restarted pod stays the backup').toBe(backup);
  });

  it('rolls a new image tag out with one switchover per node and no request failing beyond its retries (5 x 2 s)', async () => {
    onTestFailed(() => console.error(env.report()));
    await waitUntil(() => observer.allNodesServing(3), { what: 'all nodes serving before the rollout', timeoutMs: 30_000 });
    const before = await observer.nodes(3);
    const requestedBefore = await switchoverRequests();
    const load = new RetryingLoad(client, { sessions: 4, retries: 5, retryDelayMs: 2000, thinkMs: 100 });
    load.start();
    await sleep(1000);
    await env.apply(manifest({ image: 'ors:e2e-2' }));
    await waitUntil(async () => {
      const pods = await observer.pods();
      const views = await observer.allNodesServing(3);
      return views && pods.length === 6 && pods.every((p) => p.spec?.containers[0].image === 'ors:e2e-2') ? true : undefined;
    }, { what: 'every pod on ors:e2e-2 and every node serving', timeoutMs: 240_000, intervalMs: 500 });
    await sleep(2000);
    const figures = await load.stop();
    const after = await observer.nodes(3);
    console.log(`rollout: ${JSON.stringify({ ...figures, failures: figures.failures.slice(0, 5) })}`);
    const requested = await switchoverRequests();
    console.log(`rollout: lease transitions per node ${after.map((v) => v.transitions - before[v.node].transitions).join(', ')}`);
    for (const view of after) {
      expect((requested.get(view.node) ?? 0) - (requestedBefore.get(view.node) ?? 0), `switchovers requested for node ${view.node}`).toBe(1);
      expect(view.holder).not.toBe(before[view.node].holder);
    }
    expect(figures.requests).toBeGreaterThan(0);
    expect(figures.failed, figures.failures.join('\n')).toBe(0);
    expect(figures.lost).toBe(0);
    expect(figures.rolledBack).toBe(0);
  });

  it('moves primaries off a cordoned Node', async () => {
    onTestFailed(() => console.error(env.report()));
    await waitUntil(() => observer.allNodesServing(3), { what: 'all nodes serving', timeoutMs: 60_000 });
    const pods = await observer.pods();
    const views = await observer.nodes(3);
    const primaryNodes = views.map((v) => pods.find((p) => p.metadata!.name === v.holder)!.spec!.nodeName!);
    const target = primaryNodes[0];
    await env.kubectl(['cordon', target]);
    try {
      await waitUntil(async () => {
        const current = await observer.allNodesServing(3);
        if (!current) return undefined;
        const now = await observer.pods();
        const onTarget = current.filter((v) => now.find((p) => p.metadata!.name === v.holder)?.spec?.nodeName === target);
        return onTarget.length === 0 ? true : undefined;
      }, { what: `no primary left on cordoned ${target}`, timeoutMs: 90_000, intervalMs: 500 });
    } finally {
      await env.kubectl(['uncordon', target]);
    }
  });

  it('switches a node over on the manual switchover annotation', async () => {
    onTestFailed(() => console.error(env.report()));
    await waitUntil(() => observer.allNodesServing(3), { what: 'all nodes serving', timeoutMs: 60_000 });
    const before = (await observer.nodes(3))[1];
    await env.kubectl(['annotate', '--overwrite', 'orsc', CLUSTER, 'ors.dev/switchover=1/e2e']);
    const after = await waitUntil(async () => {
      const view = (await observer.nodes(3))[1];
      return view.holder && view.holder !== before.holder && view.readyPods.join() === view.holder ? view : undefined;
    }, { what: 'node 1 switched over', timeoutMs: 60_000, intervalMs: 300 });
    expect(after.transitions).toBe(before.transitions + 1);
  });

  it('scales from 3 nodes to 2', async () => {
    onTestFailed(() => console.error(env.report()));
    await env.apply(manifest({ nodes: 2, image: 'ors:e2e-2' }));
    await waitUntil(async () => {
      const pods = await observer.pods();
      const statefulSet = await env.client.find(`/apis/apps/v1/namespaces/${env.namespace}/statefulsets/${CLUSTER}-node-2`);
      return !statefulSet && pods.every((p) => p.metadata?.labels?.['ors.dev/node'] !== '2') && (await observer.allNodesServing(2)) ? true : undefined;
    }, { what: 'node 2 removed and nodes 0 and 1 serving', timeoutMs: 120_000, intervalMs: 500 });
    expect(env.processNode.allRunners().filter((r) => r.name.startsWith(`${CLUSTER}-node-2-`))).toEqual([]);
    const answer = await waitUntil(async () => {
      const a = await client.startSession(COUNTER_STRATEGY);
      return a.status === 200 ? a : undefined;
    }, { what: 'a session start after the scale-down', timeoutMs: 30_000 });
    expect(String(answer.body.sessionid)).toMatch(/node-[01]/);
  });

  it('cleans everything up when the OrsCluster is deleted', async () => {
    onTestFailed(() => console.error(env.report()));
    await env.kubectl(['delete', 'orsc', CLUSTER, '--wait=true', '--timeout=120s']);
    await waitUntil(async () => {
      const selector = encodeURIComponent(`ors.dev/cluster=${CLUSTER}`);
      const kinds = ['/apis/apps/v1/namespaces/NS/statefulsets', '/api/v1/namespaces/NS/services', '/api/v1/namespaces/NS/pods', '/api/v1/namespaces/NS/configmaps', '/apis/policy/v1/namespaces/NS/poddisruptionbudgets', '/apis/networking.k8s.io/v1/namespaces/NS/ingresses'];
      for (const kind of kinds) {
        const list = await env.client.get<{ items: unknown[] }>(`${kind.replace('NS', env.namespace)}?labelSelector=${selector}`);
        if (list.items.length > 0) return undefined;
      }
      return env.processNode.allRunners().every((r) => r.pid === undefined) ? true : undefined;
    }, { what: 'every object of the cluster gone and every pod process stopped', timeoutMs: 120_000, intervalMs: 500 });
  });
});

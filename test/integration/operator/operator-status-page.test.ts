// The operator's live status page (/status, /status.json on its health port) against the
// real control plane, with the operator's real permissions (the chart's ClusterRole): the
// leader's page from its informer caches, a standby's from listings; a manual switchover
// shows on it as the new primary, on the timeline, with the events that explain it, also
// as real headless Chromium renders the page (screenshots kept in the test's temp dir).
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../../../operator/controller/kube-client.ts';
import { StatusPageSchema, type StatusPage } from '../../../operator/status-page/page-model.ts';
import path from 'node:path';
import { screenshotDir, startChromium, type Chromium } from '../../infra/chromium.ts';
import { serviceAccountIdentity } from '../../infra/service-account-token.ts';
import { createTestNamespace } from '../../infra/test-namespace.ts';
import { adminClient, createOrsCluster, installCrd, operatorKubeconfig, orsClusterPath, startOperator, waitFor, type OperatorProcess } from './operator-harness.ts';
import { PodPlayer } from './pod-player.ts';

const NAME = 'paged';
let admin: KubeClient;
let namespace: string;
let removeNamespace: () => Promise<void>;
const operators: OperatorProcess[] = [];
let player: PodPlayer | undefined;
let chromium: Chromium | undefined;
let adminConfig: KubeConfig;
let operatorConfig = '';

beforeAll(async () => {
  const plane = inject('controlPlane');
  admin = adminClient(plane.kubeconfig);
  await installCrd(admin);
  const config = new KubeConfig();
  config.loadFromFile(plane.kubeconfig);
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(config, 'ors-page'));
  adminConfig = config;
  const kubeconfig = await operatorKubeconfig(admin, plane, namespace);
  operatorConfig = kubeconfig;
  operators.push(await startOperator({ kubeconfig, namespace, identity: 'page-leader' }));
  await waitFor('page-leader leading', async () => ((await operators[0]!.health()).body.leader === true ? true : undefined), 30_000);
  operators.push(await startOperator({ kubeconfig, namespace, identity: 'page-standby' }));
});

afterEach(({ task }) => {
  if (task.result?.state === 'fail') console.error(`pod player journal:\n${player?.journal.slice(-40).join('\n')}`);
});

afterAll(async () => {
  await chromium?.stop();
  await player?.stop();
  await Promise.all(operators.map((o) => o.stop()));
  await removeNamespace?.();
});

async function page(operator: OperatorProcess): Promise<StatusPage> {
  const response = await fetch(`http://127.0.0.1:${operator.port}/status.json`);
  const body: unknown = await response.json();
  if (response.status !== 200) throw new Error(`status.json: ${response.status} ${JSON.stringify(body)}`);
  return StatusPageSchema.parse(body);
}

describe('operator status page on a real control plane', () => {
  it('serves the HTML page beside /metrics', async () => {
    const response = await fetch(`http://127.0.0.1:${operators[0]!.port}/status`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>ORS status</title>');
  });

  it('shows the cluster\'s nodes, primary and backup pods and readiness, on the leader and on a standby', async () => {
    await createOrsCluster(admin, namespace, NAME, { nodes: 1, image: 'ghcr.io/ors/runtime:1' });
    await waitFor('2 runtime pods', async () => ((await admin.get<{ items: V1Pod[] }>(`/api/v1/namespaces/${namespace}/pods`)).items.length === 2 ? true : undefined), 30_000);
    player = new PodPlayer(admin, namespace, NAME, () => 1);
    await player.bootstrap();
    player.start();
    for (const operator of operators) {
      const seen = await waitFor(`${operator.identity}'s page with a ready, synced node 0`, async () => {
        const p = await page(operator);
        const node = p.clusters.find((c) => c.name === NAME)?.nodes[0];
        return node?.ready && node.synced ? p : undefined;
      }, 30_000);
      const cluster = seen.clusters.find((c) => c.name === NAME)!;
      expect(cluster).toMatchObject({ namespace, desiredNodes: 1, readyNodes: 1 });
      expect(cluster.nodes[0]).toMatchObject({ id: 0, primary: `${NAME}-node-0-0`, backup: `${NAME}-node-0-1`, ready: true, synced: true, syncLagSeconds: 0 });
      expect(cluster.nodes[0]!.pods.map((p) => [p.name, p.role, p.ready])).toEqual([[`${NAME}-node-0-0`, 'primary', true], [`${NAME}-node-0-1`, 'backup', false]]);
    }
  });

  it('a switchover shows as the new primary, on the timeline, with the events that explain it', async () => {
    await admin.mergePatch(orsClusterPath(namespace, NAME), { metadata: { annotations: { 'ors.dev/switchover': '0' } } }, 'test');
    let last: unknown;
    const seen = await waitFor('the switchover on the leader\'s page', async () => {
      const cluster = (await page(operators[0]!)).clusters.find((c) => c.name === NAME);
      last = cluster;
      return cluster?.nodes[0]?.primary === `${NAME}-node-0-1` && cluster.timeline.some((t) => t.message.startsWith('SwitchedOver')) ? cluster : undefined;
    }, 60_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; the page last showed ${JSON.stringify(last, null, 1)}`, { cause: error });
    });
    expect(seen.nodes[0]!.pods.find((p) => p.role === 'primary')!.name).toBe(`${NAME}-node-0-1`);
    expect(seen.timeline.find((t) => t.message.startsWith('SwitchoverRequested'))).toMatchObject({ node: 0, kind: 'switchover' });
    expect(seen.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['SwitchoverRequested', 'SwitchedOver']));
    // Only events about this cluster: the OrsCluster and its objects (pods, StatefulSets, PDBs... all named <cluster>-node-<i>...).
    expect(seen.events.filter((e) => !new RegExp(`^(OrsCluster/${NAME}|[A-Za-z]+/${NAME}-node-\\d+.*)$`).test(e.object))).toEqual([]);
  });

  it('renders in Chromium: the node, its primary pod and the switchover on the timeline', async () => {
    const dir = await screenshotDir('ors-operator-status-page-');
    chromium = await startChromium(dir);
    const tab = await chromium.newPage();
    await tab.navigate(`http://127.0.0.1:${operators[0]!.port}/status`);
    const text = await tab.waitForText((t) => t.includes(`${namespace}/${NAME}`) && t.includes('SwitchedOver'), 'the cluster and its switchover on the page');
    expect(text).toContain('Kubernetes');
    expect(text).toContain('1/1 nodes ready');
    expect(await tab.evaluate<string>(`document.querySelector('[data-cluster="${namespace}/${NAME}"] tr[data-node="0"] td.primary')?.textContent`)).toBe(`${NAME}-node-0-1`);
    const timeline = await tab.evaluate<string[]>(`[...document.querySelectorAll('ol.timeline li.switchover')].map((li) => li.textContent)`);
    expect(timeline.some((entry) => entry.includes(`SwitchedOver: node 0: primary is now ${NAME}-node-0-1`))).toBe(true);
    const shot = await tab.screenshot(path.join(dir, 'operator-after-switchover.png'));
    tab.close();
    process.stdout.write(`operator status page screenshot: ${shot}\n`);
  });

  it('shows a primary\'s sessions and real sync lag from its load report on the Lease, outside a drain', async () => {
    player!.primaryLoad = () => ({ sessions: 1, syncLagMs: 12 });
    for (const operator of operators.slice(0, 2)) {
      const node = await waitFor(`${operator.identity}'s page with node 0's load`, async () => {
        const n = (await page(operator)).clusters.find((c) => c.name === NAME)?.nodes[0];
        return n?.sessions === 1 && n.synced ? n : undefined;
      }, 30_000);
      expect(node).toMatchObject({ primary: `${NAME}-node-0-1`, draining: false, sessions: 1, syncLagSeconds: 0.012 });
    }
    const tab = await chromium!.newPage();
    await tab.navigate(`http://127.0.0.1:${operators[0]!.port}/status`);
    await tab.waitForText((t) => t.includes('0.012 s'), 'the primary\'s sync lag on the page');
    const cluster = `[data-cluster="${namespace}/${NAME}"]`;
    expect(await tab.evaluate<string>(`document.querySelector('${cluster} tr[data-node="0"] td.sessions')?.textContent`)).toBe('1');
    expect(await tab.evaluate<string[]>(`[...document.querySelectorAll('${cluster} h2 .badge')].map((b) => b.textContent)`)).toContain('1 session');
    const shot = await tab.screenshot(path.join(await screenshotDir('ors-operator-status-page-'), 'operator-primary-load.png'));
    tab.close();
    process.stdout.write(`operator status page screenshot: ${shot}\n`);
  });

  it('--metrics-auth kubernetes: /metrics and the page ask for a token the API server accepts and lets get the path; probes stay open', async () => {
    const guarded = await startOperator({ kubeconfig: operatorConfig, namespace, identity: 'page-guarded', extraArgs: ['--metrics-auth', 'kubernetes'] });
    operators.push(guarded);
    const base = `http://127.0.0.1:${guarded.port}`;
    const get = (path: string, token?: string) => fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    for (const path of ['/metrics', '/status', '/status.json']) expect((await get(path)).status, path).toBe(401);
    expect((await get('/status.json', 'not-a-token')).status).toBe(401);
    const viewer = await serviceAccountIdentity(adminConfig, namespace, 'status-viewer');
    const denied = await get('/status.json', viewer.token);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining(viewer.username) });
    // A ClusterRole on the page's non-resource URLs (not /metrics) lets the viewer read the page.
    const role = `${namespace}-status-viewer`;
    await admin.apply(`/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: role },
      rules: [{ nonResourceURLs: ['/status', '/status.json'], verbs: ['get'] }],
    }, 'ors-tests');
    await admin.apply(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${role}`, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: role },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: 'status-viewer', namespace }],
    }, 'ors-tests');
    // A new token: the 403 above is remembered for the first one for a while.
    const granted = await serviceAccountIdentity(adminConfig, namespace, 'status-viewer');
    const ok = await waitFor('the viewer let in', async () => {
      const response = await get('/status.json', granted.token);
      return response.status === 200 ? response : undefined;
    }, 30_000);
    expect(StatusPageSchema.parse(await ok.json()).clusters.map((c) => c.name)).toContain(NAME);
    expect((await get('/status', granted.token)).status).toBe(200);
    expect((await get('/metrics', granted.token)).status).toBe(403);
    await admin.delete(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${role}`);
    await admin.delete(`/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`);
  });
});

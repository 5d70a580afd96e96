// `kubectl ors` against the real control plane, without the operator: the test writes
// what the operator and the pods would (an OrsCluster with status, pods, node Leases,
// events, Secrets) and plays the operator's answer to a switchover request.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { KubeClient } from '../../../operator/controller/kube-client.ts';
import { SWITCHOVER_REQUEST_ANNOTATION } from '../../../operator/api/pod-contract.ts';
import { sharedControlPlane } from '../../infra/shared-control-plane.ts';
import { createTestNamespace } from '../../infra/test-namespace.ts';
import { writeKubeconfig } from '../../infra/kubeconfig.ts';
import { adminClient, createOrsCluster, installCrd, orsClusterPath, setLeaseHolder, setPodReady, setSyncState, waitFor } from '../operator/operator-harness.ts';
import { kubectlOrs, pluginPath } from './kubectl-ors-runner.ts';

const NAME = 'cc';
const SECRET_VALUE = 'do-not-leak-7f3a9c';

let admin: KubeClient;
let namespace: string;
let removeNamespace: () => Promise<void>;
let plugins: string;
let kubeconfig: string;

async function setClusterStatus(status: Record<string, unknown>): Promise<void> {
  await admin.mergePatch(`${orsClusterPath(namespace, NAME)}/status`, { status }, 'test-operator');
}

async function createPod(name: string, node: number | undefined): Promise<void> {
  const labels = node === undefined ? { 'app.kubernetes.io/name': 'ors-operator' } : { 'ors.dev/cluster': NAME, 'ors.dev/node': String(node) };
  const body = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { automountServiceAccountToken: false, containers: [{ name: 'runtime', image: 'ghcr.io/ors-k8s/ors:test', env: [{ name: 'ORS_NODE_ID', value: `node-${node}` }] }] },
  };
  // The namespace's default ServiceAccount comes from the controller manager a moment after the namespace.
  await waitFor(`pod ${name} created`, () => admin.request('POST', `/api/v1/namespaces/${namespace}/pods`, { body }).then(() => true, () => undefined));
}

function nodeStatus(primary: string, backup: string, ready = true) {
  return [
    { id: 0, primary: `${NAME}-node-0-0`, backup: `${NAME}-node-0-1`, ready: true, synced: true, lastSwitchover: new Date(Date.now() - 300_000).toISOString() },
    { id: 1, primary, backup, ready, synced: true },
  ];
}

beforeAll(async () => {
  const plane = sharedControlPlane();
  admin = adminClient(plane.kubeconfig);
  await installCrd(admin);
  const ns = await createTestNamespace(admin.config, 'kubectl-ors');
  namespace = ns.name;
  removeNamespace = ns.remove;
  plugins = pluginPath();
  kubeconfig = plane.kubeconfig;
  await createOrsCluster(admin, namespace, NAME, { image: 'ghcr.io/ors-k8s/ors:test', nodes: 2, strategies: [{ name: 'hello', scxml: '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"><final id="f"/></scxml>' }] });
  for (const node of [0, 1]) {
    for (const pod of [0, 1]) await createPod(`${NAME}-node-${node}-${pod}`, node);
    await setLeaseHolder(admin, namespace, `${NAME}-node-${node}`, `${NAME}-node-${node}-0`, node);
    await setSyncState(admin, namespace, `${NAME}-node-${node}`, `${NAME}-node-${node}-1`, `${NAME}-node-${node}-0`, true);
    await setPodReady(admin, namespace, `${NAME}-node-${node}-0`, true);
    await setPodReady(admin, namespace, `${NAME}-node-${node}-1`, false);
  }
  // An operator pod as the chart labels it: the report finds it in whatever namespace it runs.
  await createPod('ors-operator-0', undefined);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await setClusterStatus({
    phase: 'Running',
    readyNodes: 2,
    replicas: 2,
    nodes: nodeStatus(`${NAME}-node-1-0`, `${NAME}-node-1-1`),
    conditions: [{ type: 'Ready', status: 'True', reason: 'AllNodesReady', message: 'every node has a ready primary', lastTransitionTime: now }],
  });
  for (const [name, data] of [[`${NAME}-sync-key`, { key: SECRET_VALUE }], [`${NAME}-api-tokens`, { tokens: `${SECRET_VALUE}-token\n` }]] as const) {
    await admin.request('POST', `/api/v1/namespaces/${namespace}/secrets`, {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, labels: { 'ors.dev/cluster': NAME } }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) },
    });
  }
  await admin.request('POST', `/api/v1/namespaces/${namespace}/events`, {
    body: {
      apiVersion: 'v1', kind: 'Event', metadata: { name: `${NAME}.test1`, namespace },
      involvedObject: { apiVersion: 'ors.dev/v1alpha1', kind: 'OrsCluster', name: NAME, namespace },
      type: 'Normal', reason: 'Created', message: 'node 1: StatefulSet created', firstTimestamp: now, lastTimestamp: now, count: 1, source: { component: 'test' },
    },
  });
}, 120_000);

afterAll(async () => {
  await removeNamespace?.();
  admin?.close();
});

describe('kubectl ors against the real control plane', () => {
  it('status shows nodes, roles, sync, conditions and events, without colour off a terminal', async () => {
    const result = await kubectlOrs(plugins, ['status', NAME, '--kubeconfig', kubeconfig, '-n', namespace]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const text = result.stdout;
    expect(text).toContain(`OrsCluster ${NAME}  namespace ${namespace}  phase Running  ready nodes 2/2`);
    expect(text).toMatch(new RegExp(`^0 +${NAME}-node-0-0 +yes +${NAME}-node-0-1 +yes +- +\\? \\(\\d+[^)]*\\) +- +5m ago +0$`, 'm'));
    expect(text).toMatch(new RegExp(`^1 +${NAME}-node-1-0 +yes +${NAME}-node-1-1 +yes`, 'm'));
    expect(text).toMatch(/Ready +True +AllNodesReady/);
    expect(text).toMatch(/Normal +Created +OrsCluster\/cc +node 1: StatefulSet created/);
    expect(text).not.toContain('\u001b[');
  });

  it('follows kubectl\'s kubeconfig conventions: KUBECONFIG, --context and the context\'s namespace', async () => {
    const plane = sharedControlPlane();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kubectl-ors-config-'));
    // The admin kubeconfig with its context renamed and given the test's namespace.
    const admin = parse(readFileSync(plane.kubeconfig, 'utf8')) as { contexts: { name: string; context: Record<string, string> }[]; 'current-context': string };
    const current = admin.contexts.find((c) => c.name === admin['current-context'])!;
    current.name = 'with-namespace';
    current.context.namespace = namespace;
    admin['current-context'] = 'with-namespace';
    const withNamespace = path.join(dir, 'a');
    writeFileSync(withNamespace, stringify(admin));
    const elsewhere = await writeKubeconfig(path.join(dir, 'b'), {
      name: 'elsewhere', server: 'https://127.0.0.1:1', certificateAuthority: plane.caFile, credentials: { token: 'x' },
    });
    // KUBECONFIG lists both files; the first file's current context wins, as with kubectl.
    const viaEnv = await kubectlOrs(plugins, ['status'], { KUBECONFIG: `${elsewhere}:${withNamespace}` });
    expect(viaEnv.code).not.toBe(0);
    const viaContext = await kubectlOrs(plugins, ['status', '--context', 'with-namespace'], { KUBECONFIG: `${elsewhere}:${withNamespace}` });
    expect(viaContext.stderr).toBe('');
    expect(viaContext.stdout).toContain(`OrsCluster ${NAME}  namespace ${namespace}`);
    const unknown = await kubectlOrs(plugins, ['status', '--context', 'nope'], { KUBECONFIG: withNamespace });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('kubectl ors: context "nope" is not in the kubeconfig\n');
    const missing = await kubectlOrs(plugins, ['status', 'absent'], { KUBECONFIG: withNamespace });
    expect(missing.stderr).toBe(`kubectl ors: OrsCluster "absent" not found in namespace "${namespace}"\n`);
  });

  it('switchover writes the operator\'s annotation and reports the new primary once it is Ready', async () => {
    const run = kubectlOrs(plugins, ['switchover', NAME, '1', '--kubeconfig', kubeconfig, '-n', namespace, '--timeout', '60']);
    // The operator's part: handle the request, move the Lease, report the new primary.
    const request = await waitFor('the switchover annotation', async () => {
      const cluster = await admin.get<{ metadata: { annotations?: Record<string, string> } }>(orsClusterPath(namespace, NAME));
      return cluster.metadata.annotations?.[SWITCHOVER_REQUEST_ANNOTATION];
    });
    expect(request).toMatch(/^1\/kubectl-ors-/);
    await setClusterStatus({ handledSwitchoverRequest: request, nodes: nodeStatus(`${NAME}-node-1-1`, `${NAME}-node-1-0`, false) });
    await new Promise((r) => setTimeout(r, 1500));
    await setClusterStatus({ nodes: nodeStatus(`${NAME}-node-1-1`, `${NAME}-node-1-0`, true) });
    const result = await run;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`switchover of ${NAME} node 1 requested (primary ${NAME}-node-1-0)`);
    expect(result.stdout).toContain(`  node 1: ${NAME}-node-1-1 holds the Lease, not Ready yet`);
    expect(result.stdout).toMatch(new RegExp(`switchover of ${NAME} node 1 done: new primary ${NAME}-node-1-1 \\(was ${NAME}-node-1-0\\) in \\d+\\.\\d s\\n$`));
  });

  it('switchover fails clearly when the operator rejects the request, and refuses a node that does not exist', async () => {
    const run = kubectlOrs(plugins, ['switchover', NAME, '0', '--kubeconfig', kubeconfig, '-n', namespace, '--timeout', '60']);
    await waitFor('the new switchover annotation', async () => {
      const cluster = await admin.get<{ metadata: { annotations?: Record<string, string> } }>(orsClusterPath(namespace, NAME));
      return cluster.metadata.annotations?.[SWITCHOVER_REQUEST_ANNOTATION]?.startsWith('0/') ? true : undefined;
    });
    const now = new Date().toISOString();
    await admin.request('POST', `/apis/events.k8s.io/v1/namespaces/${namespace}/events`, {
      body: {
        apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: `${NAME}.rejected`, namespace }, eventTime: now.replace('Z', '000Z'),
        reportingController: 'ors.dev/operator', reportingInstance: 'test', action: 'Reconcile', type: 'Warning', reason: 'InvalidSwitchoverRequest',
        note: 'ors.dev/switchover: refused by the test', regarding: { apiVersion: 'ors.dev/v1alpha1', kind: 'OrsCluster', name: NAME, namespace },
      },
    });
    const result = await run;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`kubectl ors: switchover of ${NAME} node 0 failed: the operator rejected the request: ors.dev/switchover: refused by the test\n`);
    const absent = await kubectlOrs(plugins, ['switchover', NAME, '5', '--kubeconfig', kubeconfig, '-n', namespace]);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toBe(`kubectl ors: OrsCluster ${NAME} has no node 5 (it has 2)\n`);
  });

  it('drain and undrain edit the drained-nodes list and wait for the operator to pass it to the Lease', async () => {
    const lease = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${NAME}-node-1`;
    const draining = kubectlOrs(plugins, ['drain', NAME, '1', '--kubeconfig', kubeconfig, '-n', namespace, '--timeout', '60']);
    // The operator's part: the node listed, the Lease annotated; the primary's count of running sessions.
    await waitFor('node 1 listed as drained', async () => {
      const cluster = await admin.get<{ metadata: { annotations?: Record<string, string> } }>(orsClusterPath(namespace, NAME));
      return cluster.metadata.annotations?.['ors.dev/drained-nodes'] === '1' ? true : undefined;
    });
    await admin.mergePatch(lease, { metadata: { annotations: { 'ors.dev/drain': new Date().toISOString(), 'ors.dev/active-sessions': '3' } } }, 'test-operator');
    const drained = await draining;
    expect(drained.stderr).toBe('');
    expect(drained.stdout).toBe(`node 1 of ${NAME} drained: its primary ${NAME}-node-1-0 takes no new sessions (3 still running)\n`);
    expect((await kubectlOrs(plugins, ['status', NAME, '--kubeconfig', kubeconfig, '-n', namespace])).stdout).toMatch(/^1 \(drained\) /m);

    const undraining = kubectlOrs(plugins, ['undrain', NAME, '1', '--kubeconfig', kubeconfig, '-n', namespace, '--timeout', '60']);
    await waitFor('the drained-nodes annotation removed', async () => {
      const cluster = await admin.get<{ metadata: { annotations?: Record<string, string> } }>(orsClusterPath(namespace, NAME));
      return cluster.metadata.annotations?.['ors.dev/drained-nodes'] === undefined ? true : undefined;
    });
    await admin.mergePatch(lease, { metadata: { annotations: { 'ors.dev/drain': null, 'ors.dev/active-sessions': null } } }, 'test-operator');
    expect((await undraining).stdout).toBe(`node 1 of ${NAME} undrained: it takes new sessions again\n`);

    // Nobody passes it on (no operator here): a clear failure after the timeout.
    const unanswered = await kubectlOrs(plugins, ['drain', NAME, '0', '--kubeconfig', kubeconfig, '-n', namespace, '--timeout', '2']);
    expect(unanswered.code).toBe(1);
    expect(unanswered.stderr).toBe(`kubectl ors: drain of ${NAME} node 0: the operator did not pass it to the node's Lease within 2 s (is the operator running?)\n`);
    const absent = await kubectlOrs(plugins, ['drain', NAME, '9', '--kubeconfig', kubeconfig, '-n', namespace]);
    expect(absent.stderr).toBe(`kubectl ors: OrsCluster ${NAME} has no node 9 (it has 2)\n`);
  });

  it('report writes a bundle of the resource, its objects and events, with no Secret value in it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kubectl-ors-report-'));
    const archive = path.join(dir, 'bundle.tar.gz');
    const result = await kubectlOrs(plugins, ['report', NAME, '--kubeconfig', kubeconfig, '-n', namespace, '-o', archive]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^support bundle of ${NAME}: ${archive} \\(\\d+ files\\)\\n$`));
    execFileSync('tar', ['-xzf', archive], { cwd: dir });
    const [root] = readdirSync(dir).filter((f) => statSync(path.join(dir, f)).isDirectory());
    const files = (readdirSync(path.join(dir, root!), { recursive: true }) as string[]).filter((f) => statSync(path.join(dir, root!, f)).isFile()).sort();
    expect(files).toEqual(expect.arrayContaining([
      'orscluster.yaml', 'status.txt', 'events.yaml', 'errors.txt',
      `objects/Lease/${NAME}-node-0.yaml`, `objects/Lease/${NAME}-node-1.yaml`, `objects/Pod/${NAME}-node-1-1.yaml`,
      `objects/Secret/${NAME}-sync-key.yaml`, `objects/Secret/${NAME}-api-tokens.yaml`,
    ]));
    const read = (f: string) => readFileSync(path.join(dir, root!, f), 'utf8');
    expect(read('orscluster.yaml')).toContain('kind: OrsCluster');
    expect(read(`objects/Secret/${NAME}-sync-key.yaml`)).toContain('key: "<redacted: 18 bytes>"');
    expect(read('events.yaml')).toContain('reason: InvalidSwitchoverRequest');
    expect(read('status.txt')).toContain(`OrsCluster ${NAME}`);
    expect(files).toContain(`logs/runtime/${NAME}-node-0-0.log`);
    expect(files).toContain(`logs/operator/${namespace}_ors-operator-0.log`);
    expect(files).not.toContain('objects/Pod/ors-operator-0.yaml');
    // The pods have no address (no kubelet ran them): what could not be read is said, not hidden.
    expect(read('errors.txt')).toContain(`metrics of pod ${NAME}-node-0-0: 400 BadRequest`);
    const everything = files.map(read).join('\n');
    for (const leak of [SECRET_VALUE, Buffer.from(SECRET_VALUE).toString('base64'), Buffer.from(`${SECRET_VALUE}-token\n`).toString('base64')]) {
      expect(everything).not.toContain(leak);
    }
    const zipped = readFileSync(archive);
    expect(zipped.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });
});

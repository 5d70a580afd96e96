// `kubectl ors` on the whole system: the operator reconciling an OrsCluster whose pods
// are real `ors runtime` processes (the process node), driven through the real kubectl.
// `status` is read again and again while `kubectl ors switchover` runs, and the support
// bundle of the cluster is checked for what it must hold and what it must not.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { V1Secret } from '@kubernetes/client-node';
import { waitUntil } from '../infra/wait-until.ts';
import { kubectlOrs, pluginPath } from '../integration/kubectl-ors/kubectl-ors-runner.ts';
import { ClusterObserver } from './cluster-observer.ts';
import { startE2eEnvironment, type E2eEnvironment } from './e2e-environment.ts';
import { OrsIngressClient } from './ors-ingress-client.ts';
import { COUNTER_STRATEGY, orsClusterManifest } from './ors-cluster-manifest.ts';

const CLUSTER = 'cc';
let env: E2eEnvironment;
let observer: ClusterObserver;
let plugins: string;
let ingress: OrsIngressClient;
const ors = (args: readonly string[]) => kubectlOrs(plugins, [...args, '--kubeconfig', env.adminKubeconfig, '-n', env.namespace]);

beforeAll(async () => {
  env = await startE2eEnvironment('e2e-plugin');
  observer = new ClusterObserver(env.client, env.namespace, CLUSTER);
  plugins = pluginPath();
  const host = `ors.${env.namespace}.test`;
  await env.apply(orsClusterManifest({ name: CLUSTER, namespace: env.namespace, nodes: 1, image: 'ors:e2e-1', httpPort: env.ports.http, syncPort: env.ports.sync, host }));
  await waitUntil(() => observer.allNodesServing(1), { what: 'node 0 with one Ready primary', timeoutMs: 120_000, intervalMs: 500 });
  await waitUntil(async () => {
    const nodes = (await observer.status())?.nodes as { synced?: boolean }[] | undefined;
    return nodes?.[0]?.synced ? true : undefined;
  }, { what: 'node 0 reported synced in the status', timeoutMs: 60_000 });
  ingress = new OrsIngressClient(env.ingress.url, host, { token: () => env.apiToken(CLUSTER) });
  const client = ingress;
  await waitUntil(async () => ((await client.startSession(COUNTER_STRATEGY)).status === 200 ? true : undefined), { what: 'a session started through the Ingress', timeoutMs: 30_000 });
});

afterAll(async () => {
  await env?.stop();
});

describe('kubectl ors with the operator and real runtimes', () => {
  it('status shows the primary, the synced backup and the live session from the runtime\'s metrics', async () => {
    onTestFailed(() => console.error(env.report()));
    // A busy machine can flap the Lease at start-up: wait for a steady node, as shown by status.
    await waitUntil(() => observer.allNodesServing(1), { what: 'node 0 serving', timeoutMs: 60_000, intervalMs: 500 });
    const { holder } = (await observer.nodes(1))[0]!;
    const backup = [`${CLUSTER}-node-0-0`, `${CLUSTER}-node-0-1`].find((p) => p !== holder)!;
    const row = new RegExp(`^0 +${holder} +yes +${backup} +yes +\\S+ +1 `, 'm');
    const result = await waitUntil(async () => {
      const r = await ors(['status', CLUSTER]);
      return row.test(r.stdout) ? r : undefined;
    }, { what: `status showing node 0 with primary ${holder}, synced backup and 1 session`, timeoutMs: 30_000, intervalMs: 500 });
    expect(result.stderr).toBe('');
    const sessions = await ors(['sessions', CLUSTER]);
    expect(sessions.stdout).toMatch(new RegExp(`^0 +${holder} +primary +1 +1`, 'm'));
    expect(sessions.stdout).toMatch(new RegExp(`^0 +${backup} +backup +0`, 'm'));
  });

  it('switchover moves the primary and says so; status during it shows the request and the handover', async () => {
    onTestFailed(() => console.error(env.report()));
    const before = (await observer.nodes(1))[0]!.holder!;
    const switching = ors(['switchover', CLUSTER, '0', '--timeout', '120']);
    let finished = false;
    void switching.then(() => (finished = true));
    const seen: string[] = [];
    while (!finished) {
      const status = await ors(['status', CLUSTER]);
      if (status.code === 0) seen.push(status.stdout);
    }
    const result = await switching;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const after = (await observer.nodes(1))[0]!.holder!;
    expect(after).not.toBe(before);
    expect(result.stdout).toMatch(new RegExp(`switchover of ${CLUSTER} node 0 done: new primary ${after} \\(was ${before}\\) in \\d+\\.\\d s\\n$`));
    // While it ran, every status showed the request and node 0 with the old or the new
    // primary (or none, mid-handover), never going back once the new one was shown.
    const request = /switchover request 0\/kubectl-ors-\S+: (pending|handled)/;
    const from = seen.findIndex((s) => request.test(s));
    expect(from, 'a status taken after the request').toBeGreaterThanOrEqual(0);
    const during = seen.slice(from);
    for (const s of during) expect(s).toMatch(request);
    const primaries = during.map((s) => /^0 +(\S+) /m.exec(s)?.[1]);
    for (const p of primaries) expect([before, after, 'none']).toContain(p);
    const firstNew = primaries.indexOf(after);
    if (firstNew >= 0) expect(primaries.slice(firstNew).every((p) => p === after)).toBe(true);
    const final = await ors(['status', CLUSTER]);
    expect(final.stdout).toMatch(new RegExp(`^0 +${after} +yes +${before} `, 'm'));
    expect(final.stdout).toMatch(/SwitchoverRequested +OrsCluster\/cc +node 0: asked \S+ to step down \(manual\)/);
    console.log(`status snapshots during the switchover: ${during.length} of ${seen.length} after the request (node 0 primary: ${primaries.join(' -> ')}); ${result.stdout.trim().split('\n').at(-1)}`);
  });

  it('drain stops the node taking new sessions (503 draining) while its session goes on; undrain reopens it', async () => {
    onTestFailed(() => console.error(env.report()));
    const running = await ingress.startSession(COUNTER_STRATEGY);
    expect(running.status).toBe(200);
    const drained = await ors(['drain', CLUSTER, '0']);
    expect(drained.stderr).toBe('');
    expect(drained.stdout).toMatch(new RegExp(`^node 0 of ${CLUSTER} drained: its primary ${CLUSTER}-node-0-\\d takes no new sessions`));
    // The primary follows the Lease on its next watch event: shortly, not necessarily at once.
    const refused = await waitUntil(async () => {
      const answer = await ingress.startSession(COUNTER_STRATEGY);
      return answer.status === 503 ? answer : undefined;
    }, { what: 'a session start refused by the drained node', timeoutMs: 30_000 });
    expect(refused.body.error).toBe('draining');
    expect((await ingress.sendEvent(String(running.body.sessionid), 'inc')).status).toBe(200);
    expect((await ors(['status', CLUSTER])).stdout).toMatch(/^0 \(drained\) /m);
    const undrained = await ors(['undrain', CLUSTER, '0']);
    expect(undrained.stdout).toBe(`node 0 of ${CLUSTER} undrained: it takes new sessions again\n`);
    await waitUntil(async () => ((await ingress.startSession(COUNTER_STRATEGY)).status === 200 ? true : undefined), { what: 'a session start after undrain', timeoutMs: 30_000 });
  });

  it('report bundles the resource, its objects, events and metrics, with no Secret value', async () => {
    onTestFailed(() => console.error(env.report()));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kubectl-ors-e2e-report-'));
    const result = await ors(['report', CLUSTER, '-o', path.join(dir, 'bundle.tgz')]);
    expect(result.stderr).toBe('');
    execFileSync('tar', ['-xzf', 'bundle.tgz'], { cwd: dir });
    const [root] = readdirSync(dir).filter((f) => statSync(path.join(dir, f)).isDirectory());
    const base = path.join(dir, root!);
    const files = (readdirSync(base, { recursive: true }) as string[]).filter((f) => statSync(path.join(base, f)).isFile());
    const read = (f: string) => readFileSync(path.join(base, f), 'utf8');
    expect(files).toEqual(expect.arrayContaining([
      'orscluster.yaml', 'status.txt', 'events.yaml', 'errors.txt',
      `objects/StatefulSet/${CLUSTER}-node-0.yaml`, `objects/Lease/${CLUSTER}-node-0.yaml`, `objects/ConfigMap/${CLUSTER}-options.yaml`,
      `objects/Secret/${CLUSTER}-sync-key.yaml`, `objects/Service/${CLUSTER}.yaml`, `objects/Pod/${CLUSTER}-node-0-0.yaml`,
      `metrics/${CLUSTER}-node-0-0.txt`, `metrics/${CLUSTER}-node-0-1.txt`,
    ]));
    expect(read(`metrics/${CLUSTER}-node-0-0.txt`)).toContain('ors_active_sessions');
    expect(read('events.yaml')).toContain('reason: SwitchoverRequested');
    expect(read(`objects/Secret/${CLUSTER}-sync-key.yaml`)).toMatch(/key: "<redacted: \d+ bytes>"/);
    // Every Secret of the namespace: no value, plain or base64, anywhere in the bundle.
    const secrets = (await env.client.get<{ items: V1Secret[] }>(`/api/v1/namespaces/${env.namespace}/secrets`)).items;
    const values = secrets.flatMap((s) => Object.values(s.data ?? {})).filter((v) => v.length >= 8);
    expect(values.length).toBeGreaterThan(0);
    const everything = files.map(read).join('\n');
    for (const value of values) {
      expect(everything).not.toContain(value);
      expect(everything).not.toContain(Buffer.from(value, 'base64').toString('utf8'));
    }
    // The process node serves no kubelet API: the pod logs are reported missing, not dropped silently.
    console.log(`report: ${files.length} files; errors.txt:\n${read('errors.txt')}`);
  });
});

// The operator driving real runtime processes: the control plane has no kubelet, so this
// test plays a minimal one — for every pod the StatefulSets create it starts
// `ors runtime` with the pod's own environment (the runtime ServiceAccount's token, the
// operator's Role), reports /heartbeat as the pod's readiness, and stops the process
// when the pod is deleted. Only what a laptop cannot provide is rewritten: loopback
// addresses and free ports instead of pod IPs, local files instead of mounted volumes.
// The runtimes elect through the node Lease and report sync state; the operator rolls a
// spec change out through them (backup, sync, step-down, old primary).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeConfig, type V1ConfigMap, type V1Lease, type V1Pod, type V1Secret } from '@kubernetes/client-node';
import type { KubeClient } from '../../operator/controller/kube-client.ts';
import type { OrsClusterStatus } from '../../operator/api/ors-cluster.ts';
import { createTestNamespace } from '../infra/test-namespace.ts';
import { freePort } from '../infra/free-port.ts';
import { writeKubeconfig } from '../infra/kubeconfig.ts';
import {
  adminClient, createOrsCluster, installCrd, operatorKubeconfig, orsClusterPath, setPodReady, startOperator, waitFor, type OperatorProcess,
} from '../integration/operator/operator-harness.ts';

const root = path.resolve(import.meta.dirname, '../..');
const node = path.join(root, 'node_modules/.bin/node');
const NAME = 'live';

interface RunningPod {
  uid: string;
  child: ChildProcess;
  httpPort: number;
  ready?: boolean;
  log: string[];
}

let admin: KubeClient;
let namespace: string;
let removeNamespace: () => Promise<void>;
let operator: OperatorProcess;
let plane: { server: string; caFile: string; kubeconfig: string };
let work: string;
const running = new Map<string, RunningPod>();
const journal: string[] = [];
let kubeletLoop: Promise<void> | undefined;
let kubeletRunning = false;

async function runtimeKubeconfig(): Promise<string> {
  const token = await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${NAME}-runtime/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  return writeKubeconfig(path.join(work, 'runtime.kubeconfig'), {
    name: 'runtime', server: plane.server, certificateAuthority: plane.caFile, credentials: { token: token.status.token },
  });
}

/** The pod's environment, with fieldRefs resolved and pod-network details mapped to loopback. */
async function podEnvironment(pod: V1Pod, httpPort: number, syncPort: number, files: { kubeconfig: string; syncKey: string; strategies: string }): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: files.kubeconfig };
  for (const e of pod.spec!.containers[0]!.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = pod.metadata!.name;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = pod.metadata!.namespace;
  }
  return {
    ...env,
    ORS_HTTP_HOST: '127.0.0.1',
    ORS_HTTP_PORT: String(httpPort),
    ORS_SYNC_PORT: String(syncPort),
    ORS_SYNC_PEERS: '',
    ORS_SYNC_KEY_FILE: files.syncKey,
    ORS_STRATEGIES_DIR: files.strategies,
    ORS_EXTERNAL_URL: `http://127.0.0.1:${httpPort}`,
    ORS_LOG_LEVEL: 'warn',
  };
}

async function startPod(pod: V1Pod): Promise<void> {
  const name = pod.metadata!.name!;
  const dir = path.join(work, `${name}-${pod.metadata!.uid}`);
  await mkdir(path.join(dir, 'strategies'), { recursive: true });
  const secret = await admin.get<V1Secret>(`/api/v1/namespaces/${namespace}/secrets/${NAME}-sync-key`);
  const syncKey = path.join(dir, 'sync-key');
  await writeFile(syncKey, Buffer.from(secret.data!.key!, 'base64'));
  const options = await admin.get<V1ConfigMap>(`/api/v1/namespaces/${namespace}/configmaps/${NAME}-options`);
  const optionsFile = path.join(dir, 'options.json');
  const doc = JSON.parse(options.data!['options.json']!) as Record<string, unknown>;
  doc['strategies-dir'] = path.join(dir, 'strategies');
  // The API tokens Secret the operator created (bearer is the default), as the mounted file.
  if (typeof doc['auth-tokens-file'] === 'string') {
    const tokens = await admin.get<V1Secret>(`/api/v1/namespaces/${namespace}/secrets/${NAME}-api-tokens`);
    const tokensFile = path.join(dir, 'api-tokens');
    await writeFile(tokensFile, Buffer.from(tokens.data!.tokens!, 'base64'));
    doc['auth-tokens-file'] = tokensFile;
  }
  await writeFile(optionsFile, JSON.stringify(doc));
  const [httpPort, syncPort] = [await freePort(), await freePort()];
  const env = await podEnvironment(pod, httpPort, syncPort, { kubeconfig: await runtimeKubeconfig(), syncKey, strategies: path.join(dir, 'strategies') });
  const args = pod.spec!.containers[0]!.args!.map((a) => (a === '/etc/ors/options/options.json' ? optionsFile : a));
  const child = spawn(node, [path.join(root, 'runtime/cli/ors.ts'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const entry: RunningPod = { uid: pod.metadata!.uid!, child, httpPort, log: [] };
  child.stdout!.on('data', (c: Buffer) => entry.log.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => entry.log.push(c.toString()));
  running.set(name, entry);
  journal.push(`started ${name}`);
}

async function stopPod(name: string, reason: string): Promise<void> {
  const entry = running.get(name);
  if (!entry) return;
  running.delete(name);
  journal.push(`${reason} ${name}`);
  if (entry.child.exitCode === null) {
    const exited = new Promise((r) => entry.child.once('exit', r));
    entry.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (entry.child.exitCode === null) entry.child.kill('SIGKILL');
  }
}

async function kubeletPass(): Promise<void> {
  const pods = (await admin.get<{ items: V1Pod[] }>(`/api/v1/namespaces/${namespace}/pods?labelSelector=ors.dev%2Fcluster%3D${NAME}`)).items;
  const live = new Map(pods.filter((p) => !p.metadata!.deletionTimestamp).map((p) => [p.metadata!.name!, p]));
  for (const [name, entry] of running) {
    const pod = live.get(name);
    if (!pod || pod.metadata!.uid !== entry.uid) await stopPod(name, 'deleted');
  }
  for (const [name, pod] of live) if (!running.has(name)) await startPod(pod);
  for (const [name, entry] of running) {
    let ready: boolean;
    try {
      ready = (await fetch(`http://127.0.0.1:${entry.httpPort}/heartbeat`, { signal: AbortSignal.timeout(1000) })).status === 200;
    } catch {
      ready = false;
    }
    if (ready !== entry.ready) {
      entry.ready = ready;
      await setPodReady(admin, namespace, name, ready);
      journal.push(`${ready ? 'ready' : 'not ready'} ${name}`);
    }
  }
}

beforeAll(async () => {
  plane = inject('controlPlane') as typeof plane;
  admin = adminClient(plane.kubeconfig);
  await installCrd(admin);
  const config = new KubeConfig();
  config.loadFromFile(plane.kubeconfig);
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(config, 'ors-e2e'));
  work = await mkdtemp(path.join(os.tmpdir(), 'ors-e2e-pods-'));
  operator = await startOperator({ kubeconfig: await operatorKubeconfig(admin, plane, namespace), namespace, identity: 'op-e2e' });
});

afterEach(({ task }) => {
  if (task.result?.state !== 'fail') return;
  console.error(`kubelet journal:\n${journal.join('\n')}`);
  for (const [name, entry] of running) console.error(`----- ${name} -----\n${entry.log.join('').slice(-3000)}`);
  console.error(`----- operator -----\n${operator?.logs.slice(-40).join('\n')}`);
});

afterAll(async () => {
  if (process.env.ORS_TEST_VERBOSE) console.log(`kubelet journal:\n${journal.join('\n')}`);
  kubeletRunning = false;
  await kubeletLoop;
  for (const name of [...running.keys()]) await stopPod(name, 'cleanup');
  await operator?.stop();
  await removeNamespace?.();
});

type Cluster = { status?: OrsClusterStatus };
const status = async () => (await admin.get<Cluster>(orsClusterPath(namespace, NAME))).status;

describe('operator with real runtime pods', () => {
  it('elects a primary per node and sees the backup synced', async () => {
    await createOrsCluster(admin, namespace, NAME, {
      nodes: 1, image: 'ors:local',
      leaderElection: { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 },
    });
    await waitFor('the runtime ServiceAccount', () => admin.find(`/api/v1/namespaces/${namespace}/serviceaccounts/${NAME}-runtime`));
    kubeletRunning = true;
    kubeletLoop = (async () => {
      while (kubeletRunning) {
        try {
          await kubeletPass();
        } catch (error) {
          journal.push(`kubelet error: ${(error as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const s = await waitFor('a ready primary and a synced backup', async () => {
      const st = await status();
      return st?.nodes?.[0]?.ready && st.nodes[0].synced ? st : undefined;
    }, 90_000);
    expect(s.nodes![0]!.primary).toMatch(/^live-node-0-[01]$/);
    expect(s.nodes![0]!.backup).toMatch(/^live-node-0-[01]$/);
    expect(s.phase).toBe('Running');
  });

  it('rolls a change out through the runtimes: backup replaced, synced, primary steps down, old primary replaced', async () => {
    const before = (await status())!.nodes![0]!;
    journal.length = 0;
    await admin.mergePatch(orsClusterPath(namespace, NAME), { spec: { options: { callWatchingTimeout: 3000 } } }, 'test');
    const after = await waitFor('the rollout done with a synced backup', async () => {
      const st = await status();
      const pods = (await admin.get<{ items: V1Pod[] }>(`/api/v1/namespaces/${namespace}/pods?labelSelector=ors.dev%2Fcluster%3D${NAME}`)).items;
      const updated = pods.length === 2 && pods.every((p) => p.metadata!.annotations?.['ors.dev/options-hash'] !== undefined
        && journal.includes(`started ${p.metadata!.name}`));
      return updated && st?.phase === 'Running' && st.nodes?.[0]?.synced && st.nodes[0].ready ? st.nodes[0] : undefined;
    }, 150_000);
    const deletions = journal.filter((l) => l.startsWith('deleted '));
    expect(deletions).toEqual([`deleted ${before.backup}`, `deleted ${before.primary}`]);
    expect(after.primary).toBe(before.backup);
    // The old primary went only once the new one answered /heartbeat (never no Ready pod and no standby).
    expect(journal.lastIndexOf(`ready ${before.backup}`)).toBeLessThan(journal.indexOf(`deleted ${before.primary}`));
    const lease = await admin.get<V1Lease>(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${NAME}-node-0`);
    expect(lease.spec!.holderIdentity).toBe(before.backup);
    expect(lease.metadata!.annotations?.['ors.dev/step-down']).toBeUndefined();
  });
});

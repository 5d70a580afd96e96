// Shared set-up of the operator integration tests: the CRD, the Helm chart's ClusterRole
// bound to a ServiceAccount whose token the operator runs with (RBAC on), operator
// processes (`ors operator`) started as children, and small helpers to play the pods'
// part (Lease holder, readiness, sync state) since the test control plane has no kubelet.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { KubeApiError, KubeClient } from '../../../operator/controller/kube-client.ts';
import { renderOrsClusterCrd } from '../../../operator/api/crd.ts';
import { SYNC_STATE_ANNOTATION } from '../../../operator/api/pod-contract.ts';
import { waitUntil } from '../../infra/wait-until.ts';
import { writeKubeconfig } from '../../infra/kubeconfig.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const node = path.join(root, 'node_modules/.bin/node');

export function adminClient(kubeconfigFile: string): KubeClient {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigFile);
  return new KubeClient(config);
}

export async function installCrd(client: KubeClient): Promise<void> {
  const crd = parse(renderOrsClusterCrd());
  await client.apply('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/orsclusters.ors.dev', crd, 'ors-tests');
  await waitUntil(
    async () => {
      const current = await client.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/orsclusters.ors.dev',
      );
      return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    },
    { what: 'the OrsCluster CRD to be established', timeoutMs: 30_000 },
  );
  // Discovery can lag behind Established.
  await waitUntil(async () => ((await client.find('/apis/ors.dev/v1alpha1')) ? true : undefined), { what: 'ors.dev/v1alpha1 discovery', timeoutMs: 30_000 });
}

/** The chart's ClusterRole with the release name filled in (the only template expression in it). */
export function chartClusterRole(release: string): KubernetesObject {
  const text = readFileSync(path.join(root, 'charts/ors-operator/templates/clusterrole.yaml'), 'utf8').replaceAll('{{ .Release.Name }}', release);
  return parse(text) as KubernetesObject;
}

/** A kubeconfig for a ServiceAccount bound to the chart's ClusterRole: the operator's real permissions. */
export async function operatorKubeconfig(admin: KubeClient, plane: { server: string; caFile: string }, namespace: string): Promise<string> {
  const release = `t${randomBytes(3).toString('hex')}`;
  const role = chartClusterRole(release);
  await admin.apply(`/apis/rbac.authorization.k8s.io/v1/clusterroles/${role.metadata!.name}`, role, 'ors-tests');
  await admin.apply(`/api/v1/namespaces/${namespace}/serviceaccounts/ors-operator`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'ors-operator', namespace } }, 'ors-tests');
  await admin.apply(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${role.metadata!.name}-${namespace}`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${role.metadata!.name}-${namespace}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata!.name },
    subjects: [{ kind: 'ServiceAccount', name: 'ors-operator', namespace }],
  }, 'ors-tests');
  const token = await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/ors-operator/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-operator-test-'));
  return writeKubeconfig(path.join(dir, 'operator.kubeconfig'), {
    name: 'ors-operator',
    server: plane.server,
    certificateAuthority: plane.caFile,
    credentials: { token: token.status.token },
  });
}

export interface OperatorProcess {
  child: ChildProcess;
  identity: string;
  port: number;
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<void>;
  health(): Promise<{ status: number; body: Record<string, unknown> }>;
  metrics(): Promise<string>;
}

export async function startOperator(options: { kubeconfig: string; namespace: string; identity: string; extraArgs?: string[] }): Promise<OperatorProcess> {
  const child = spawn(node, [
    path.join(root, 'runtime/cli/ors.ts'), 'operator',
    '--kubeconfig', options.kubeconfig,
    '--watch-namespace', options.namespace,
    '--lease-namespace', options.namespace,
    '--identity', options.identity,
    '--metrics-bind-address', '127.0.0.1:0',
    '--lease-duration', '4', '--renew-deadline', '3', '--retry-period', '1',
    ...(options.extraArgs ?? []),
  ], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  let port: number | undefined;
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      logs.push(line);
      try {
        const entry = JSON.parse(line) as { metricsPort?: number };
        if (entry.metricsPort !== undefined) port = entry.metricsPort;
      } catch {
        // not a log line
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', (c: Buffer) => logs.push(c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitUntil(async () => port, {
    what: `operator ${options.identity} to start`,
    timeoutMs: 30_000,
    abortIf: () => (child.exitCode !== null ? new Error(`operator exited (${child.exitCode}):\n${logs.join('\n')}`) : undefined),
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    child,
    identity: options.identity,
    port: port!,
    logs,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    health: async () => {
      const res = await fetch(`${base}/healthz`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    metrics: async () => (await fetch(`${base}/metrics`)).text(),
  };
}

export const orsClusterPath = (namespace: string, name?: string) => `/apis/ors.dev/v1alpha1/namespaces/${namespace}/orsclusters${name ? `/${name}` : ''}`;

export async function createOrsCluster(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Promise<KubernetesObject> {
  return client.request('POST', orsClusterPath(namespace), {
    body: { apiVersion: 'ors.dev/v1alpha1', kind: 'OrsCluster', metadata: { name, namespace, ...(annotations ? { annotations } : {}) }, spec },
  });
}

/** The rejection message of a create, or undefined when it was accepted. */
export async function rejection(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown>): Promise<string | undefined> {
  try {
    await createOrsCluster(client, namespace, name, spec);
    return undefined;
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 422) return error.message;
    throw error;
  }
}

// ---- playing the pods' part --------------------------------------------------------

export async function setPodReady(client: KubeClient, namespace: string, pod: string, ready: boolean): Promise<void> {
  const now = new Date().toISOString();
  await client.request('PATCH', `/api/v1/namespaces/${namespace}/pods/${pod}/status`, {
    contentType: 'application/strategic-merge-patch+json',
    body: { status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }] } },
  });
}

/** Makes `holder` the Lease holder (creating the Lease like the elected pod would). */
export async function setLeaseHolder(client: KubeClient, namespace: string, lease: string, holder: string, transitions: number): Promise<void> {
  const now = new Date().toISOString().replace('Z', '000Z');
  await client.apply(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${lease}`, {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: lease, namespace },
    spec: { holderIdentity: holder, leaseDurationSeconds: 3600, acquireTime: now, renewTime: now, leaseTransitions: transitions },
  }, 'test-pods');
}

export async function setSyncState(client: KubeClient, namespace: string, lease: string, backup: string, primary: string, synced: boolean): Promise<void> {
  await client.mergePatch(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${lease}`, {
    metadata: { annotations: { [SYNC_STATE_ANNOTATION]: JSON.stringify({ backup, primary, synced, at: new Date().toISOString() }) } },
  }, 'test-pods');
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return waitUntil(probe, { what, timeoutMs, intervalMs: 200 });
}

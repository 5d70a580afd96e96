// The operator on a real (private) kube-apiserver and kube-controller-manager: time from
// creating OrsClusters to every object they own being present, for 1 and for 100
// clusters, next to the time the bench process itself needs to server-side-apply the
// same objects (the apiserver's share); the operator's resident memory next to an idle
// Node process's; and the scale run: 1,000 ORS nodes (100 clusters x 10, so 2,000 pods
// made by the StatefulSet controller) on one operator, with the time until every
// cluster has its status, reconcile passes per cluster, /healthz answers while it works,
// leadership changes and peak memory. Sizes: ORS_BENCH_SCALE_CLUSTERS, ORS_BENCH_SCALE_NODES.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { BenchFigure, BenchSuite } from './figure.ts';
import { renderOrsClusterCrd } from '../operator/api/crd.ts';
import { parseOrsCluster } from '../operator/api/parse-ors-cluster.ts';
import { buildDesiredObjects } from '../operator/builders/desired-objects.ts';
import { KubeClient } from '../operator/controller/kube-client.ts';
import { collectionPath, pathOf, resourceType } from '../operator/controller/resource-paths.ts';
import { startControlPlane } from '../test/infra/control-plane.ts';
import { freePort } from '../test/infra/free-port.ts';

const root = path.resolve(import.meta.dirname, '..');
/** resources.limits.memory of charts/ors-operator/values.yaml. */
const CHART_MEMORY_LIMIT_MIB = Number(/limits:\s*\n\s*memory:\s*(\d+)Mi/.exec(readFileSync(path.join(root, 'charts/ors-operator/values.yaml'), 'utf8'))?.[1] ?? NaN);
const node = path.join(root, 'node_modules/.bin/node');
const SPEC = { image: 'ors:1', nodes: 1 };
const SCALE_CLUSTERS = Number(process.env.ORS_BENCH_SCALE_CLUSTERS ?? 100);
const SCALE_NODES = Number(process.env.ORS_BENCH_SCALE_NODES ?? 10);

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/[^0-9]/g, '')) / 1024;
}

function desiredObjects(namespace: string, name: string, uid: string, spec: { image: string; nodes: number } = SPEC): KubernetesObject[] {
  const parsed = parseOrsCluster({ metadata: { name, namespace, uid }, spec });
  if (!parsed.ok) throw new Error(parsed.message);
  return buildDesiredObjects(parsed.cluster, Array.from({ length: spec.nodes }, (_, i) => i), { syncKey: 'c3luYy1rZXk=', apiTokens: 'token' });
}

async function allPresent(client: KubeClient, objects: KubernetesObject[]): Promise<boolean> {
  for (let i = 0; i < objects.length; i += 32) {
    const found = await Promise.all(objects.slice(i, i + 32).map((o) => client.find(pathOf(o.apiVersion!, o.kind!, o.metadata!.namespace, o.metadata!.name!))));
    if (found.some((f) => f === undefined)) return false;
  }
  return true;
}

async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
}

/** Creates `count` OrsClusters and measures the ms until every object they own exists. */
async function timeOperator(client: KubeClient, namespace: string, count: number): Promise<number> {
  const names = Array.from({ length: count }, (_, i) => `c${i}`);
  const t0 = performance.now();
  const created = await Promise.all(names.map((name) =>
    client.request<KubernetesObject>('POST', `/apis/ors.dev/v1alpha1/namespaces/${namespace}/orsclusters`, {
      body: { apiVersion: 'ors.dev/v1alpha1', kind: 'OrsCluster', metadata: { name, namespace }, spec: SPEC },
    })));
  const expected = created.flatMap((c) => desiredObjects(namespace, c.metadata!.name!, c.metadata!.uid!));
  // One labelled list per kind per round (not a GET per object), so polling does not load the apiserver.
  const kinds = [...new Map(expected.map((o) => [o.kind!, o])).values()];
  for (;;) {
    const present = new Set<string>();
    await Promise.all(kinds.map(async (k) => {
      const list = await client.request<{ items: KubernetesObject[] }>('GET', collectionPath(resourceType(k.apiVersion!, k.kind!), namespace), {
        query: { labelSelector: 'app.kubernetes.io/managed-by=ors-operator' },
      });
      for (const item of list.items) present.add(`${k.kind}/${item.metadata!.name}`);
    }));
    if (expected.every((o) => present.has(`${o.kind}/${o.metadata!.name}`))) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The baseline: the bench process server-side-applies the same objects itself (8 at a time). */
async function timeDirectApply(client: KubeClient, namespace: string, count: number, spec = SPEC): Promise<number> {
  const objects = Array.from({ length: count }, (_, i) => desiredObjects(namespace, `d${i}`, '00000000-0000-4000-8000-00000000000' + (i % 10), spec))
    .flat()
    .map((o) => ({ ...o, metadata: { ...o.metadata, ownerReferences: undefined } }));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < objects.length) {
      const o = objects[next++]!;
      await client.apply(pathOf(o.apiVersion!, o.kind!, namespace, o.metadata!.name!), o, 'bench');
    }
  }));
  const elapsed = performance.now() - t0;
  if (!(await allPresent(client, objects))) throw new Error('direct apply: objects missing');
  return elapsed;
}

async function startOperatorProcess(kubeconfig: string, namespace: string, metricsPort: number, log?: string[]): Promise<ChildProcess> {
  const child = spawn(node, [path.join(root, 'runtime/cli/ors.ts'), 'operator', '--kubeconfig', kubeconfig, '--watch-namespace', namespace,
    '--lease-namespace', namespace, '--metrics-bind-address', `127.0.0.1:${metricsPort}`,
    '--log-level', process.env.ORS_BENCH_DEBUG ? 'debug' : 'warn'], { cwd: root, stdio: ['ignore', process.env.ORS_BENCH_DEBUG ? 'inherit' : 'pipe', 'inherit'] });
  child.stdout?.on('data', (c: Buffer) => log?.push(...c.toString('utf8').split('\n').filter(Boolean)));
  return child;
}

async function waitForLeader(client: KubeClient, namespace: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const lease = await client.find<{ spec?: { holderIdentity?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/ors-operator`);
    if (lease?.spec?.holderIdentity) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no operator leader in ${namespace}`);
}

const counter = (metrics: string, re: RegExp) => Number(re.exec(metrics)?.[1] ?? 0);
const reconcilePasses = (metrics: string) =>
  counter(metrics, /^ors_operator_reconciles_total\{result="ok"\} (\d+)/m) + counter(metrics, /^ors_operator_reconciles_total\{result="error"\} (\d+)/m);

interface ScaleFigures {
  statusMs: number;
  firstStatusMs: number;
  passes: number;
  healthProbes: number;
  healthFailures: number;
  healthWorstMs: number;
  leaseTransitions: number;
  lostLeadership: number;
  peakRss: number;
  settledRss: number;
  idleRss: number;
  directMs: number;
}

/**
 * The scale run: a fresh operator, leading, then SCALE_CLUSTERS OrsClusters of
 * SCALE_NODES nodes created at once. Measured until every cluster's status reports all
 * its nodes (StatefulSets) for its generation; /healthz is probed every second
 * meanwhile (2 s timeout), memory sampled every second.
 */
async function scaleRun(client: KubeClient, kubeconfig: string): Promise<ScaleFigures> {
  const ns = 'bench-scale';
  await createNamespace(client, ns);
  await createNamespace(client, 'bench-scale-direct');
  const metricsPort = await freePort();
  const log: string[] = [];
  const operator = await startOperatorProcess(kubeconfig, ns, metricsPort, log);
  try {
    await waitForLeader(client, ns);
    await new Promise((r) => setTimeout(r, 1500));
    const idleRss = rssMiB(operator.pid!);
    const spec = { image: 'ors:1', nodes: SCALE_NODES };
    const leaseBefore = (await client.get<{ spec: { leaseTransitions?: number } }>(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/ors-operator`)).spec.leaseTransitions ?? 0;
    let peakRss = idleRss;
    let healthProbes = 0;
    let healthFailures = 0;
    let healthWorstMs = 0;
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const t = performance.now();
        healthProbes++;
        try {
          const res = await fetch(`http://127.0.0.1:${metricsPort}/healthz`, { signal: AbortSignal.timeout(2000) });
          if (res.status !== 200) healthFailures++;
          await res.arrayBuffer();
        } catch {
          healthFailures++;
        }
        healthWorstMs = Math.max(healthWorstMs, performance.now() - t);
        // An operator that exited (killed, crashed) is a result, not a bench failure to hide.
        if (operator.exitCode !== null || operator.signalCode !== null) {
          throw new Error(`the operator exited during the scale run (${operator.exitCode ?? operator.signalCode}); last log lines: ${log.slice(-5).join(' | ')}`);
        }
        peakRss = Math.max(peakRss, rssMiB(operator.pid!));
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const t0 = performance.now();
    const names = Array.from({ length: SCALE_CLUSTERS }, (_, i) => `s${i}`);
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(names.slice(i, i + 20).map((name) => client.request('POST', `/apis/ors.dev/v1alpha1/namespaces/${ns}/orsclusters`, {
        body: { apiVersion: 'ors.dev/v1alpha1', kind: 'OrsCluster', metadata: { name, namespace: ns }, spec },
      })));
    }
    let statusMs = NaN;
    let firstStatusMs = NaN;
    let proberFailure: unknown;
    prober.catch((error: unknown) => { proberFailure = error; });
    for (;;) {
      if (proberFailure) throw proberFailure;
      const list = await client.get<{ items: { metadata: { generation: number }; status?: { observedGeneration?: number; replicas?: number } }[] }>(`/apis/ors.dev/v1alpha1/namespaces/${ns}/orsclusters`);
      const statused = list.items.filter((c) => c.status?.observedGeneration === c.metadata.generation);
      if (Number.isNaN(firstStatusMs) && statused.length === SCALE_CLUSTERS) firstStatusMs = performance.now() - t0;
      if (list.items.length === SCALE_CLUSTERS && statused.every((c) => c.status!.replicas === SCALE_NODES) && statused.length === SCALE_CLUSTERS) {
        statusMs = performance.now() - t0;
        break;
      }
      if (performance.now() - t0 > 600_000) throw new Error('scale run: not every cluster has its status after 10 minutes');
      await new Promise((r) => setTimeout(r, 250));
    }
    // Settle: the StatefulSet controller keeps creating pods; let it finish and the operator follow.
    await new Promise((r) => setTimeout(r, 20_000));
    probing = false;
    await prober;
    const settledRss = rssMiB(operator.pid!);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const leaseAfter = (await client.get<{ spec: { leaseTransitions?: number } }>(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/ors-operator`)).spec.leaseTransitions ?? 0;
    const lostLeadership = log.filter((l) => l.includes('lost leadership')).length;
    // The baseline after the run, so the StatefulSet controller's work on its objects does not load the operator's.
    const directMs = await timeDirectApply(client, 'bench-scale-direct', SCALE_CLUSTERS, spec);
    if (process.env.ORS_BENCH_DEBUG) process.stderr.write(metrics.split('\n').filter((l) => l.startsWith('ors_operator')).join('\n') + '\n');
    return {
      statusMs, firstStatusMs, passes: reconcilePasses(metrics), healthProbes, healthFailures, healthWorstMs, leaseTransitions: leaseAfter - leaseBefore,
      lostLeadership, peakRss, settledRss, idleRss, directMs,
    };
  } finally {
    operator.kill('SIGKILL');
  }
}

const suite: BenchSuite = {
  title: 'Operator: apply to objects present, and memory',
  async run() {
    const plane = await startControlPlane({ controllerManager: true });
    const children: ChildProcess[] = [];
    try {
      const config = new KubeConfig();
      config.loadFromFile(plane.adminKubeconfig);
      const client = new KubeClient(config);
      await client.apply('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/orsclusters.ors.dev', parse(renderOrsClusterCrd()), 'bench');
      for (let i = 0; i < 100 && !(await client.find('/apis/ors.dev/v1alpha1')); i++) await new Promise((r) => setTimeout(r, 100));
      for (const ns of ['bench-one', 'bench-many', 'bench-direct']) await createNamespace(client, ns);

      const idle = spawn(node, ['-e', 'setTimeout(() => {}, 1e9)'], { stdio: 'ignore' });
      children.push(idle);
      // One operator per measurement namespace, each started and leading before timing.
      const manyMetricsPort = await freePort();
      const one = await startOperatorProcess(plane.adminKubeconfig, 'bench-one', await freePort());
      const many = await startOperatorProcess(plane.adminKubeconfig, 'bench-many', manyMetricsPort);
      children.push(one, many);
      for (const ns of ['bench-one', 'bench-many']) await waitForLeader(client, ns);
      await new Promise((r) => setTimeout(r, 1500)); // caches synced
      const operatorIdleRss = rssMiB(many.pid!);
      const directOne = await timeDirectApply(client, 'bench-direct', 1);
      const operatorOne = await timeOperator(client, 'bench-one', 1);
      const directMany = await timeDirectApply(client, 'bench-direct', 100);
      const operatorMany = await timeOperator(client, 'bench-many', 100);
      await new Promise((r) => setTimeout(r, 3000)); // settle: status writes done
      const operatorRss = rssMiB(many.pid!);
      const metrics = await (await fetch(`http://127.0.0.1:${manyMetricsPort}/metrics`)).text();
      const passes = reconcilePasses(metrics);
      const applies = counter(metrics, /^ors_operator_applies_total (\d+)/m);
      if (process.env.ORS_BENCH_DEBUG) process.stderr.write(metrics.split('\n').filter((l) => l.startsWith('ors_operator')).join('\n') + '\n');
      // The other operators stop: the scale run has the machine to itself.
      one.kill('SIGKILL');
      many.kill('SIGKILL');
      const scale = await scaleRun(client, plane.adminKubeconfig);
      const nodes = SCALE_CLUSTERS * SCALE_NODES;
      const idleRss = rssMiB(idle.pid!);
      const figures: BenchFigure[] = [
        { name: 'create 1 OrsCluster -> its 11 objects present', value: operatorOne, unit: 'ms', better: 'lower', baseline: { name: 'the bench applying the same 11 objects itself', value: directOne } },
        { name: 'create 100 OrsClusters -> 1,100 objects present', value: operatorMany, unit: 'ms', better: 'lower', baseline: { name: 'the bench applying the same 1,100 objects itself, 8 in flight', value: directMany } },
        { name: 'reconcile passes per OrsCluster, 100 clusters of 1 node (incl. those its own writes and the pods\' creation trigger)', value: passes / 100, unit: 'passes', better: 'lower', baseline: { name: 'one per cluster', value: 1 } },
        { name: 'server-side applies sent for 100 OrsClusters', value: applies, unit: 'requests', better: 'lower', baseline: { name: 'objects to apply (the Secret is created, not applied)', value: 1000 } },
        { name: 'operator RSS, leading, before any OrsCluster', value: operatorIdleRss, unit: 'MiB', better: 'lower', baseline: { name: 'idle node process', value: idleRss } },
        { name: 'operator RSS after reconciling 100 OrsClusters', value: operatorRss, unit: 'MiB', better: 'lower', baseline: { name: 'idle node process', value: idleRss } },
        { name: `${nodes.toLocaleString('en-US')} ORS nodes (${SCALE_CLUSTERS} clusters x ${SCALE_NODES}): create -> every cluster has a status`, value: scale.firstStatusMs, unit: 'ms', better: 'lower', target: '<= 60,000 ms', met: scale.firstStatusMs <= 60_000 },
        { name: `${nodes.toLocaleString('en-US')} ORS nodes: create -> every cluster's status shows all its nodes (every object applied)`, value: scale.statusMs, unit: 'ms', better: 'lower', baseline: { name: `the bench applying the same ${SCALE_CLUSTERS} clusters' objects itself, 8 in flight`, value: scale.directMs } },
        { name: `reconcile passes per OrsCluster in the ${nodes.toLocaleString('en-US')}-node run (StatefulSet controller creating ${2 * nodes} pods meanwhile)`, value: scale.passes / SCALE_CLUSTERS, unit: 'passes', better: 'lower', baseline: { name: 'one per cluster', value: 1 } },
        { name: `/healthz probes failed (2 s timeout) of ${scale.healthProbes}, one a second during the run; worst answer ${Math.round(scale.healthWorstMs)} ms`, value: scale.healthFailures, unit: 'failures', better: 'lower', target: '0', met: scale.healthFailures === 0 },
        { name: 'leadership lost during the run (operator Lease transitions + "lost leadership" log lines)', value: scale.leaseTransitions + scale.lostLeadership, unit: 'times', better: 'lower', target: '0', met: scale.leaseTransitions + scale.lostLeadership === 0 },
        { name: 'operator RSS, leading, before the scale run', value: scale.idleRss, unit: 'MiB', better: 'lower', baseline: { name: 'idle node process', value: idleRss } },
        { name: `operator peak RSS during the ${nodes.toLocaleString('en-US')}-node run`, value: scale.peakRss, unit: 'MiB', better: 'lower', baseline: { name: 'idle node process', value: idleRss }, target: '< chart limit', met: scale.peakRss < CHART_MEMORY_LIMIT_MIB },
        { name: `operator RSS ${Math.round(20)} s after the ${nodes.toLocaleString('en-US')}-node run`, value: scale.settledRss, unit: 'MiB', better: 'lower', baseline: { name: 'idle node process', value: idleRss } },
      ];
      return figures;
    } finally {
      for (const c of children) c.kill('SIGKILL');
      await plane.stop();
    }
  },
};
export default suite;

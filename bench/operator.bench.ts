// The operator on a real (private) kube-apiserver: time from creating OrsClusters to
// every object they own being present, for 1 and for 100 clusters, next to the time the
// bench process itself needs to server-side-apply the same objects (the apiserver's
// share); and the operator's resident memory next to an idle Node process's.
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
const node = path.join(root, 'node_modules/.bin/node');
const SPEC = { image: 'ors:1', nodes: 1 };

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/[^0-9]/g, '')) / 1024;
}

function desiredObjects(namespace: string, name: string, uid: string): KubernetesObject[] {
  const parsed = parseOrsCluster({ metadata: { name, namespace, uid }, spec: SPEC });
  if (!parsed.ok) throw new Error(parsed.message);
  return buildDesiredObjects(parsed.cluster, [0], 'c3luYy1rZXk=');
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
async function timeDirectApply(client: KubeClient, namespace: string, count: number): Promise<number> {
  const objects = Array.from({ length: count }, (_, i) => desiredObjects(namespace, `d${i}`, '00000000-0000-4000-8000-00000000000' + (i % 10)))
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

async function startOperatorProcess(kubeconfig: string, namespace: string, metricsPort: number): Promise<ChildProcess> {
  const child = spawn(node, [path.join(root, 'runtime/cli/ors.ts'), 'operator', '--kubeconfig', kubeconfig, '--watch-namespace', namespace,
    '--lease-namespace', namespace, '--metrics-bind-address', `127.0.0.1:${metricsPort}`,
    '--log-level', process.env.ORS_BENCH_DEBUG ? 'debug' : 'warn'], { cwd: root, stdio: ['ignore', process.env.ORS_BENCH_DEBUG ? 'inherit' : 'ignore', 'inherit'] });
  return child;
}

const suite: BenchSuite = {
  title: 'Operator: apply to objects present, and memory',
  async run() {
    const plane = await startControlPlane({ controllerManager: false });
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
      for (const ns of ['bench-one', 'bench-many']) {
        for (let i = 0; i < 300; i++) {
          const lease = await client.find<{ spec?: { holderIdentity?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/ors-operator`);
          if (lease?.spec?.holderIdentity) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await new Promise((r) => setTimeout(r, 1500)); // caches synced
      const operatorIdleRss = rssMiB(many.pid!);
      const directOne = await timeDirectApply(client, 'bench-direct', 1);
      const operatorOne = await timeOperator(client, 'bench-one', 1);
      const directMany = await timeDirectApply(client, 'bench-direct', 100);
      const operatorMany = await timeOperator(client, 'bench-many', 100);
      await new Promise((r) => setTimeout(r, 3000)); // settle: status writes done
      const operatorRss = rssMiB(many.pid!);
      const metrics = await (await fetch(`http://127.0.0.1:${manyMetricsPort}/metrics`)).text();
      const counter = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
      const passes = counter(/^ors_operator_reconciles_total\{result="ok"\} (\d+)/m) + (counter(/^ors_operator_reconciles_total\{result="error"\} (\d+)/m) || 0);
      const applies = counter(/^ors_operator_applies_total (\d+)/m);
      if (process.env.ORS_BENCH_DEBUG) process.stderr.write(metrics.split('\n').filter((l) => l.startsWith('ors_operator')).join('\n') + '\n');
      const idleRss = rssMiB(idle.pid!);
      const figures: BenchFigure[] = [
        { name: 'create 1 OrsCluster -> its 11 objects present', value: operatorOne, unit: 'ms', better: 'lower', baseline: { name: 'the bench applying the same 11 objects itself', value: directOne } },
        { name: 'create 100 OrsClusters -> 1,100 objects present', value: operatorMany, unit: 'ms', better: 'lower', baseline: { name: 'the bench applying the same 1,100 objects itself, 8 in flight', value: directMany } },
        { name: 'reconcile passes for 100 OrsClusters (incl. those triggered by its own writes)', value: passes, unit: 'passes', better: 'lower', baseline: { name: 'one per cluster', value: 100 } },
        { name: 'server-side applies sent for 100 OrsClusters', value: applies, unit: 'requests', better: 'lower', baseline: { name: 'objects to apply (the Secret is created, not applied)', value: 1000 } },
        { name: 'operator RSS, leading, before any OrsCluster', value: operatorIdleRss, unit: 'MiB', better: 'lower', baseline: { name: 'idle node process', value: idleRss } },
        { name: 'operator RSS after reconciling 100 OrsClusters', value: operatorRss, unit: 'MiB', better: 'lower', baseline: { name: 'idle node process', value: idleRss } },
      ];
      return figures;
    } finally {
      for (const c of children) c.kill('SIGKILL');
      await plane.stop();
    }
  },
};
export default suite;

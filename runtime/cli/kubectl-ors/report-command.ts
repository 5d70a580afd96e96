// `kubectl ors report <cluster>`: a support bundle — the OrsCluster, every object of the
// cluster (Secrets redacted), its events, the status view, each runtime's log and metrics,
// and the operator pods' logs — as a .tar.gz or a directory. What could not be read (no
// right, no kubelet, no such kind) is listed in errors.txt rather than failing the report.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { KubeClient } from '../../../operator/controller/kube-client.ts';
import { RESOURCE_TYPES, collectionPath } from '../../../operator/controller/resource-paths.ts';
import { clusterEvents, podMetrics, readClusterSnapshot, readOrsCluster, shortError } from './cluster-snapshot.ts';
import { connect, type KubeTargetOptions } from './kube-context.ts';
import { renderStatus } from './status-view.ts';
import { belongsToCluster, redact, tarGz, type BundleFile } from './support-bundle.ts';

const OPERATOR_SELECTOR = 'app.kubernetes.io/name=ors-operator';
const LOG_LIMIT_BYTES = 10 * 1024 * 1024;

async function podLog(client: KubeClient, namespace: string, pod: string, previous: boolean): Promise<string> {
  const text = await client.request<unknown>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`, {
    // JSON too: an error (no kubelet, pod unreachable) is a Status object, refused with 406 otherwise.
    accept: 'text/plain, application/json;q=0.9',
    query: { timestamps: true, limitBytes: LOG_LIMIT_BYTES, ...(previous ? { previous: true } : {}) },
  });
  if (text === undefined) return '';
  return typeof text === 'string' ? text : `${JSON.stringify(text)}\n`;
}

export async function collectBundle(client: KubeClient, namespace: string, name: string, operatorNamespace: string | undefined): Promise<BundleFile[]> {
  const files: BundleFile[] = [];
  const errors: string[] = [];
  const attempt = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      errors.push(`${what}: ${shortError(error)}`);
      return undefined;
    }
  };
  const cluster = await readOrsCluster(client, namespace, name);
  files.push({ path: 'orscluster.yaml', content: stringify(redact(cluster)) });
  const snapshot = await readClusterSnapshot(client, namespace, name);
  files.push({ path: 'status.txt', content: renderStatus(snapshot, { colour: false, events: 50 }) });
  const owner = { name, ...(cluster.metadata?.uid ? { uid: cluster.metadata.uid } : {}) };
  for (const type of RESOURCE_TYPES) {
    if (type.kind === 'Node' || type.kind === 'Event' || type.kind === 'OrsCluster') continue;
    const list = await attempt(`list ${type.kind}`, () => client.get<{ items: KubernetesObject[] }>(collectionPath(type, namespace)));
    for (const object of list?.items ?? []) {
      if (!belongsToCluster(object, owner)) continue;
      files.push({ path: `objects/${type.kind}/${object.metadata!.name}.yaml`, content: stringify(redact({ apiVersion: type.apiVersion, kind: type.kind, ...object })) });
    }
  }
  const events = await attempt('list events', () => clusterEvents(client, namespace, name));
  files.push({ path: 'events.yaml', content: stringify(events ?? []) });
  for (const pod of snapshot.pods) {
    const log = await attempt(`log of pod ${pod.name}`, () => podLog(client, namespace, pod.name, false));
    if (log !== undefined) files.push({ path: `logs/runtime/${pod.name}.log`, content: log });
    const previous = await podLog(client, namespace, pod.name, true).catch(() => undefined);
    if (previous) files.push({ path: `logs/runtime/${pod.name}.previous.log`, content: previous });
    const metrics = await attempt(`metrics of pod ${pod.name}`, () => podMetrics(client, namespace, pod.name, snapshot.httpPort));
    if (metrics !== undefined) files.push({ path: `metrics/${pod.name}.txt`, content: metrics });
  }
  const podsPath = operatorNamespace ? `/api/v1/namespaces/${encodeURIComponent(operatorNamespace)}/pods` : '/api/v1/pods';
  const operatorPods = await attempt(`list operator pods (${OPERATOR_SELECTOR})`, () =>
    client.request<{ items: V1Pod[] }>('GET', podsPath, { query: { labelSelector: OPERATOR_SELECTOR } }),
  );
  if (operatorPods && operatorPods.items.length === 0) errors.push(`no operator pods found (${OPERATOR_SELECTOR}${operatorNamespace ? ` in ${operatorNamespace}` : ''})`);
  for (const pod of operatorPods?.items ?? []) {
    const [podNamespace, podName] = [pod.metadata!.namespace!, pod.metadata!.name!];
    const log = await attempt(`log of operator pod ${podNamespace}/${podName}`, () => podLog(client, podNamespace, podName, false));
    if (log !== undefined) files.push({ path: `logs/operator/${podNamespace}_${podName}.log`, content: log });
  }
  files.push({ path: 'errors.txt', content: errors.length ? `${errors.join('\n')}\n` : 'none\n' });
  return files;
}

export function reportCommand(): Command {
  return new Command('report')
    .description('write a support bundle: the OrsCluster, its objects (Secrets redacted), events, runtime and operator logs')
    .argument('<cluster>', 'OrsCluster name')
    .option('-o, --output <path>', 'a .tar.gz/.tgz file, or a directory (default: ors-report-<cluster>-<time>.tar.gz)')
    .option('--operator-namespace <namespace>', 'where the operator pods run (default: search every namespace)')
    .action(async (cluster: string, options: { output?: string; operatorNamespace?: string }, command: Command) => {
      const { client, namespace } = connect(command.optsWithGlobals<KubeTargetOptions>());
      try {
        const now = new Date();
        const stamp = now.toISOString().replace(/[:.]/g, '-');
        const root = `ors-report-${cluster}-${stamp}`;
        const output = options.output ?? `${root}.tar.gz`;
        const files = await collectBundle(client, namespace, cluster, options.operatorNamespace);
        if (/\.(tar\.gz|tgz)$/.test(output)) {
          await writeFile(output, tarGz(root, files, now));
        } else {
          for (const file of files) {
            const target = path.join(output, ...file.path.split('/'));
            await mkdir(path.dirname(target), { recursive: true });
            await writeFile(target, file.content);
          }
        }
        process.stdout.write(`support bundle of ${cluster}: ${output} (${files.length} files)\n`);
      } finally {
        client.close();
      }
    });
}

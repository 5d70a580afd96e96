// One e2e environment per test file: a namespace of the shared control plane, the CRD,
// the operator process running with the Helm chart's ClusterRole, three process-node
// Node objects running the namespace's pods (each in its own network namespace on the
// run's pod network), and the HAProxy Ingress stand-in in the pod network's world. Users'
// steps go through the built kubectl (`kubectl apply -f`), as they would.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { KubeClient } from '../../operator/controller/kube-client.ts';
import { API_TOKENS_KEY } from '../../operator/builders/api-auth.ts';
import { apiTokensSecretName } from '../../operator/builders/names.ts';
import { freePorts } from '../infra/free-port.ts';
import { kubectlOrThrow } from '../infra/kubectl.ts';
import { waitUntil } from '../infra/wait-until.ts';
import { loadKubeConfig } from '../infra/kubeconfig.ts';
import { keptLogDirectory } from '../infra/kept-log-directory.ts';
import { sharedControlPlane, sharedPodNetwork } from '../infra/shared-control-plane.ts';
import type { PodNetwork } from '../infra/pod-network/pod-network.ts';
import { createTestNamespace } from '../infra/test-namespace.ts';
import { installCrd, operatorKubeconfig, startOperator, type OperatorProcess } from '../integration/operator/operator-harness.ts';
import { HaproxyIngress } from './ingress/haproxy-ingress.ts';
import { ProcessNode } from './process-node/process-node.ts';

const root = path.resolve(import.meta.dirname, '../..');
export const ORS_ENTRYPOINT = [path.join(root, 'node_modules/.bin/node'), path.join(root, 'runtime/cli/ors.ts')];

export interface E2eEnvironment {
  namespace: string;
  client: KubeClient;
  adminKubeconfig: string;
  processNode: ProcessNode;
  ingress: HaproxyIngress;
  operator: OperatorProcess;
  /** The run's pod network: pods' namespaces, the world's servers, link faults. */
  network: PodNetwork;
  /** Free ports for an OrsCluster's httpPort and syncPort (every pod has its own address). */
  ports: { http: number; sync: number };
  kubectl(args: readonly string[], input?: string): Promise<string>;
  /** kubectl apply -f <file with this object>. */
  apply(object: unknown): Promise<string>;
  /** The first bearer token of the Secret the operator created for `cluster` (<cluster>-api-tokens), once it exists. */
  apiToken(cluster: string): Promise<string>;
  /** What to print when a test fails: operator log, process-node journal, pod logs. */
  report(): string;
  stop(): Promise<void>;
}

/** The control plane an environment runs on: the run's shared one by default. */
export interface PlaneAccess {
  kubeconfig: string;
  server: string;
  caFile: string;
}

export async function startE2eEnvironment(prefix: string, plane: PlaneAccess = sharedControlPlane()): Promise<E2eEnvironment> {
  const network = sharedPodNetwork();
  const client = new KubeClient(loadKubeConfig(plane.kubeconfig));
  const ns = await createTestNamespace(client.config, prefix);
  await installCrd(client);
  const operatorConfig = await operatorKubeconfig(client, plane, ns.name);
  // The chart's default election timings: the harness's short ones flap on a busy machine.
  const operator = await startOperator({
    kubeconfig: operatorConfig,
    namespace: ns.name,
    identity: `${ns.name}-operator`,
    extraArgs: ['--lease-duration', '15', '--renew-deadline', '10', '--retry-period', '2'],
  });
  const processNode = await ProcessNode.start({
    client,
    namespace: ns.name,
    nodeNames: ['a', 'b', 'c'].map((n) => `${ns.name}-${n}`),
    server: plane.server,
    caFile: plane.caFile,
    dir: keptLogDirectory(path.join(os.homedir(), '.cache'), 'ors-e2e-'),
    entrypoint: ORS_ENTRYPOINT,
    network,
  });
  const ingress = await HaproxyIngress.start(client, ns.name, await network.placeInWorld());
  const [http, sync] = await freePorts(2);
  const manifests = await mkdtemp(path.join(os.tmpdir(), 'ors-e2e-manifests-'));
  let counter = 0;
  const kubectl = (args: readonly string[], input?: string) => kubectlOrThrow(plane.kubeconfig, ['-n', ns.name, ...args], input);
  return {
    namespace: ns.name,
    client,
    adminKubeconfig: plane.kubeconfig,
    processNode,
    ingress,
    operator,
    network,
    ports: { http, sync },
    kubectl,
    async apply(object) {
      const file = path.join(manifests, `manifest-${counter++}.yaml`);
      await writeFile(file, stringify(object));
      return kubectl(['apply', '-f', file]);
    },
    async apiToken(cluster) {
      const secret = await waitUntil(
        () => client.find<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns.name}/secrets/${apiTokensSecretName(cluster)}`),
        { what: `Secret ${apiTokensSecretName(cluster)}`, timeoutMs: 60_000 },
      );
      const token = Buffer.from(secret.data?.[API_TOKENS_KEY] ?? '', 'base64').toString('utf8').split('\n')[0]?.trim();
      if (!token) throw new Error(`Secret ${apiTokensSecretName(cluster)} holds no token`);
      return token;
    },
    report() {
      const pods = processNode.allRunners().map((r) => `----- pod ${r.name} (${r.podIP}, pid ${r.pid ?? '-'}) ${r.logFile}`).join('\n');
      return [
        `----- operator (last 40 lines)\n${operator.logs.slice(-40).join('\n')}`,
        `----- process node (last 60 lines)\n${processNode.journal.slice(-60).join('\n')}`,
        `----- ingress: ${ingress.reloads.length} reloads, last error ${ingress.lastError ?? 'none'}, config ${ingress.haproxy.configFile}`,
        pods,
      ].join('\n');
    },
    async stop() {
      await operator.stop();
      await processNode.stop();
      await ingress.stop();
      await ns.remove().catch(() => undefined);
      await network.destroy();
      client.close();
    },
  };
}

// The process node: the kubelet (and scheduler) of the e2e harness. It registers Node
// objects and keeps their node Leases fresh, binds the test namespace's pending pods to
// them, runs each bound pod as a sandboxed local process in a network namespace of its
// own on the pod network (test/infra/pod-network/, pod-runner.ts), keeps the cluster DNS hosts file current, and on a pod's deletion
// stops its process and confirms the deletion. Everything else — StatefulSets making
// pods, EndpointSlices following readiness, garbage collection — is the real
// kube-controller-manager's work.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { KubeApiError, type KubeClient } from '../../../operator/controller/kube-client.ts';
import { hostsFile } from './cluster-dns.ts';
import { PodRunner } from './pod-runner.ts';
import { chooseNode } from './pod-scheduling.ts';
import type { PodNetwork } from '../../infra/pod-network/pod-network.ts';

export interface ProcessNodeOptions {
  /** Admin client (the kubelet's and scheduler's rights). */
  client: KubeClient;
  namespace: string;
  /** Names of the Node objects to register (unique in the shared control plane). */
  nodeNames: readonly string[];
  /** API server URL and CA, for the pods' in-cluster configuration. */
  server: string;
  caFile: string;
  /** Folder for pod folders, outside /tmp (a pod's /tmp is an emptyDir over it). */
  dir: string;
  /** Stands in for the image's ENTRYPOINT. */
  entrypoint: readonly string[];
  /** The run's pod network: each pod gets a namespace and an address on it. */
  network: PodNetwork;
}

const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export class ProcessNode {
  readonly journal: string[] = [];
  private readonly options: ProcessNodeOptions;
  private readonly runners = new Map<string, PodRunner>();
  private readonly terminating = new Map<string, Promise<void>>();
  private readonly hosts: string;
  private running = true;
  private loop: Promise<void> | undefined;
  private leaseLoop: Promise<void> | undefined;
  private lastHosts = '';

  private constructor(options: ProcessNodeOptions) {
    this.options = options;
    this.hosts = path.join(options.dir, 'hosts');
  }

  static async start(options: ProcessNodeOptions): Promise<ProcessNode> {
    await mkdir(options.dir, { recursive: true });
    const node = new ProcessNode(options);
    await writeFile(node.hosts, hostsFile([]));
    for (const name of options.nodeNames) await node.registerNode(name);
    node.leaseLoop = node.renewNodeLeases();
    node.loop = node.run();
    return node;
  }

  log(message: string): void {
    this.journal.push(`${new Date().toISOString()} ${message}`);
  }

  /** The runner of the live pod called `name`. */
  runner(name: string): PodRunner | undefined {
    return [...this.runners.values()].find((r) => r.name === name);
  }

  allRunners(): PodRunner[] {
    return [...this.runners.values()];
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.leaseLoop;
    await Promise.all([...this.runners.values()].map((r) => r.stop(2)));
    await Promise.all(this.terminating.values());
    for (const name of this.options.nodeNames) {
      await this.options.client.delete(`/api/v1/nodes/${name}`).catch(() => undefined);
      await this.options.client.delete(`/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases/${name}`).catch(() => undefined);
    }
    // The pod folders (container logs) stay for post-mortems.
  }

  /** The node's address: the host's end of the pod network, where probes come from. */
  private get hostIP(): string {
    return this.options.network.description.hostAddress;
  }

  private async registerNode(name: string): Promise<void> {
    const { client } = this.options;
    await client.apply(`/api/v1/nodes/${name}`, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'ors.dev/process-node': 'true' } },
    }, 'process-node');
    await this.writeNodeStatus(name);
  }

  /** The Node's status as a kubelet posts it: capacity, addresses, Ready. */
  private async writeNodeStatus(name: string): Promise<void> {
    const { client } = this.options;
    const now = new Date().toISOString();
    await client.mergePatch(`/api/v1/nodes/${name}/status`, {
      status: {
        capacity: { cpu: '64', memory: '256Gi', pods: '250' },
        allocatable: { cpu: '64', memory: '256Gi', pods: '250' },
        addresses: [{ type: 'InternalIP', address: this.hostIP }, { type: 'Hostname', address: name }],
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'process node', lastHeartbeatTime: now, lastTransitionTime: now }],
        nodeInfo: { kubeletVersion: 'process-node', containerRuntimeVersion: 'process://', architecture: 'amd64', operatingSystem: 'linux' },
      },
    }, 'process-node');
  }

  /**
   * Node heartbeats, so the node lifecycle controller does not mark the nodes NotReady; and
   * when it did anyway (its view of the leases went stale across kube-apiserver restarts, it
   * set Ready to Unknown), the Node's status is posted again, as the kubelet's node status
   * update does when its view and the API server's differ.
   */
  private async renewNodeLeases(): Promise<void> {
    while (this.running) {
      for (const name of this.options.nodeNames) {
        const node = await this.options.client.find<V1Node>(`/api/v1/nodes/${name}`).catch(() => undefined);
        if (node && node.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') {
          this.log(`node ${name}: Ready is ${node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'unset'} in the API; posting the node status again`);
          await this.writeNodeStatus(name).catch((error: Error) => this.log(`node status ${name}: ${error.message}`));
        }
        const now = new Date().toISOString().replace('Z', '000Z');
        await this.options.client.apply(`/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases/${name}`, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace: NODE_LEASE_NAMESPACE },
          spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: now },
        }, 'process-node').catch((error: Error) => this.log(`node lease ${name}: ${error.message}`));
      }
      for (let i = 0; i < 20 && this.running; i++) await sleep(250);
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.reconcile();
      } catch (error) {
        this.log(`reconcile: ${(error as Error).message}`);
      }
      await sleep(200);
    }
  }

  private async reconcile(): Promise<void> {
    const { client, namespace, nodeNames } = this.options;
    const pods = (await client.get<{ items: V1Pod[] }>(`/api/v1/namespaces/${namespace}/pods`)).items;
    const nodes = (await client.get<{ items: V1Node[] }>('/api/v1/nodes', )).items.filter((n) => nodeNames.includes(n.metadata!.name!));
    await this.updateHosts(pods);
    const seen = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata!.uid!;
      seen.add(uid);
      const deleting = Boolean(pod.metadata?.deletionTimestamp);
      if (!pod.spec?.nodeName) {
        if (!deleting) await this.bind(pod, nodes, pods);
        continue;
      }
      if (!nodeNames.includes(pod.spec.nodeName)) continue;
      const runner = this.runners.get(uid);
      if (deleting) {
        if (!this.terminating.has(uid)) this.terminating.set(uid, this.terminate(pod, runner));
        continue;
      }
      if (runner) {
        runner.update(pod);
        // Like the kubelet's status resync: a write that failed (API server down) is
        // retried, and a status someone else changed is written again.
        void runner.resyncStatus(pod);
        continue;
      }
      if (this.terminating.has(uid) || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      const netns = await this.options.network.addPod(pod.metadata!.name!);
      const created = new PodRunner(pod, netns, path.join(this.options.dir, 'pods', `${pod.metadata!.name}-${uid.slice(0, 8)}`), {
        client,
        entrypoint: this.options.entrypoint,
        hostIP: this.hostIP,
        hostsFile: this.hosts,
        apiHost: new URL(this.options.server).hostname,
        apiPort: Number(new URL(this.options.server).port),
        caFile: this.options.caFile,
        log: (m) => this.log(m),
      });
      this.runners.set(uid, created);
      await mkdir(created.dir, { recursive: true });
      await created.start();
    }
    // Pods force-deleted (or whose namespace went) while running: stop at once.
    for (const [uid, runner] of this.runners) {
      if (!seen.has(uid) && !this.terminating.has(uid)) {
        this.terminating.set(uid, runner.stop(0).then(() => {
          this.runners.delete(uid);
          this.terminating.delete(uid);
        }));
      }
    }
  }

  private async updateHosts(pods: V1Pod[]): Promise<void> {
    const withAddresses = pods.map((pod) => {
      const runner = this.runners.get(pod.metadata!.uid!);
      return runner ? { ...pod, status: { ...pod.status, podIP: runner.podIP } } : pod;
    });
    const text = hostsFile(withAddresses);
    if (text === this.lastHosts) return;
    // Written in place: the sandboxes bind-mount this very file (inode) as /etc/hosts.
    await writeFile(this.hosts, text);
    this.lastHosts = text;
  }

  private async bind(pod: V1Pod, nodes: V1Node[], pods: V1Pod[]): Promise<void> {
    const target = chooseNode(pod, nodes, pods);
    if (!target) return;
    const name = pod.metadata!.name!;
    try {
      await this.options.client.request('POST', `/api/v1/namespaces/${pod.metadata!.namespace}/pods/${name}/binding`, {
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, uid: pod.metadata!.uid }, target: { apiVersion: 'v1', kind: 'Node', name: target } },
      });
      pod.spec!.nodeName = target;
      this.log(`bound ${name} to ${target}`);
    } catch (error) {
      if (!(error instanceof KubeApiError && (error.status === 409 || error.status === 404))) throw error;
    }
  }

  /** Graceful deletion: stop the process within the grace period, then confirm (delete with grace 0). */
  private async terminate(pod: V1Pod, runner: PodRunner | undefined): Promise<void> {
    const uid = pod.metadata!.uid!;
    const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    try {
      if (runner) {
        this.log(`pod ${runner.name}: deleting (grace ${grace} s)`);
        await runner.stop(grace);
      }
      await this.options.client.request('DELETE', `/api/v1/namespaces/${pod.metadata!.namespace}/pods/${pod.metadata!.name}`, {
        body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } },
      }).catch((error: unknown) => {
        if (!(error instanceof KubeApiError && (error.status === 404 || error.status === 409))) throw error;
      });
      this.runners.delete(uid);
    } catch (error) {
      this.log(`pod ${pod.metadata!.name}: termination failed: ${(error as Error).message}`);
    } finally {
      this.terminating.delete(uid);
    }
  }
}

// Plays the part of the runtime pods, which the test control plane cannot run (no
// kubelet): it watches (by polling) the pods and Leases of an OrsCluster and follows
// the pod contract (operator/api/pod-contract.md): a recreated backup reports synced a
// little later; a primary asked to step down hands the Lease to its backup; the new
// primary is Ready, the old one not; when asked, each holder reports its load as a runtime
// primary does with its renewals. Everything it sees and does goes into `journal`.
import type { V1Lease, V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../../../operator/controller/kube-client.ts';
import { STEP_DOWN_ANNOTATION, DRAIN_ANNOTATION, ACTIVE_SESSIONS_ANNOTATION, parseSyncState, PRIMARY_LOAD_ANNOTATION, SYNC_STATE_ANNOTATION } from '../../../operator/api/pod-contract.ts';
import { setLeaseHolder, setPodReady, setSyncState } from './operator-harness.ts';

export class PodPlayer {
  readonly journal: string[] = [];
  private readonly uids = new Map<string, string>();
  private readonly pendingSync = new Map<number, number>();
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly client: KubeClient;
  private readonly namespace: string;
  private readonly cluster: string;
  private readonly nodes: () => number;
  /** Delay before a recreated backup reports synced. */
  syncDelayMs = 800;
  /** When set, each node's holder keeps ors.dev/primary-load up to date with these figures (refreshed every second, as renewals do). */
  primaryLoad: ((node: number) => { sessions: number; syncLagMs: number } | undefined) | undefined;
  private readonly loadReported = new Map<number, { key: string; at: number }>();

  constructor(client: KubeClient, namespace: string, cluster: string, nodes: () => number) {
    this.client = client;
    this.namespace = namespace;
    this.cluster = cluster;
    this.nodes = nodes;
  }

  /** Gives every node a primary (pod 0), Ready, and a synced backup (pod 1). */
  async bootstrap(): Promise<void> {
    for (let node = 0; node < this.nodes(); node++) {
      const [primary, backup] = [`${this.cluster}-node-${node}-0`, `${this.cluster}-node-${node}-1`];
      // As a runtime's first election does: a created Lease starts at leaseTransitions 1.
      await setLeaseHolder(this.client, this.namespace, `${this.cluster}-node-${node}`, primary, 1);
      await setPodReady(this.client, this.namespace, primary, true);
      await setPodReady(this.client, this.namespace, backup, false);
      await setSyncState(this.client, this.namespace, `${this.cluster}-node-${node}`, backup, primary, true);
    }
    await this.observePods();
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.step();
        } catch (error) {
          this.journal.push(`player error: ${(error as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async pods(): Promise<V1Pod[]> {
    const list = await this.client.get<{ items: V1Pod[] }>(`/api/v1/namespaces/${this.namespace}/pods?labelSelector=ors.dev%2Fcluster%3D${this.cluster}`);
    return list.items;
  }

  private async observePods(): Promise<V1Pod[]> {
    const pods = await this.pods();
    for (const p of pods) if (!this.uids.has(p.metadata!.name!)) this.uids.set(p.metadata!.name!, p.metadata!.uid!);
    return pods;
  }

  private async lease(node: number): Promise<V1Lease | undefined> {
    return this.client.find<V1Lease>(`/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases/${this.cluster}-node-${node}`);
  }

  private async step(): Promise<void> {
    const pods = await this.pods();
    for (const p of pods) {
      const name = p.metadata!.name!;
      const before = this.uids.get(name);
      if (before && before !== p.metadata!.uid) this.journal.push(`replaced ${name}`);
      if (before !== p.metadata!.uid) {
        this.uids.set(name, p.metadata!.uid!);
        const node = Number(p.metadata!.labels!['ors.dev/node']);
        if (before) this.pendingSync.set(node, Date.now() + this.syncDelayMs);
      }
    }
    for (let node = 0; node < this.nodes() + 2; node++) {
      const lease = await this.lease(node);
      if (!lease) continue;
      const holder = lease.spec?.holderIdentity;
      const annotations = lease.metadata?.annotations ?? {};
      const other = pods.find((p) => Number(p.metadata!.labels!['ors.dev/node']) === node && p.metadata!.name !== holder && !p.metadata!.deletionTimestamp);
      const syncAt = this.pendingSync.get(node);
      if (syncAt !== undefined && Date.now() >= syncAt && holder && other) {
        this.pendingSync.delete(node);
        await setSyncState(this.client, this.namespace, lease.metadata!.name!, other.metadata!.name!, holder, true);
        this.journal.push(`synced ${other.metadata!.name}`);
      }
      if (annotations[STEP_DOWN_ANNOTATION] && annotations[STEP_DOWN_ANNOTATION] === holder && other) {
        const sync = parseSyncState(annotations[SYNC_STATE_ANNOTATION]);
        this.journal.push(`step-down ${holder}${sync?.synced && sync.backup === other.metadata!.name ? '' : ' (backup NOT synced)'}`);
        await setLeaseHolder(this.client, this.namespace, lease.metadata!.name!, other.metadata!.name!, (lease.spec?.leaseTransitions ?? 0) + 1);
        await setPodReady(this.client, this.namespace, other.metadata!.name!, true);
        await setPodReady(this.client, this.namespace, holder!, false);
        await setSyncState(this.client, this.namespace, lease.metadata!.name!, holder!, other.metadata!.name!, false);
        this.pendingSync.set(node, Date.now() + this.syncDelayMs);
      }
      await this.reportLoad(node, lease);
      if (annotations[DRAIN_ANNOTATION] && annotations[ACTIVE_SESSIONS_ANNOTATION] === undefined) {
        this.journal.push(`drain node ${node}`);
        await this.client.mergePatch(`/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases/${lease.metadata!.name}`, {
          metadata: { annotations: { [ACTIVE_SESSIONS_ANNOTATION]: '0' } },
        }, 'test-pods');
      }
    }
  }

  private async reportLoad(node: number, lease: V1Lease): Promise<void> {
    const holder = lease.spec?.holderIdentity;
    const figures = holder ? this.primaryLoad?.(node) : undefined;
    if (!holder || !figures) return;
    const key = JSON.stringify([holder, figures]);
    const last = this.loadReported.get(node);
    if (last?.key === key && Date.now() - last.at < 1000) return;
    this.loadReported.set(node, { key, at: Date.now() });
    await this.client.mergePatch(`/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases/${lease.metadata!.name}`, {
      metadata: { annotations: { [PRIMARY_LOAD_ANNOTATION]: JSON.stringify({ primary: holder, ...figures, at: new Date().toISOString() }) } },
    }, 'test-pods');
  }
}

// The operator against the real kube-apiserver and kube-controller-manager, running
// under the Helm chart's ClusterRole: create -> every object with owner references;
// status from Leases and readiness; a spec change rolled out backup-first with one
// switchover per node; manual switchover; drain of a cordoned node; scale-down; delete.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KubernetesObject, V1Lease, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import { parseOrsCluster } from '../../../operator/api/parse-ors-cluster.ts';
import type { OrsClusterStatus } from '../../../operator/api/ors-cluster.ts';
import { buildDesiredObjects } from '../../../operator/builders/desired-objects.ts';
import { pathOf } from '../../../operator/controller/resource-paths.ts';
import type { KubeClient } from '../../../operator/controller/kube-client.ts';
import { createTestNamespace } from '../../infra/test-namespace.ts';
import {
  adminClient, createOrsCluster, installCrd, operatorKubeconfig, orsClusterPath, startOperator, waitFor, type OperatorProcess,
} from './operator-harness.ts';
import { PodPlayer } from './pod-player.ts';

const NAME = 'demo';
let admin: KubeClient;
let namespace: string;
let removeNamespace: () => Promise<void>;
let operator: OperatorProcess;
let player: PodPlayer;
let nodes = 2;

type Cluster = KubernetesObject & { spec: Record<string, unknown>; status?: OrsClusterStatus };
const getCluster = () => admin.get<Cluster>(orsClusterPath(namespace, NAME));
const evict = (pod: string) => admin.request('POST', `/api/v1/namespaces/${namespace}/pods/${pod}/eviction`, {
  body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace } },
});

beforeAll(async () => {
  const plane = inject('controlPlane');
  admin = adminClient(plane.kubeconfig);
  await installCrd(admin);
  const config = new KubeConfig();
  config.loadFromFile(plane.kubeconfig);
  const ns = await createTestNamespace(config, 'ors-op');
  namespace = ns.name;
  removeNamespace = ns.remove;
  const kubeconfig = await operatorKubeconfig(admin, plane, namespace);
  operator = await startOperator({ kubeconfig, namespace, identity: 'operator-a' });
  player = new PodPlayer(admin, namespace, NAME, () => nodes);
});

afterEach(({ task }) => {
  if (task.result?.state === 'fail') console.error(`pod player journal:\n${player?.journal.slice(-40).join('\n')}`);
});

afterAll(async () => {
  await player?.stop();
  for (const suffix of ['a', 'b']) await admin?.delete(`/api/v1/nodes/${namespace}-${suffix}`);
  await operator?.stop();
  if (operator && process.env.ORS_TEST_VERBOSE) console.log(operator.logs.join('\n'));
  await removeNamespace?.();
});

describe('ors operator on a real control plane', () => {
  it('creates every desired object, owned by the OrsCluster, and adds its finalizer', async () => {
    const created = await createOrsCluster(admin, namespace, NAME, {
      nodes: 2,
      image: 'ghcr.io/ors/runtime:1',
      strategies: [{ name: 'hello.scxml', scxml: '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"><final id="f"/></scxml>' }],
      routing: { host: 'ors.example.test', ingress: { enabled: true } },
    });
    const parsed = parseOrsCluster(created as never);
    if (!parsed.ok) throw new Error(parsed.message);
    const expected = buildDesiredObjects(parsed.cluster, [0, 1], { syncKey: 'unused', apiTokens: 'unused' });
    expect(expected.map((o) => o.kind)).toContain('Ingress');
    for (const o of expected) {
      const live = await waitFor(`${o.kind} ${o.metadata!.name}`, () => admin.find<KubernetesObject>(pathOf(o.apiVersion!, o.kind!, namespace, o.metadata!.name!)), 30_000);
      expect(live.metadata!.ownerReferences, `${o.kind} ${o.metadata!.name}`).toEqual([
        expect.objectContaining({ kind: 'OrsCluster', name: NAME, uid: created.metadata!.uid, controller: true }),
      ]);
      expect(live.metadata!.managedFields?.some((f) => f.manager === 'ors-operator' && f.operation === 'Apply') || o.kind === 'Secret').toBe(true);
    }
    expect((await getCluster()).metadata!.finalizers).toContain('ors.dev/cleanup');
    // kube-controller-manager makes the StatefulSets' pods (they stay Pending: no kubelet).
    await waitFor('4 runtime pods', async () => {
      const pods = await admin.get<{ items: V1Pod[] }>(`/api/v1/namespaces/${namespace}/pods`);
      return pods.items.length === 4 ? true : undefined;
    });
  });

  it('reports status from the Leases, pod readiness and the backups\' sync state', async () => {
    await player.bootstrap();
    const status = await waitFor('status with 2 ready nodes', async () => {
      const s = (await getCluster()).status;
      return s?.readyNodes === 2 && s.nodes?.every((n) => n.synced) ? s : undefined;
    });
    expect(status).toMatchObject({
      phase: 'Running', replicas: 2,
      nodes: [
        { id: 0, primary: 'demo-node-0-0', backup: 'demo-node-0-1', ready: true, synced: true },
        { id: 1, primary: 'demo-node-1-0', backup: 'demo-node-1-1', ready: true, synced: true },
      ],
    });
    expect(status.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'AllNodesReady' });
    // The primary of node 1 stops answering /heartbeat: the node is not ready.
    const { setPodReady } = await import('./operator-harness.ts');
    await setPodReady(admin, namespace, 'demo-node-1-0', false);
    const degraded = await waitFor('readyNodes 1', async () => {
      const s = (await getCluster()).status;
      return s?.readyNodes === 1 ? s : undefined;
    });
    expect(degraded.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'NodesNotReady' });
    expect(degraded.nodes![1]).toMatchObject({ ready: false });
    await setPodReady(admin, namespace, 'demo-node-1-0', true);
    await waitFor('readyNodes 2 again', async () => ((await getCluster()).status?.readyNodes === 2 ? true : undefined));
  });

  it('rolls a spec change out node by node: backup, sync, one switchover, old primary', async () => {
    player.start();
    await admin.mergePatch(orsClusterPath(namespace, NAME), { spec: { image: 'ghcr.io/ors/runtime:2' } }, 'test');
    const done = await waitFor('every pod on the new revision', async () => {
      const sets = await Promise.all([0, 1].map((n) => admin.get<V1StatefulSet>(pathOf('apps/v1', 'StatefulSet', namespace, `demo-node-${n}`))));
      const pods = (await admin.get<{ items: V1Pod[] }>(`/api/v1/namespaces/${namespace}/pods`)).items;
      const updated = sets.every((s) => s.spec!.template.spec!.containers[0]!.image === 'ghcr.io/ors/runtime:2' && s.status?.observedGeneration === s.metadata!.generation && pods.filter((p) => p.metadata!.labels!['ors.dev/node'] === s.metadata!.labels!['ors.dev/node']).every((p) => p.metadata!.labels!['controller-revision-hash'] === s.status?.updateRevision));
      const status = (await getCluster()).status;
      return updated && pods.length === 4 && status?.phase === 'Running' && status.nodes?.every((n) => n.synced) ? status : undefined;
    }, 120_000);
    const steps = player.journal.filter((line) => /^(replaced|step-down)/.test(line));
    expect(steps).toEqual([
      'replaced demo-node-0-1',
      'step-down demo-node-0-0',
      'replaced demo-node-0-0',
      'replaced demo-node-1-1',
      'step-down demo-node-1-0',
      'replaced demo-node-1-0',
    ]);
    // Each switchover came only after the replaced backup reported synced.
    const journal = player.journal;
    expect(journal.indexOf('synced demo-node-0-1')).toBeLessThan(journal.indexOf('step-down demo-node-0-0'));
    expect(journal.indexOf('synced demo-node-1-1')).toBeLessThan(journal.indexOf('step-down demo-node-1-0'));
    expect(done.nodes!.map((n) => n.primary)).toEqual(['demo-node-0-1', 'demo-node-1-1']);
    expect(done.nodes!.every((n) => n.lastSwitchover)).toBe(true);
    const leases = await Promise.all([0, 1].map((n) => admin.get<V1Lease>(pathOf('coordination.k8s.io/v1', 'Lease', namespace, `demo-node-${n}`))));
    expect(leases.map((l) => l.spec!.leaseTransitions)).toEqual([2, 2]);
    expect(leases.every((l) => !l.metadata!.annotations?.['ors.dev/step-down'])).toBe(true);
    const events = (await admin.get<{ items: { reason: string; message: string; involvedObject: { name: string } }[] }>(`/api/v1/namespaces/${namespace}/events`)).items;
    const reasons = events.filter((e) => e.involvedObject.name === NAME).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['ReplaceBackup', 'SwitchoverRequested', 'SwitchedOver']));
  });

  it('switches a node over on request (annotation ors.dev/switchover), once', async () => {
    await admin.mergePatch(orsClusterPath(namespace, NAME), { metadata: { annotations: { 'ors.dev/switchover': '0' } } }, 'test');
    const status = await waitFor('manual switchover handled', async () => {
      const s = (await getCluster()).status;
      return s?.handledSwitchoverRequest === '0' && s.nodes?.[0]?.primary === 'demo-node-0-0' ? s : undefined;
    });
    expect(status.nodes![1]!.primary).toBe('demo-node-1-1');
    expect(player.journal.filter((l) => l === 'step-down demo-node-0-1')).toHaveLength(1);
  });

  it('moves a primary off a cordoned Kubernetes node', async () => {
    // Put node 1's pods on two Kubernetes nodes (binding, as a scheduler would), then cordon the primary's.
    // (Deleting these Nodes before the end would let the pod GC delete pods bound to them.)
    for (const [kubeNode, pod] of [[`${namespace}-a`, 'demo-node-1-1'], [`${namespace}-b`, 'demo-node-1-0']] as const) {
      await admin.apply(`/api/v1/nodes/${kubeNode}`, { apiVersion: 'v1', kind: 'Node', metadata: { name: kubeNode } }, 'test');
      await admin.request('POST', `/api/v1/namespaces/${namespace}/pods/${pod}/binding`, {
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod }, target: { apiVersion: 'v1', kind: 'Node', name: kubeNode } },
      });
    }
    await waitFor('node 1 synced', async () => ((await getCluster()).status?.nodes?.[1]?.synced ? true : undefined));
    // The PDB protects the only Ready pod: evicting the primary is refused...
    await waitFor('PDB computed', async () => {
      const pdb = await admin.get<{ status?: { currentHealthy?: number } }>(pathOf('policy/v1', 'PodDisruptionBudget', namespace, 'demo-node-1'));
      return pdb.status?.currentHealthy === 1 ? true : undefined;
    });
    await expect(evict('demo-node-1-1')).rejects.toThrow(/429.*disruption budget/);
    await admin.mergePatch(`/api/v1/nodes/${namespace}-a`, { spec: { unschedulable: true } }, 'test');
    await waitFor('primary of node 1 off the cordoned node', async () => ((await getCluster()).status?.nodes?.[1]?.primary === 'demo-node-1-0' ? true : undefined));
    expect(player.journal).toContain('step-down demo-node-1-1');
    // ...and once it is the (never Ready) backup, the drain's eviction goes through.
    const replacedBefore = player.journal.filter((l) => l === 'replaced demo-node-1-1').length;
    await evict('demo-node-1-1');
    // Play the kubelet: the pod is on a Node, so deletion waits for it to confirm termination.
    await admin.request('DELETE', `/api/v1/namespaces/${namespace}/pods/demo-node-1-1`, { body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 } });
    await waitFor('evicted pod recreated', async () => (player.journal.filter((l) => l === 'replaced demo-node-1-1').length > replacedBefore ? true : undefined));
  });

  it('scales down by draining the removed node, then deleting it and its Lease', async () => {
    await waitFor('all synced before scaling', async () => ((await getCluster()).status?.nodes?.every((n) => n.synced) ? true : undefined));
    await admin.mergePatch(orsClusterPath(namespace, NAME), { spec: { nodes: 1 } }, 'test');
    await waitFor('node 1 removed', async () => {
      const sts = await admin.find(pathOf('apps/v1', 'StatefulSet', namespace, 'demo-node-1'));
      const lease = await admin.find(pathOf('coordination.k8s.io/v1', 'Lease', namespace, 'demo-node-1'));
      const s = (await getCluster()).status;
      return !sts && !lease && s?.nodes?.length === 1 && s.replicas === 1 ? true : undefined;
    });
    nodes = 1;
    expect(player.journal).toContain('drain node 1');
    for (const [kind, apiVersion, name] of [['Service', 'v1', 'demo-node-1'], ['Service', 'v1', 'demo-node-1-sync'], ['PodDisruptionBudget', 'policy/v1', 'demo-node-1']] as const) {
      expect(await admin.find(pathOf(apiVersion, kind, namespace, name)), `${kind} ${name}`).toBeUndefined();
    }
  });

  it('on delete, removes the Leases, releases the finalizer, and garbage collection removes the rest', async () => {
    await player.stop();
    await admin.delete(orsClusterPath(namespace, NAME));
    await waitFor('the OrsCluster gone', async () => ((await admin.find(orsClusterPath(namespace, NAME))) ? undefined : true));
    expect(await admin.find(pathOf('coordination.k8s.io/v1', 'Lease', namespace, 'demo-node-0'))).toBeUndefined();
    await waitFor('owned objects garbage-collected', async () => {
      const left = await Promise.all([
        admin.find(pathOf('apps/v1', 'StatefulSet', namespace, 'demo-node-0')),
        admin.find(pathOf('v1', 'Service', namespace, 'demo')),
        admin.find(pathOf('v1', 'ConfigMap', namespace, 'demo-options')),
        admin.find(pathOf('v1', 'Secret', namespace, 'demo-sync-key')),
        admin.find(pathOf('networking.k8s.io/v1', 'Ingress', namespace, 'demo')),
      ]);
      return left.every((o) => o === undefined) ? true : undefined;
    }, 90_000);
  });

  it('reports what only it can detect (a missing strategy ConfigMap) as Degraded, and recovers', async () => {
    await createOrsCluster(admin, namespace, 'refs', { image: 'ors:1', strategies: [{ name: 'main.scxml', configMap: { name: 'my-strategies', key: 'main.scxml' } }] });
    const degraded = await waitFor('Degraded StrategyConfigMapMissing', async () => {
      const s = (await admin.get<Cluster>(orsClusterPath(namespace, 'refs'))).status;
      const c = s?.conditions?.find((x) => x.type === 'Degraded');
      return c?.status === 'True' ? { s, c } : undefined;
    });
    expect(degraded.c).toMatchObject({ reason: 'StrategyConfigMapMissing', message: expect.stringContaining('ConfigMap my-strategies does not exist') });
    expect(degraded.s!.phase).toBe('Degraded');
    await admin.request('POST', `/api/v1/namespaces/${namespace}/configmaps`, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'my-strategies' }, data: { 'main.scxml': '<scxml/>' } },
    });
    // Nothing the operator watches changed: the retry with backoff finds it.
    await waitFor('Degraded cleared', async () => {
      const c = (await admin.get<Cluster>(orsClusterPath(namespace, 'refs'))).status?.conditions?.find((x) => x.type === 'Degraded');
      return c?.status === 'False' ? true : undefined;
    });
  });

  it('serves /healthz and /metrics', async () => {
    const health = await operator.health();
    expect(health).toMatchObject({ status: 200, body: { leader: true, identity: 'operator-a' } });
    const metrics = await operator.metrics();
    expect(metrics).toMatch(/ors_operator_reconciles_total\{result="ok"\} [1-9]/);
    expect(metrics).toMatch(/ors_operator_switchovers_requested_total\{reason="Rollout"\} 2/);
  });
});

// Two operator processes: one leads (holds the Lease, reconciles), the other waits; when
// the leader dies the other takes over and reconciles; a leader stopped cleanly hands
// over at once by releasing the Lease.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { KubeClient } from '../../../operator/controller/kube-client.ts';
import { createTestNamespace } from '../../infra/test-namespace.ts';
import { adminClient, createOrsCluster, installCrd, operatorKubeconfig, startOperator, waitFor, type OperatorProcess } from './operator-harness.ts';

let admin: KubeClient;
let namespace: string;
let removeNamespace: () => Promise<void>;
let kubeconfig: string;
const operators: OperatorProcess[] = [];

beforeAll(async () => {
  const plane = inject('controlPlane');
  admin = adminClient(plane.kubeconfig);
  await installCrd(admin);
  const config = new KubeConfig();
  config.loadFromFile(plane.kubeconfig);
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(config, 'ors-le'));
  kubeconfig = await operatorKubeconfig(admin, plane, namespace);
});

afterAll(async () => {
  await Promise.all(operators.map((o) => o.stop('SIGKILL')));
  await removeNamespace?.();
});

const holder = async () => (await admin.find<V1Lease>(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/ors-operator`))?.spec?.holderIdentity;
const reconciled = (cluster: string) => waitFor(`StatefulSet of ${cluster}`, () => admin.find(`/apis/apps/v1/namespaces/${namespace}/statefulsets/${cluster}-node-0`), 30_000);

describe('operator leader election', () => {
  it('runs one leader out of two processes, and the other takes over when it dies', async () => {
    const a = await startOperator({ kubeconfig, namespace, identity: 'op-a' });
    operators.push(a);
    await waitFor('op-a leading', async () => ((await holder()) === 'op-a' ? true : undefined));
    const b = await startOperator({ kubeconfig, namespace, identity: 'op-b' });
    operators.push(b);
    await createOrsCluster(admin, namespace, 'one', { image: 'ors:1' });
    await reconciled('one');
    expect((await a.health()).body).toMatchObject({ leader: true });
    expect((await b.health()).body).toMatchObject({ leader: false });
    expect(await holder()).toBe('op-a');
    expect(b.logs.some((l) => l.includes('caches synced'))).toBe(false);

    await a.stop('SIGKILL'); // no release: b must wait for the Lease to expire (4 s)
    const killedAt = Date.now();
    await waitFor('op-b leading', async () => ((await holder()) === 'op-b' ? true : undefined), 30_000);
    expect(Date.now() - killedAt).toBeGreaterThan(1_000);
    await createOrsCluster(admin, namespace, 'two', { image: 'ors:1' });
    await reconciled('two');
    expect((await b.health()).body).toMatchObject({ leader: true });
  });

  it('hands over at once when the leader stops cleanly (releases the Lease)', async () => {
    const c = await startOperator({ kubeconfig, namespace, identity: 'op-c' });
    operators.push(c);
    const b = operators.find((o) => o.identity === 'op-b')!;
    await b.stop('SIGTERM');
    expect(b.child.exitCode).toBe(0);
    const lease = await admin.find<V1Lease>(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/ors-operator`);
    expect(lease?.spec?.holderIdentity ?? '').not.toBe('op-b');
    await waitFor('op-c leading', async () => ((await holder()) === 'op-c' ? true : undefined), 10_000);
    await createOrsCluster(admin, namespace, 'three', { image: 'ors:1' });
    await reconciled('three');
  });
});

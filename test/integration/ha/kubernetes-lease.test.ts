// The leader elector on a real coordination.k8s.io/v1 Lease (kube-apiserver + etcd from
// test/infra): client-go's fields, optimistic concurrency on resourceVersion, release on
// stop, and annotations written by others (the operator's merge patches) kept across renewals.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesLeaseLock } from '../../../runtime/ha/leader-election/kubernetes-lease-lock.ts';
import { LeaseConflictError } from '../../../runtime/ha/leader-election/lease-lock.ts';
import { LeaderElector } from '../../../runtime/ha/leader-election/leader-elector.ts';
import { adminKubeConfig } from '../../infra/shared-control-plane.ts';
import { createTestNamespace } from '../../infra/test-namespace.ts';

// A lease far longer than the 3 s this test waits for a handover: a handover within that
// wait can only come from the release, never from expiry.
const timings = { leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 200 };
let namespace: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  namespace = await createTestNamespace(adminKubeConfig(), 'ha-lease');
});
afterAll(async () => {
  await namespace?.remove();
});

async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('leader election on a Kubernetes Lease', () => {
  it('elects one leader with client-go fields, hands over on release, keeps others\' annotations', async () => {
    const kubeConfig = adminKubeConfig();
    const lock = () => new KubernetesLeaseLock({ kubeConfig, namespace: namespace.name, name: 'demo-node-0' });
    const a = new LeaderElector({ lock: lock(), identity: 'demo-node-0-0', timings, annotations: { 'ors.dev/http-url': 'http://a' } });
    const b = new LeaderElector({ lock: lock(), identity: 'demo-node-0-1', timings });
    a.start();
    await until(() => a.isLeader(), 'a to lead');
    b.start();
    await new Promise((r) => setTimeout(r, 600));
    expect(b.isLeader()).toBe(false);

    const api = kubeConfig.makeApiClient(CoordinationV1Api);
    const lease = await api.readNamespacedLease({ name: 'demo-node-0', namespace: namespace.name });
    expect(lease.spec).toMatchObject({ holderIdentity: 'demo-node-0-0', leaseDurationSeconds: 30, leaseTransitions: 1 });
    expect(lease.spec?.renewTime).toBeDefined();
    expect(lease.metadata?.annotations?.['ors.dev/http-url']).toBe('http://a');

    // Optimistic concurrency: a write on an old resourceVersion is refused.
    const stale = lock();
    const seen = (await stale.get())!;
    await until(async () => (await stale.get())!.version !== seen.version, 'a renewal');
    await expect(stale.update({ ...seen.record, holderIdentity: 'intruder' }, seen.version)).rejects.toBeInstanceOf(LeaseConflictError);

    // The operator's merge patch survives the leader's renewals.
    await lock().patchAnnotations({ 'ors.dev/step-down': 'nobody' });
    await new Promise((r) => setTimeout(r, 600));
    expect(a.isLeader()).toBe(true);
    expect((await stale.get())!.record.annotations['ors.dev/step-down']).toBe('nobody');

    await a.stop();
    await until(() => b.isLeader(), 'b to take over after the release', 3000);
    expect(b.state().epoch).toBe(2);
    const after = await api.readNamespacedLease({ name: 'demo-node-0', namespace: namespace.name });
    expect(after.spec).toMatchObject({ holderIdentity: 'demo-node-0-1', leaseTransitions: 2 });
    expect(after.metadata?.annotations?.['ors.dev/http-url']).toBeUndefined(); // a's own facts went with it
    await b.stop();
  });
});

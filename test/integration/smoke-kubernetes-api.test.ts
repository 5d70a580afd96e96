import { CoordinationV1Api, CoreV1Api, V1MicroTime, VersionApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig } from '../infra/shared-control-plane.ts';
import { createTestNamespace } from '../infra/test-namespace.ts';
import { componentVersion } from '../infra/server-binaries.ts';

// The shared control plane is a real kube-apiserver on etcd: objects round-trip
// through @kubernetes/client-node, optimistic concurrency is enforced.

describe('kube-apiserver through @kubernetes/client-node', () => {
  const config = adminKubeConfig();
  const core = config.makeApiClient(CoreV1Api);
  const coordination = config.makeApiClient(CoordinationV1Api);
  let namespace: Awaited<ReturnType<typeof createTestNamespace>>;

  beforeAll(async () => {
    namespace = await createTestNamespace(config, 'smoke-api');
  });
  afterAll(async () => {
    await namespace?.remove();
  });

  it('reports the version the servers were built from', async () => {
    const version = await config.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(componentVersion('kubernetes'));
  });

  it('creates and reads a namespace', async () => {
    const read = await core.readNamespace({ name: namespace.name });
    expect(read.status?.phase).toBe('Active');
  });

  it('round-trips a ConfigMap', async () => {
    await core.createNamespacedConfigMap({
      namespace: namespace.name,
      body: { metadata: { name: 'settings' }, data: { 'call-watching-timeout': '5000' } },
    });
    const read = await core.readNamespacedConfigMap({ name: 'settings', namespace: namespace.name });
    expect(read.data).toEqual({ 'call-watching-timeout': '5000' });
  });

  it('creates a Lease and rejects an update from a stale resourceVersion', async () => {
    const created = await coordination.createNamespacedLease({
      namespace: namespace.name,
      body: {
        metadata: { name: 'node-0' },
        // Lease times are MicroTime: a plain Date is rejected (milliseconds, not microseconds).
        spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15, acquireTime: new V1MicroTime(), renewTime: new V1MicroTime() },
      },
    });
    const renewed = await coordination.replaceNamespacedLease({
      name: 'node-0',
      namespace: namespace.name,
      body: { ...created, spec: { ...created.spec, holderIdentity: 'pod-b', renewTime: new V1MicroTime() } },
    });
    expect(renewed.spec?.holderIdentity).toBe('pod-b');
    await expect(
      coordination.replaceNamespacedLease({
        name: 'node-0',
        namespace: namespace.name,
        body: { ...created, spec: { ...created.spec, holderIdentity: 'pod-c' } },
      }),
    ).rejects.toMatchObject({ code: 409 });
  });
});

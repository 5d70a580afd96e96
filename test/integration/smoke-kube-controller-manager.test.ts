import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig } from '../infra/shared-control-plane.ts';
import { createTestNamespace } from '../infra/test-namespace.ts';
import { waitUntil } from '../infra/wait-until.ts';

// kube-controller-manager runs next to the shared kube-apiserver: a StatefulSet gets
// its Pods (they stay Pending: there are no nodes), and deleting it garbage-collects them.

describe('kube-controller-manager', () => {
  const config = adminKubeConfig();
  const core = config.makeApiClient(CoreV1Api);
  const apps = config.makeApiClient(AppsV1Api);
  let namespace: Awaited<ReturnType<typeof createTestNamespace>>;

  beforeAll(async () => {
    namespace = await createTestNamespace(config, 'smoke-kcm');
  });
  afterAll(async () => {
    await namespace?.remove();
  });

  const pods = async (): Promise<V1Pod[]> =>
    (await core.listNamespacedPod({ namespace: namespace.name, labelSelector: 'app=node-0' })).items;

  it('creates the Pods of a StatefulSet and garbage-collects them with it', async () => {
    await apps.createNamespacedStatefulSet({
      namespace: namespace.name,
      body: {
        metadata: { name: 'node-0' },
        spec: {
          replicas: 2,
          serviceName: 'node-0',
          // OrderedReady would wait for pod 0 to be Ready, which never happens without nodes.
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: { app: 'node-0' } },
          template: {
            metadata: { labels: { app: 'node-0' } },
            spec: { containers: [{ name: 'runtime', image: 'ors:test' }] },
          },
        },
      },
    });

    const created = await waitUntil(async () => {
      const items = await pods();
      return items.length === 2 ? items : undefined;
    }, { what: 'two StatefulSet pods', timeoutMs: 60_000 });
    expect(created.map((pod) => pod.metadata?.name).sort()).toEqual(['node-0-0', 'node-0-1']);
    expect(created[0].metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'StatefulSet', name: 'node-0' });

    await apps.deleteNamespacedStatefulSet({ name: 'node-0', namespace: namespace.name, propagationPolicy: 'Background' });
    await waitUntil(async () => ((await pods()).length === 0 ? true : undefined), {
      what: 'the garbage collector to delete the pods',
      timeoutMs: 60_000,
    });
  });

  it('gives every new namespace its default ServiceAccount', async () => {
    const account = await waitUntil(
      async () => core.readNamespacedServiceAccount({ name: 'default', namespace: namespace.name }),
      { what: 'the default ServiceAccount', timeoutMs: 30_000 },
    );
    expect(account.metadata?.name).toBe('default');
  });
});

import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceAccountIdentity } from '../infra/service-account-token.ts';
import type { ServiceAccountIdentity } from '../infra/service-account-token.ts';
import { adminKubeConfig } from '../infra/shared-control-plane.ts';
import { createTestNamespace } from '../infra/test-namespace.ts';
import { waitUntil } from '../infra/wait-until.ts';

// RBAC is on: a ServiceAccount (authenticated by a TokenRequest token) is denied until
// a RoleBinding grants it a Role.

describe('RBAC authorization', () => {
  const admin = adminKubeConfig();
  let namespace: Awaited<ReturnType<typeof createTestNamespace>>;
  let reader: ServiceAccountIdentity;

  beforeAll(async () => {
    namespace = await createTestNamespace(admin, 'smoke-rbac');
    reader = await serviceAccountIdentity(admin, namespace.name, 'reader');
  });
  afterAll(async () => {
    await namespace?.remove();
  });

  it('denies a service account without rights (403) and allows it after a RoleBinding', async () => {
    const asReader = reader.kubeConfig.makeApiClient(CoreV1Api);
    await expect(asReader.listNamespacedConfigMap({ namespace: namespace.name })).rejects.toMatchObject({ code: 403 });

    // A ConfigMap of the test's own: kube-root-ca.crt is published into new namespaces by
    // kube-controller-manager whenever it gets to it, which on a loaded machine can be
    // after the RoleBinding takes effect.
    await admin.makeApiClient(CoreV1Api).createNamespacedConfigMap({
      namespace: namespace.name,
      body: { metadata: { name: 'readable' }, data: { greeting: 'hello' } },
    });
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: namespace.name,
      body: {
        metadata: { name: 'configmap-reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: namespace.name,
      body: {
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: namespace.name }],
      },
    });

    // The RBAC authorizer sees the binding through an informer: allow a moment.
    const list = await waitUntil(() => asReader.listNamespacedConfigMap({ namespace: namespace.name }), {
      what: 'the RoleBinding to take effect',
      timeoutMs: 30_000,
    });
    expect(list.items.map((item) => item.metadata?.name)).toContain('readable');
    // Still only what the Role grants.
    await expect(asReader.listNamespacedSecret({ namespace: namespace.name })).rejects.toMatchObject({ code: 403 });
  });
});

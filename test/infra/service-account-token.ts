import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigWithToken } from './kubeconfig.ts';

export interface ServiceAccountIdentity {
  /** The RBAC user name: system:serviceaccount:<namespace>:<name>. */
  username: string;
  /** A bound token from the TokenRequest API. */
  token: string;
  /** A KubeConfig for the same cluster that authenticates as the service account. */
  kubeConfig: KubeConfig;
}

/**
 * Creates (or reuses) a ServiceAccount and issues it a token through TokenRequest, for
 * tests of what RBAC lets that identity do.
 */
export async function serviceAccountIdentity(
  admin: KubeConfig,
  namespace: string,
  name: string,
  expirationSeconds = 3600,
): Promise<ServiceAccountIdentity> {
  const core = admin.makeApiClient(CoreV1Api);
  try {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
  const request = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  const username = `system:serviceaccount:${namespace}:${name}`;
  return { username, token, kubeConfig: kubeConfigWithToken(admin, token, username) };
}

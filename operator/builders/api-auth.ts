// What spec.apiAuth puts into a runtime pod and its cluster: in bearer mode (the default)
// the tokens Secret mounted read-only and the runtime options that point at it — the
// Secret the spec names, or `<cluster>-api-tokens`, which the operator creates with one
// random token (the token is an input, so a reconcile never rotates it: see the
// controller's generated Secrets) — and `auth: none` when the spec asks for an open API.
// Pure.
import { randomBytes } from 'node:crypto';
import type { V1Secret, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';
import { apiTokensSecretName, clusterLabels, ownedMetadata } from './names.ts';

export const API_TOKENS_DIR = '/etc/ors/api-tokens';
/** The key of the tokens Secret the runtime reads (one token a line). */
export const API_TOKENS_KEY = 'tokens';
const VOLUME = 'api-tokens';

export interface ApiAuthPodParts {
  /** Runtime options (kebab-case) for the options ConfigMap. */
  options: Record<string, string>;
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
}

/** The Secret whose tokens the pods accept, or undefined for an open API. */
export function apiTokensSecretOf(cluster: OrsCluster): string | undefined {
  const auth = cluster.spec.apiAuth;
  if (auth.mode === 'none') return undefined;
  return auth.tokensSecret ?? apiTokensSecretName(cluster.metadata.name);
}

export function apiAuthPodParts(cluster: OrsCluster): ApiAuthPodParts {
  const secretName = apiTokensSecretOf(cluster);
  if (!secretName) return { options: { auth: 'none' }, volumes: [], mounts: [] };
  return {
    options: { 'auth-tokens-file': `${API_TOKENS_DIR}/${API_TOKENS_KEY}`, 'metrics-auth': cluster.spec.apiAuth.protectMetrics ? 'api' : 'none' },
    volumes: [{ name: VOLUME, secret: { secretName, items: [{ key: API_TOKENS_KEY, path: API_TOKENS_KEY }], defaultMode: 0o400 } }],
    mounts: [{ name: VOLUME, mountPath: API_TOKENS_DIR, readOnly: true }],
  };
}

export function generateApiToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The operator's own tokens Secret, when the spec wants bearer tokens and names no Secret of its own. */
export function buildApiTokensSecret(cluster: OrsCluster, tokens: string): V1Secret | undefined {
  const auth = cluster.spec.apiAuth;
  if (auth.mode === 'none' || auth.tokensSecret) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: ownedMetadata(cluster, apiTokensSecretName(cluster.metadata.name), clusterLabels(cluster.metadata.name, 'api-tokens')),
    type: 'Opaque',
    stringData: { [API_TOKENS_KEY]: tokens },
  };
}

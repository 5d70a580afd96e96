// What spec.apiAuth puts into a runtime pod: the named Secret mounted read-only and the
// runtime options that point at it (auth bearer is the runtime's default), or `auth:
// none` when the OrsCluster asks for no authentication. Pure.
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { OrsCluster } from '../api/ors-cluster.ts';

export const API_TOKENS_DIR = '/etc/ors/api-tokens';
const VOLUME = 'api-tokens';

export interface ApiAuthPodParts {
  /** Runtime options (kebab-case) for the options ConfigMap. */
  options: Record<string, string>;
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
}

export function apiAuthPodParts(cluster: OrsCluster): ApiAuthPodParts {
  const auth = cluster.spec.apiAuth;
  if (!auth) return { options: { auth: 'none' }, volumes: [], mounts: [] };
  return {
    options: { 'auth-tokens-file': `${API_TOKENS_DIR}/tokens`, 'metrics-auth': auth.protectMetrics ? 'api' : 'none' },
    volumes: [{ name: VOLUME, secret: { secretName: auth.tokensSecret, items: [{ key: 'tokens', path: 'tokens' }], defaultMode: 0o400 } }],
    mounts: [{ name: VOLUME, mountPath: API_TOKENS_DIR, readOnly: true }],
  };
}

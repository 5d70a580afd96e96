// spec.apiAuth -> the runtime pod: the tokens Secret mounted read-only, the options
// pointing at it — the named Secret, or by default the operator's own <cluster>-api-tokens;
// mode none -> an explicitly open API (auth none).
import { describe, expect, it } from 'vitest';
import { parseOrsCluster } from '../../../operator/api/parse-ors-cluster.ts';
import type { OrsCluster } from '../../../operator/api/ors-cluster.ts';
import { API_TOKENS_DIR, apiAuthPodParts, buildApiTokensSecret, generateApiToken } from '../../../operator/builders/api-auth.ts';
import { buildNodeStatefulSet } from '../../../operator/builders/node-statefulset.ts';
import { runtimeOptionsDocument } from '../../../operator/builders/runtime-config.ts';
import { RuntimeConfigSchema } from '../../../runtime/config/runtime-options.ts';

function cluster(spec: Record<string, unknown>): OrsCluster {
  const parsed = parseOrsCluster({ metadata: { name: 'demo', namespace: 'contact', uid: 'u-1', generation: 1 }, spec: { image: 'ors:1', ...spec } });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cluster;
}

describe('apiAuthPodParts', () => {
  it('mounts the named Secret and points auth-tokens-file at it', () => {
    const c = cluster({ apiAuth: { tokensSecret: 'ors-api-tokens', protectMetrics: true } });
    const parts = apiAuthPodParts(c);
    expect(parts.options).toEqual({ 'auth-tokens-file': `${API_TOKENS_DIR}/tokens`, 'metrics-auth': 'api' });
    expect(parts.volumes).toEqual([
      { name: 'api-tokens', secret: { secretName: 'ors-api-tokens', items: [{ key: 'tokens', path: 'tokens' }], defaultMode: 0o400 } },
    ]);
    const pod = buildNodeStatefulSet(c, 0).spec!.template.spec!;
    expect(pod.volumes).toContainEqual(parts.volumes[0]);
    expect(pod.containers[0]!.volumeMounts).toContainEqual({ name: 'api-tokens', mountPath: API_TOKENS_DIR, readOnly: true });
    // The options document stays valid for the runtime's strict schema.
    const doc = runtimeOptionsDocument(c, [0]);
    expect(doc['auth-tokens-file']).toBe(`${API_TOKENS_DIR}/tokens`);
    expect(() => RuntimeConfigSchema.parse(doc)).not.toThrow();
  });

  it('without apiAuth the API still asks for tokens: the operator\'s own Secret, <cluster>-api-tokens, owned by the cluster', () => {
    const c = cluster({});
    const parts = apiAuthPodParts(c);
    expect(parts.options).toEqual({ 'auth-tokens-file': `${API_TOKENS_DIR}/tokens`, 'metrics-auth': 'none' });
    expect(parts.volumes[0]!.secret!.secretName).toBe('demo-api-tokens');
    expect(runtimeOptionsDocument(c, [0]).auth).toBeUndefined();
    const token = generateApiToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateApiToken()).not.toBe(token);
    const secret = buildApiTokensSecret(c, token)!;
    expect(secret.metadata!.name).toBe('demo-api-tokens');
    expect(secret.stringData).toEqual({ tokens: token });
    expect(secret.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'OrsCluster', name: 'demo', uid: 'u-1', controller: true })]);
  });

  it('creates no Secret when the spec names one, and mode none opens the API with nothing mounted', () => {
    expect(buildApiTokensSecret(cluster({ apiAuth: { tokensSecret: 't' } }), 'x')).toBeUndefined();
    expect(apiAuthPodParts(cluster({ apiAuth: { tokensSecret: 't' } })).options['metrics-auth']).toBe('none');
    const open = cluster({ apiAuth: { mode: 'none' } });
    expect(buildApiTokensSecret(open, 'x')).toBeUndefined();
    expect(apiAuthPodParts(open)).toEqual({ options: { auth: 'none' }, volumes: [], mounts: [] });
    expect(runtimeOptionsDocument(open, [0]).auth).toBe('none');
    expect(buildNodeStatefulSet(open, 0).spec!.template.spec!.volumes!.map((v) => v.name)).not.toContain('api-tokens');
  });
});

// The examples against real servers: every OrsCluster under examples/ is accepted by the
// test kube-apiserver with the generated CRD (schema, defaults and CEL rules), the objects
// the operator builds from the production-like one pass server-side validation, and the
// HAProxy example passes `haproxy -c`.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseOrsCluster } from '../../../operator/api/parse-ors-cluster.ts';
import { buildDesiredObjects } from '../../../operator/builders/desired-objects.ts';
import { runTool } from '../../infra/command-line-tool.ts';
import { kubectl, kubectlOrThrow } from '../../infra/kubectl.ts';
import { serverBinary } from '../../infra/server-binaries.ts';
import { sharedControlPlane } from '../../infra/shared-control-plane.ts';
import { adminClient, installCrd } from '../operator/operator-harness.ts';

const examples = path.resolve(import.meta.dirname, '../../../examples');
const clusterFiles = readdirSync(examples).filter((f) => /^orscluster.*\.yaml$/.test(f));
const namespace = `ors-examples-${process.pid}`;

function example(file: string, overrides: Record<string, unknown> = {}) {
  const manifest = parse(readFileSync(path.join(examples, file), 'utf8')) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  return { ...manifest, metadata: { ...manifest.metadata, namespace }, ...overrides };
}

describe('examples on the test kube-apiserver', () => {
  beforeAll(async () => {
    await installCrd(adminClient(sharedControlPlane().kubeconfig));
    await kubectlOrThrow(sharedControlPlane().kubeconfig, ['create', 'namespace', namespace]);
  });
  afterAll(async () => {
    await kubectl(sharedControlPlane().kubeconfig, ['delete', 'namespace', namespace, '--wait=false']);
  });

  it.each(clusterFiles)('%s passes the CRD\'s schema and rules (server-side dry run, strict fields)', async (file) => {
    const out = await kubectlOrThrow(
      sharedControlPlane().kubeconfig,
      ['create', '--dry-run=server', '--validate=strict', '-o', 'json', '-f', '-'],
      JSON.stringify(example(file)),
    );
    const stored = JSON.parse(out) as { spec: { routing: { scheme: string }; leaderElection: { leaseDurationSeconds: number } } };
    // The apiserver applied the CRD's defaults.
    expect(stored.spec.routing.scheme).toMatch(/^https?$/);
    expect(stored.spec.leaderElection.leaseDurationSeconds).toBeGreaterThan(0);
  });

  it('the Ingress the operator builds from orscluster.yaml (a regex session path per node) passes server-side validation', async () => {
    const manifest = example('orscluster.yaml');
    const parsed = parseOrsCluster({ ...manifest, metadata: { ...manifest.metadata, uid: '6c1f6a44-0000-4000-8000-000000000002' } });
    if (!parsed.ok) throw new Error(parsed.message);
    const ingress = buildDesiredObjects(parsed.cluster, [0, 1, 2], { syncKey: 'k'.repeat(32), apiTokens: 't' }).find((o) => o.kind === 'Ingress') as KubernetesObject & {
      spec: { rules: { http: { paths: { pathType: string }[] } }[] };
    };
    expect(ingress.spec.rules[0]!.http.paths.filter((p) => p.pathType === 'ImplementationSpecific')).toHaveLength(3);
    const result = await kubectl(
      sharedControlPlane().kubeconfig,
      ['create', '--dry-run=server', '--validate=strict', '-n', namespace, '-f', '-'],
      JSON.stringify({ ...ingress, metadata: { ...ingress.metadata, namespace } }),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('a broken variant of the production example is refused with its CEL message', async () => {
    const broken = example('orscluster-production.yaml');
    (broken.spec.routing as { gateway: { parentRefs: unknown[] } }).gateway.parentRefs = [];
    const result = await kubectl(sharedControlPlane().kubeconfig, ['create', '--dry-run=server', '-f', '-'], JSON.stringify(broken));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('routing.gateway.parentRefs needs at least one Gateway when routing.gateway.enabled is true');
  });

  it('the objects the operator builds from the production example pass server-side validation', async () => {
    const manifest = example('orscluster-production.yaml');
    const parsed = parseOrsCluster({ ...manifest, metadata: { ...manifest.metadata, uid: '6c1f6a44-0000-4000-8000-000000000001' } });
    if (!parsed.ok) throw new Error(parsed.message);
    const objects = buildDesiredObjects(parsed.cluster, [0, 1, 2], { syncKey: 'k'.repeat(32), apiTokens: 't' }) as (KubernetesObject & { spec?: Record<string, unknown> })[];
    // Gateway API CRDs are not installed on the test apiserver: the HTTPRoutes are checked
    // for the session routes they carry (and no gateway cookie), everything else goes to
    // the apiserver.
    const routes = objects.filter((o) => o.kind === 'HTTPRoute');
    expect(routes).toHaveLength(7);
    expect(JSON.stringify(routes)).not.toContain('sessionPersistence');
    expect(routes.filter((o) => o.metadata!.name!.endsWith('-sessions'))).toHaveLength(3);
    const rest = objects.filter((o) => o.kind !== 'HTTPRoute');
    expect(rest.filter((o) => o.kind === 'StatefulSet')).toHaveLength(3);
    const list = { apiVersion: 'v1', kind: 'List', items: rest };
    const result = await kubectl(sharedControlPlane().kubeconfig, ['create', '--dry-run=server', '--validate=strict', '-f', '-'], JSON.stringify(list));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(rest.length);
    // The example's anti-affinity reached the pods unchanged.
    const statefulSet = rest.find((o) => o.kind === 'StatefulSet') as { spec: { template: { spec: { affinity: unknown } } } };
    expect(statefulSet.spec.template.spec.affinity).toEqual(manifest.spec.affinity);
  });
});

describe('examples/haproxy/haproxy.cfg', () => {
  it('passes haproxy -c and keeps the load-balancing guide\'s essentials', async () => {
    const file = path.join(examples, 'haproxy/haproxy.cfg');
    const result = await runTool(serverBinary('haproxy'), ['-c', '-f', file]);
    expect(result.stdout + result.stderr).toContain('Configuration file is valid');
    expect(result.code).toBe(0);
    const config = readFileSync(file, 'utf8');
    expect(config).toContain('stick on req.cook(ORSSESSIONID)');
    expect(config).toContain('option httpchk GET /heartbeat');
    expect(config).toContain('http-check expect status 200');
  });
});

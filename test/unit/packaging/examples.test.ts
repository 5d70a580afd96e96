// Every OrsCluster under examples/ parses with the schema the CRD is generated from,
// and the production-like one has what it claims (3 nodes, Cassandra, Gateway API
// stickiness, resources, anti-affinity). The integration test sends them to a real
// kube-apiserver.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseOrsCluster } from '../../../operator/api/parse-ors-cluster.ts';

const examples = path.resolve(import.meta.dirname, '../../../examples');
const clusterFiles = readdirSync(examples).filter((f) => /^orscluster.*\.yaml$/.test(f));

describe('examples/orscluster*.yaml', () => {
  it('exist: minimal, production-like and the operator\'s', () => {
    expect(clusterFiles).toEqual(expect.arrayContaining(['orscluster-minimal.yaml', 'orscluster-production.yaml', 'orscluster.yaml']));
  });

  it.each(clusterFiles)('%s is a valid OrsCluster', (file) => {
    const manifest = parse(readFileSync(path.join(examples, file), 'utf8'));
    expect(manifest).toMatchObject({ apiVersion: 'ors.dev/v1alpha1', kind: 'OrsCluster' });
    const parsed = parseOrsCluster({ ...manifest, metadata: { namespace: 'default', ...manifest.metadata, uid: 'u' } });
    if (!parsed.ok) throw new Error(`${file}: ${parsed.message}`);
    expect(parsed.ok).toBe(true);
  });

  it('the production-like one: 3 nodes, Cassandra, Gateway API, resources, anti-affinity', () => {
    const manifest = parse(readFileSync(path.join(examples, 'orscluster-production.yaml'), 'utf8'));
    const parsed = parseOrsCluster({ ...manifest, metadata: { ...manifest.metadata, uid: 'u' } });
    if (!parsed.ok) throw new Error(parsed.message);
    const spec = parsed.cluster.spec;
    expect(spec.nodes).toBe(3);
    expect(spec.persistence).toMatchObject({ type: 'cassandra', cassandra: { contactPoints: expect.any(Array) } });
    expect(spec.routing.gateway).toMatchObject({ enabled: true, parentRefs: [{ name: 'public' }] });
    expect(spec.resources?.requests).toMatchObject({ cpu: '1', memory: '1Gi' });
    expect(spec.affinity).toHaveProperty('podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution');
  });
});

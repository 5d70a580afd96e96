// The example manifests stay valid against the schema the CRD is generated from.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseOrsCluster } from '../../../operator/api/parse-ors-cluster.ts';

describe('examples/orscluster.yaml', () => {
  it('is a valid OrsCluster', () => {
    const manifest = parse(readFileSync(path.resolve(import.meta.dirname, '../../../examples/orscluster.yaml'), 'utf8'));
    expect(manifest).toMatchObject({ apiVersion: 'ors.dev/v1alpha1', kind: 'OrsCluster' });
    const parsed = parseOrsCluster({ ...manifest, metadata: { ...manifest.metadata, namespace: 'default', uid: 'u' } });
    expect(parsed).toMatchObject({ ok: true, cluster: { spec: { nodes: 3, persistence: { type: 'cassandra' } } } });
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CRD_FILE, buildOrsClusterCrd, renderOrsClusterCrd, toStructural } from '../../../operator/api/crd.ts';
import { OrsClusterSpecSchema } from '../../../operator/api/ors-cluster.ts';

const root = path.resolve(import.meta.dirname, '../../..');

type Node = Record<string, unknown>;

function walk(node: Node, at: string, visit: (node: Node, at: string) => void): void {
  visit(node, at);
  for (const [name, child] of Object.entries((node.properties as Record<string, Node>) ?? {})) walk(child, `${at}.${name}`, visit);
  if (node.items) walk(node.items as Node, `${at}[]`, visit);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') walk(node.additionalProperties as Node, `${at}{}`, visit);
}

function versionSchema(): Node {
  const crd = buildOrsClusterCrd() as { spec: { versions: { schema: { openAPIV3Schema: Node } }[] } };
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

describe('OrsCluster CRD', () => {
  it('matches the checked-in crds/orsclusters.ors.dev.yaml (run `ors crd > crds/orsclusters.ors.dev.yaml` after a schema change)', () => {
    expect(readFileSync(path.join(root, CRD_FILE), 'utf8')).toBe(renderOrsClusterCrd());
  });

  it('describes every spec and status field, so kubectl explain helps', () => {
    const undocumented: string[] = [];
    const schema = versionSchema();
    for (const part of ['spec', 'status'] as const) {
      walk((schema.properties as Record<string, Node>)[part]!, part, (node, at) => {
        if (!at.endsWith('{}') && !at.endsWith('[]') && typeof node.description !== 'string') undocumented.push(at);
      });
    }
    expect(undocumented).toEqual([]);
  });

  it('is structural: a type on every node, no anyOf/$ref, no properties beside additionalProperties', () => {
    const problems: string[] = [];
    walk(versionSchema(), 'root', (node, at) => {
      const intOrString = node['x-kubernetes-int-or-string'] === true;
      if (!intOrString && typeof node.type !== 'string') problems.push(`${at}: no type`);
      if (node.properties && node.additionalProperties !== undefined) problems.push(`${at}: properties and additionalProperties`);
      for (const k of ['anyOf', 'oneOf', 'allOf', '$ref', '$schema']) if (k in node) problems.push(`${at}: ${k}`);
    });
    expect(problems).toEqual([]);
  });

  it('carries defaults, CEL rules, subresources and printer columns', () => {
    const crd = parse(renderOrsClusterCrd());
    const version = crd.spec.versions[0];
    expect(version.subresources.scale.specReplicasPath).toBe('.spec.nodes');
    expect(version.subresources.status).toEqual({});
    expect(version.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(['Nodes', 'Ready', 'Phase', 'Age']);
    const spec = version.schema.openAPIV3Schema.properties.spec;
    expect(spec.properties.nodes.default).toBe(1);
    expect(spec.properties.leaderElection.default).toEqual({ leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 });
    expect(spec.properties.leaderElection.properties.leaseDurationSeconds.default).toBe(15);
    expect(spec.properties.leaderElection['x-kubernetes-validations'][0].rule).toBe('self.renewDeadlineSeconds < self.leaseDurationSeconds');
    expect(spec.properties.resources.properties.limits.additionalProperties['x-kubernetes-int-or-string']).toBe(true);
    expect(spec.required).toEqual(['image']);
  });

  it('rejects JSON Schema constructs the apiserver cannot take', () => {
    expect(() => toStructural({ anyOf: [{ type: 'string' }, { type: 'integer' }] })).toThrow(/not structural/);
  });

  it('parses a minimal spec with every default applied', () => {
    const spec = OrsClusterSpecSchema.parse({ image: 'ors:1' });
    expect(spec).toMatchObject({
      nodes: 1, httpPort: 8080, syncPort: 7000, strategies: [], options: {},
      persistence: { type: 'none' },
      routing: { scheme: 'http', ingress: { enabled: false }, gateway: { enabled: false, parentRefs: [] } },
      leaderElection: { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 },
      scaleDown: { drainTimeoutSeconds: 300 }, rollout: { syncTimeoutSeconds: 600 },
    });
  });
});

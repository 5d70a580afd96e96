// Generates the OrsCluster CustomResourceDefinition from the zod schema. z.toJSONSchema
// gives JSON Schema; the apiserver wants a *structural* OpenAPI v3 schema, so this pass
// removes what it rejects or does not need (JSON Schema keywords, anyOf for int-or-string,
// additionalProperties:false beside properties, safe-integer bounds zod adds to int()).
import { z } from 'zod';
import { stringify } from 'yaml';
import {
  GROUP, KIND, MAX_NAME_LENGTH, OrsClusterSpecSchema, OrsClusterStatusSchema, PLURAL, SHORT_NAME, VERSION,
} from './ors-cluster.ts';

type JsonSchema = { [key: string]: unknown };

const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/** Turns one z.toJSONSchema node (and its children) into a structural OpenAPI v3 schema node. */
export function toStructural(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'id') continue;
    out[key] = value;
  }
  if (out['x-kubernetes-int-or-string'] === true) {
    // The string branch's pattern goes to the top, where the apiserver applies it to
    // strings only (as controller-gen writes resource.Quantity): `cpu: lots` is refused.
    const branches = (out.anyOf ?? []) as JsonSchema[];
    const pattern = branches.find((b) => b.type === 'string')?.pattern;
    const maxLength = branches.find((b) => b.type === 'string')?.maxLength;
    const minimum = branches.find((b) => b.type === 'integer')?.minimum;
    delete out.anyOf;
    delete out.type;
    if (pattern !== undefined) out.pattern = pattern;
    if (maxLength !== undefined) out.maxLength = maxLength;
    if (minimum !== undefined) out.minimum = minimum;
  }
  if (out.type === 'integer') {
    if (SAFE_INTEGER_BOUNDS.has(out.minimum as number)) delete out.minimum;
    if (SAFE_INTEGER_BOUNDS.has(out.maximum as number)) delete out.maximum;
  }
  // z.iso.datetime() adds a regex; format date-time already says it to the apiserver.
  if (out.format === 'date-time') delete out.pattern;
  if (out['x-kubernetes-preserve-unknown-fields'] === true) {
    delete out.additionalProperties;
    out.type = 'object';
  }
  if (out.properties) {
    if (out.additionalProperties === false) delete out.additionalProperties;
    out.properties = Object.fromEntries(
      Object.entries(out.properties as Record<string, JsonSchema>).map(([name, child]) => [name, toStructural(child)]),
    );
  }
  if (out.additionalProperties && typeof out.additionalProperties === 'object') {
    out.additionalProperties = toStructural(out.additionalProperties as JsonSchema);
  }
  if (out.items) out.items = toStructural(out.items as JsonSchema);
  for (const forbidden of ['anyOf', 'oneOf', 'allOf', '$ref', '$defs', 'definitions']) {
    if (forbidden in out) throw new Error(`CRD schema: "${forbidden}" is not structural (in ${JSON.stringify(node).slice(0, 200)})`);
  }
  return out;
}

export function openApiSchema(schema: z.ZodType): JsonSchema {
  return toStructural(z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'throw' }) as JsonSchema);
}

/**
 * The OrsCluster name prefixes every object it owns (operator/builders/names.ts), and
 * those must stay valid and distinct: Service names are DNS-1035 labels (no dots, a
 * letter first), and a name ending in -node-<i> or -node-<i>-sync would be another
 * cluster's node Service (`hello-node-1` vs node 1 of `hello`).
 */
export const NAME_RULES = [
  {
    rule: `size(self.metadata.name) <= ${MAX_NAME_LENGTH}`,
    message: `the OrsCluster name must be at most ${MAX_NAME_LENGTH} characters (it prefixes the names of its StatefulSets and pods)`,
  },
  {
    rule: "self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
    message: "the OrsCluster name must be lower-case letters, digits and '-', start with a letter and end with a letter or digit (no dots: it names Services)",
  },
  {
    rule: "!self.metadata.name.matches('-node-[0-9]+(-sync)?$')",
    message: 'the OrsCluster name must not end in -node-<number> or -node-<number>-sync: those are the names of another cluster\'s per-node objects',
  },
];

export function buildOrsClusterCrd(): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: KIND.toLowerCase(), shortNames: [SHORT_NAME], categories: ['ors'] },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: { specReplicasPath: '.spec.nodes', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
          },
          additionalPrinterColumns: [
            { name: 'Nodes', type: 'integer', jsonPath: '.spec.nodes', description: 'Desired number of primary/backup nodes' },
            { name: 'Ready', type: 'integer', jsonPath: '.status.readyNodes', description: 'Nodes whose primary is Ready' },
            { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Running, Progressing or Degraded' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'An ORS cluster: N nodes, each a primary/backup pair of runtime pods running SCXML strategies.',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string', description: 'APIVersion of this representation of the object (ors.dev/v1alpha1).' },
                kind: { type: 'string', description: 'Kind of the object (OrsCluster).' },
                metadata: { type: 'object' },
                spec: openApiSchema(OrsClusterSpecSchema),
                status: openApiSchema(OrsClusterStatusSchema),
              },
              'x-kubernetes-validations': NAME_RULES,
            },
          },
        },
      ],
    },
  };
}

export const CRD_FILE = 'crds/orsclusters.ors.dev.yaml';

export function renderOrsClusterCrd(): string {
  return '# Generated by `ors crd` from operator/api/ors-cluster.ts; do not edit by hand.\n' + stringify(buildOrsClusterCrd(), { lineWidth: 0 });
}

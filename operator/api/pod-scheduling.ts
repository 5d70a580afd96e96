// Where the runtime pods may run: core/v1 Affinity and Toleration as zod schemas, so the
// CRD carries their real structure and the apiserver refuses a garbage affinity at
// `kubectl apply` instead of the StatefulSet apply failing later. Field names, types and
// enums follow the apiserver's own OpenAPI (io.k8s.api.core.v1.*); a test compares them
// with the test kube-apiserver's /openapi/v3. The rules core/v1 validation adds on top
// (values per operator, Exists without a value) are CEL here.
import { z } from 'zod';

type CelRule = { rule: string; message: string };
const cel = (...rules: CelRule[]) => ({ 'x-kubernetes-validations': rules });

// Bounds keep the apiserver's CEL cost estimate of the rules below within its budget.
const labelKey = z.string().min(1).max(317);
const stringList = z.array(z.string().max(317)).max(64);
const list = <T extends z.ZodType>(item: T) => z.array(item).max(32);

export const LabelSelectorRequirementSchema = z
  .object({
    key: labelKey.describe('The label key the selector applies to.'),
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']).describe('In, NotIn, Exists or DoesNotExist.'),
    values: stringList.optional().describe('Values for In and NotIn (non-empty); empty for Exists and DoesNotExist.'),
  })
  .meta(cel({
    rule: "(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)",
    message: 'values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist',
  }))
  .describe('A label selector requirement (meta/v1 LabelSelectorRequirement).');

export const LabelSelectorSchema = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional().describe('Labels an object must have, as key: value.'),
    matchExpressions: list(LabelSelectorRequirementSchema).optional().describe('Requirements an object\'s labels must meet (all of them).'),
  })
  .describe('A label query (meta/v1 LabelSelector).');

export const NodeSelectorRequirementSchema = z
  .object({
    key: labelKey.describe('The node label key the selector applies to.'),
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']).describe('In, NotIn, Exists, DoesNotExist, Gt or Lt.'),
    values: stringList.optional().describe('Values: non-empty for In and NotIn, one integer for Gt and Lt, empty for Exists and DoesNotExist.'),
  })
  .meta(cel(
    {
      rule: "(self.operator in ['In', 'NotIn', 'Gt', 'Lt']) == (has(self.values) && size(self.values) > 0)",
      message: 'values must be non-empty for In, NotIn, Gt and Lt, and empty for Exists and DoesNotExist',
    },
    {
      rule: "!(self.operator in ['Gt', 'Lt']) || (has(self.values) && size(self.values) == 1 && self.values[0].matches('^-?[0-9]+$'))",
      message: 'Gt and Lt take exactly one integer value',
    },
  ))
  .describe('A node selector requirement (core/v1 NodeSelectorRequirement).');

export const NodeSelectorTermSchema = z
  .object({
    matchExpressions: list(NodeSelectorRequirementSchema).optional().describe('Requirements on the node\'s labels.'),
    matchFields: list(NodeSelectorRequirementSchema).optional().describe('Requirements on the node\'s fields (metadata.name).'),
  })
  .describe('A node selector term: all its requirements must hold (core/v1 NodeSelectorTerm).');

export const PodAffinityTermSchema = z
  .object({
    labelSelector: LabelSelectorSchema.optional().describe('Pods the term is about.'),
    namespaceSelector: LabelSelectorSchema.optional().describe('Namespaces whose pods the term is about (with namespaces).'),
    namespaces: stringList.optional().describe('Namespaces whose pods the term is about; the pod\'s own when empty.'),
    topologyKey: z.string().min(1).describe('Node label whose value defines "the same place" (e.g. kubernetes.io/hostname).'),
    matchLabelKeys: stringList.optional().describe('Label keys of the incoming pod whose values are added to labelSelector with In.'),
    mismatchLabelKeys: stringList.optional().describe('Label keys of the incoming pod whose values are added to labelSelector with NotIn.'),
  })
  .describe('Pods (selected by labels and namespaces) the runtime pods should be co-located with or kept away from (core/v1 PodAffinityTerm).');

export const WeightedPodAffinityTermSchema = z
  .object({
    weight: z.int().min(1).max(100).describe('Weight of the term, 1-100.'),
    podAffinityTerm: PodAffinityTermSchema.describe('The term.'),
  })
  .describe('A preferred pod (anti-)affinity term with its weight (core/v1 WeightedPodAffinityTerm).');

const podAffinityFields = {
  requiredDuringSchedulingIgnoredDuringExecution: list(PodAffinityTermSchema).optional().describe('Terms that must hold for a pod to be scheduled.'),
  preferredDuringSchedulingIgnoredDuringExecution: list(WeightedPodAffinityTermSchema).optional().describe('Terms the scheduler prefers, by weight.'),
};

export const AffinitySchema = z
  .object({
    nodeAffinity: z
      .object({
        requiredDuringSchedulingIgnoredDuringExecution: z
          .object({ nodeSelectorTerms: list(NodeSelectorTermSchema).min(1).describe('Terms, any of which must hold (ORed).') })
          .optional()
          .describe('Nodes the pods must run on (core/v1 NodeSelector).'),
        preferredDuringSchedulingIgnoredDuringExecution: list(z
            .object({
              weight: z.int().min(1).max(100).describe('Weight of the term, 1-100.'),
              preference: NodeSelectorTermSchema.describe('The node selector term.'),
            })
            .describe('A preferred node selector term with its weight (core/v1 PreferredSchedulingTerm).'))
          .optional()
          .describe('Nodes the scheduler prefers, by weight.'),
      })
      .optional()
      .describe('Node affinity (core/v1 NodeAffinity).'),
    podAffinity: z.object(podAffinityFields).optional().describe('Pods to run near (core/v1 PodAffinity).'),
    podAntiAffinity: z.object(podAffinityFields).optional().describe('Pods to keep away from (core/v1 PodAntiAffinity).'),
  })
  .describe('Pod affinity (core/v1 Affinity). When it sets no podAntiAffinity, the operator keeps a node\'s two pods on different hosts.');

export const TolerationSchema = z
  .object({
    key: z.string().max(317).optional().describe('Taint key the toleration applies to; empty means all keys (then operator must be Exists).'),
    operator: z.enum(['Exists', 'Equal']).optional().describe('Exists or Equal (default Equal).'),
    value: z.string().max(63).optional().describe('Taint value to match with Equal.'),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional().describe('Taint effect to match; empty means all.'),
    tolerationSeconds: z.int().optional().describe('How long a NoExecute taint is tolerated.'),
  })
  .meta(cel(
    { rule: "!has(self.value) || self.value == '' || !has(self.operator) || self.operator != 'Exists'", message: 'a toleration with operator Exists must not have a value' },
    { rule: "(has(self.key) && self.key != '') || (has(self.operator) && self.operator == 'Exists')", message: 'a toleration without a key must have operator Exists' },
    { rule: "!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')", message: 'tolerationSeconds needs effect NoExecute' },
  ))
  .describe('A pod toleration (core/v1 Toleration).');

export type Affinity = z.infer<typeof AffinitySchema>;

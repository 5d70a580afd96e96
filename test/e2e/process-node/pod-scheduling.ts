// The scheduler's part, as far as the process node needs it: pick a Node for a pending
// pod among schedulable ones, spreading pods that share the pod's anti-affinity labels
// (a node's two pods) and then all pods. Pure.
import type { V1Node, V1Pod } from '@kubernetes/client-node';

function matches(pod: V1Pod, labels: Record<string, string>): boolean {
  return Object.entries(labels).every(([k, v]) => pod.metadata?.labels?.[k] === v);
}

function antiAffinityLabels(pod: V1Pod): Record<string, string>[] {
  const anti = pod.spec?.affinity?.podAntiAffinity;
  const terms = [
    ...(anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => t.podAffinityTerm),
  ];
  return terms.map((t) => t.labelSelector?.matchLabels ?? {}).filter((l) => Object.keys(l).length > 0);
}

export function chooseNode(pod: V1Pod, nodes: readonly V1Node[], pods: readonly V1Pod[]): string | undefined {
  const candidates = nodes.filter((n) => !n.spec?.unschedulable);
  if (candidates.length === 0) return undefined;
  const selectors = antiAffinityLabels(pod);
  const live = pods.filter((p) => p.spec?.nodeName && !p.metadata?.deletionTimestamp && p.metadata?.uid !== pod.metadata?.uid);
  const score = (node: V1Node) => {
    const on = live.filter((p) => p.spec!.nodeName === node.metadata!.name);
    const siblings = on.filter((p) => selectors.some((s) => matches(p, s))).length;
    return siblings * 1000 + on.length;
  };
  return [...candidates].sort((a, b) => score(a) - score(b) || a.metadata!.name!.localeCompare(b.metadata!.name!))[0].metadata!.name;
}

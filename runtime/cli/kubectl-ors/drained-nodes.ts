// The ors.dev/drained-nodes annotation as `kubectl ors drain`/`undrain` edit it: a sorted,
// comma-separated list of node ids, or absent (null in a merge patch) when empty. Pure.
import { parseDrainedNodes } from '../../../operator/api/pod-contract.ts';

export function drainedNodesValue(current: string | undefined, node: number, drained: boolean): string | null {
  const nodes = parseDrainedNodes(current);
  if (drained) nodes.add(node);
  else nodes.delete(node);
  return nodes.size === 0 ? null : [...nodes].sort((a, b) => a - b).join(',');
}

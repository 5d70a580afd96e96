// What became of a switchover `kubectl ors switchover` asked for, judged from successive
// snapshots of the cluster: done once the operator has handled the request and another pod
// holds the node's Lease and is Ready; failed when the operator rejected the request (a
// Warning InvalidSwitchoverRequest event after it was made). Pure.
import type { ClusterSnapshot } from './cluster-snapshot.ts';

export interface SwitchoverRequest {
  node: number;
  /** The annotation value written. */
  value: string;
  /** The primary before the request. */
  previousPrimary: string | undefined;
  requestedAt: string;
}

export type SwitchoverOutcome =
  | { kind: 'pending'; why: string }
  | { kind: 'done'; newPrimary: string; seconds: number }
  | { kind: 'failed'; why: string };

export function switchoverOutcome(request: SwitchoverRequest, snapshot: ClusterSnapshot): SwitchoverOutcome {
  const rejected = snapshot.events.find((e) => e.reason === 'InvalidSwitchoverRequest' && e.time >= request.requestedAt.slice(0, 19));
  if (rejected) return { kind: 'failed', why: `the operator rejected the request: ${rejected.message}` };
  const node = snapshot.nodes.find((n) => n.id === request.node);
  if (snapshot.handledSwitchoverRequest !== request.value) {
    const waiting = [...snapshot.events].reverse().find((e) => e.time >= request.requestedAt.slice(0, 19) && e.message.includes(`switchover of node ${request.node}`));
    return { kind: 'pending', why: waiting ? waiting.message : 'the operator has not acted on the request yet' };
  }
  if (!node?.primary || node.primary === request.previousPrimary) return { kind: 'pending', why: `node ${request.node}: ${request.previousPrimary ?? 'the old primary'} is handing over` };
  if (!node.ready) return { kind: 'pending', why: `node ${request.node}: ${node.primary} holds the Lease, not Ready yet` };
  return { kind: 'done', newPrimary: node.primary, seconds: (Date.parse(snapshot.at) - Date.parse(request.requestedAt)) / 1000 };
}

/** Preconditions checked before writing the annotation, so a hopeless request fails at once. */
export function switchoverRefusal(snapshot: ClusterSnapshot, node: number): string | undefined {
  if (!Number.isInteger(node) || node < 0) return `node must be a node index (0, 1, ...), got ${node}`;
  const status = snapshot.nodes.find((n) => n.id === node);
  if (!status && node >= snapshot.specNodes) return `OrsCluster ${snapshot.name} has no node ${node} (it has ${snapshot.specNodes})`;
  if (status?.draining) return `node ${node} is being removed (draining)`;
  return undefined;
}

// Removing nodes (ids >= spec.nodes, highest first is irrelevant: each drains on its
// own): tell the node to drain through its Lease, then delete it when its primary
// reports no sessions left, when the drain timeout has passed, or at once when nothing
// is served by it.
import type { Action } from './actions.ts';
import type { NodeView } from './observed-state.ts';

export function planScaleDown(view: NodeView, drainTimeoutSeconds: number, now: Date): Action {
  const { id, lease } = view;
  if (!view.primary) return { type: 'delete-node', node: id, reason: 'NoPrimary' };
  if (!lease?.drainSince) return { type: 'start-drain', node: id };
  if (lease.activeSessions === 0) return { type: 'delete-node', node: id, reason: 'Drained' };
  const elapsed = (now.getTime() - Date.parse(lease.drainSince)) / 1000;
  if (elapsed >= drainTimeoutSeconds) return { type: 'delete-node', node: id, reason: 'DrainTimeout' };
  const sessions = lease.activeSessions === undefined ? 'unknown' : String(lease.activeSessions);
  return { type: 'wait', node: id, reason: 'Draining', message: `node ${id}: draining, ${sessions} sessions left, ${Math.ceil(drainTimeoutSeconds - elapsed)}s to the timeout` };
}

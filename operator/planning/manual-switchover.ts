// Manual switchover: the annotation ors.dev/switchover on the OrsCluster names a node,
// "<node>" or "<node>/<anything>" (change the suffix to ask again). A value different
// from status.handledSwitchoverRequest is a new request; it is handled once, when that
// node's backup is synced.
import type { Action } from './actions.ts';
import type { NodeView } from './observed-state.ts';

export type ManualSwitchoverDecision =
  | { kind: 'none' }
  | { kind: 'invalid'; request: string; message: string }
  | { kind: 'wait'; request: string; action: Action }
  | { kind: 'switch'; request: string; action: Action };

export function planManualSwitchover(
  request: string | undefined,
  handled: string | undefined,
  views: readonly NodeView[],
): ManualSwitchoverDecision {
  if (!request || request === handled) return { kind: 'none' };
  const match = /^(\d+)(\/.*)?$/.exec(request.trim());
  if (!match) return { kind: 'invalid', request, message: `ors.dev/switchover must be "<node>" or "<node>/<suffix>", got "${request}"` };
  const id = Number(match[1]);
  const view = views.find((v) => v.id === id);
  if (!view) return { kind: 'invalid', request, message: `ors.dev/switchover names node ${id}, which does not exist` };
  if (!view.primary || !view.backup) {
    return { kind: 'wait', request, action: { type: 'wait', node: id, reason: 'PodsStarting', message: `manual switchover of node ${id}: needs a primary and a backup` } };
  }
  if (!view.synced) {
    return { kind: 'wait', request, action: { type: 'wait', node: id, reason: 'BackupNotSynced', message: `manual switchover of node ${id}: waiting for the backup to be synced` } };
  }
  return { kind: 'switch', request, action: { type: 'request-switchover', node: id, primary: view.primary.name, reason: 'Manual' } };
}

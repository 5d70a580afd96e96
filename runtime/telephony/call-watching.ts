// The call-watching decision: what one runtime process does about one ringing call.
// ORS: the assigned node's primary creates the session at once; its backup and the
// reserved node watch for `call-watching-timeout`; a backup that has become primary
// creates it if none exists; the reserved node creates it when the timeout passes with
// no session. We go one step past ORS so that a call gets a session while *any* node is
// up: the node ranked r (r >= 1) creates it after r x timeout.
//
// Pure: the caller re-evaluates on every change (ringing, attach seen, role change, the
// `recheckAt` timer) and acts on the answer.
import type { Role } from '../ha/role-source.ts';

export interface CallWatchInput {
  now: number;
  /** When this process saw the call's latest ringing (its own clock: no skew between hosts). */
  ringingSeenAt: number;
  role: Role;
  selfNodeId: string;
  /** The placement ranking for the call, best first (see rendezvous.ts). */
  ranking: readonly string[];
  /** A session (on any node) has claimed the call since its latest ringing. */
  sessionAttached: boolean;
  /** This process has already created (or is creating) a session for the call. */
  localSessionExists: boolean;
  /** The call was released, abandoned or routed away from the routing point. */
  callEnded: boolean;
  callWatchingTimeoutMs: number;
}

export type CallWatchDecision =
  | { action: 'create'; reason: string }
  | { action: 'watch'; recheckAt: number | undefined; reason: string }
  | { action: 'ignore'; reason: string };

export function decideCallWatching(input: CallWatchInput): CallWatchDecision {
  if (input.callEnded) return { action: 'ignore', reason: 'the call is no longer on a routing point' };
  if (input.localSessionExists) return { action: 'ignore', reason: 'this process already has a session for the call' };
  if (input.sessionAttached) return { action: 'ignore', reason: 'a session already handles the call' };
  const rank = input.ranking.indexOf(input.selfNodeId);
  if (rank < 0) return { action: 'ignore', reason: 'this node is not in the call placement' };

  if (input.role === 'backup') {
    // A backup never creates sessions; it keeps the call's events so that, if promoted,
    // it can create the session (or replay events into a restarted one).
    return {
      action: 'watch',
      recheckAt: undefined,
      reason: rank === 0 ? 'backup of the assigned node: create if promoted' : `backup of the node ranked ${rank}`,
    };
  }
  if (rank === 0) {
    return { action: 'create', reason: 'primary of the assigned node' };
  }
  const deadline = input.ringingSeenAt + rank * input.callWatchingTimeoutMs;
  if (input.now >= deadline) {
    return {
      action: 'create',
      reason: rank === 1
        ? 'reserved node: no session within call-watching-timeout'
        : `node ranked ${rank}: no session within ${rank} x call-watching-timeout`,
    };
  }
  return {
    action: 'watch',
    recheckAt: deadline,
    reason: rank === 1 ? 'reserved node: watching for call-watching-timeout' : `node ranked ${rank}: watching`,
  };
}

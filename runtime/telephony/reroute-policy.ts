// `new-session-on-reroute`: what happens when a call that already had a session rings
// on a routing point again (an agent or a strategy sent it back). ORS default (false):
// the existing session keeps the call and receives the new ringing; true: a new session
// is started for the routing point's strategy, as for a fresh call.
//
// With false, the node that owns the previous session goes first in the placement, so
// it claims the call (re-attaching its live session, or creating a new one if that
// session has ended) while the others only watch; if that node is down, the usual call
// watching lets the next node create a session.
export interface RerouteInput {
  newSessionOnReroute: boolean;
  selfNodeId: string;
  /** The node that owned the call's previous session. */
  previousOwnerNodeId: string;
  /** The previous session is alive in this process. */
  previousSessionAliveHere: boolean;
  /** The call's normal placement ranking (rendezvous.ts). */
  ranking: readonly string[];
}

export type RerouteDecision =
  /** Deliver the ringing to the existing session and re-attach it (so watchers stand down). */
  | { action: 'keep-existing-session' }
  /** Handle the ringing like a fresh call with this ranking (call-watching.ts). */
  | { action: 'place'; ranking: string[] };

export function decideReroute(input: RerouteInput): RerouteDecision {
  if (input.newSessionOnReroute) return { action: 'place', ranking: [...input.ranking] };
  if (input.previousOwnerNodeId === input.selfNodeId && input.previousSessionAliveHere) {
    return { action: 'keep-existing-session' };
  }
  const others = input.ranking.filter((n) => n !== input.previousOwnerNodeId);
  const ownerIsMember = input.ranking.includes(input.previousOwnerNodeId);
  return { action: 'place', ranking: ownerIsMember ? [input.previousOwnerNodeId, ...others] : others };
}

// A call as one runtime process sees it: its events so far (the backup keeps them too,
// to create or replay a session after a switchover), whether a session has claimed it
// since it last rang, and whether it is over. Pure: events in, new state out.
import type { CallEvent, CallRinging } from './voice-messages.ts';

export interface TrackedCall {
  callId: string;
  events: CallEvent[];
  /** The latest ringing (the call's routing point, attached data, consult info). */
  ringing: CallRinging | undefined;
  /** This process's clock when it saw the latest ringing. */
  ringingSeenAt: number;
  /** The session that claimed the call, and the ringing it claimed it after. */
  attachment: { sessionId: string; nodeId: string; afterRingingSeq: number } | undefined;
  /** The call left the routing point (routed, abandoned) or was released. */
  offRoutingPoint: boolean;
  released: boolean;
}

export function newTrackedCall(callId: string): TrackedCall {
  return { callId, events: [], ringing: undefined, ringingSeenAt: 0, attachment: undefined, offRoutingPoint: false, released: false };
}

/**
 * Applies one event; a duplicate (its seq already seen) leaves the call unchanged. An event
 * older than the newest seen is merged in seq order: a process that connects while calls
 * are live hears their new events on the stream before its `calls.list` answer brings the
 * history, and dropping that history as stale left a call with no ringing and no claim
 * (nobody restarted its session after a double switchover).
 */
export function applyCallEvent(call: TrackedCall, event: CallEvent, now: number): TrackedCall {
  const lastSeq = call.events.length ? call.events[call.events.length - 1]!.seq : 0;
  if (event.seq > lastSeq) return step({ ...call, events: [...call.events, event] }, call, event, now);
  const at = call.events.findIndex((e) => e.seq >= event.seq);
  if (call.events[at]!.seq === event.seq) return call;
  const events = [...call.events.slice(0, at), event, ...call.events.slice(at)];
  let replayed = newTrackedCall(call.callId);
  for (const e of events) replayed = step({ ...replayed }, replayed, e, now);
  replayed.events = events;
  // The latest ringing is the one this process saw already: it keeps the time it saw it.
  if (replayed.ringing?.seq === call.ringing?.seq) replayed.ringingSeenAt = call.ringingSeenAt;
  return replayed;
}

/** `next` (a copy of `call`, `event` appended or not) with the state `event` changes. */
function step(next: TrackedCall, call: TrackedCall, event: CallEvent, now: number): TrackedCall {
  switch (event.type) {
    case 'call.ringing':
      next.ringing = event;
      next.ringingSeenAt = now;
      next.offRoutingPoint = false;
      break;
    case 'call.session-attached':
      next.attachment = { sessionId: event.sessionId, nodeId: event.nodeId, afterRingingSeq: call.ringing?.seq ?? 0 };
      break;
    case 'call.routed':
    case 'call.abandoned':
      next.offRoutingPoint = true;
      break;
    case 'call.released':
      next.offRoutingPoint = true;
      next.released = true;
      break;
    default:
      break;
  }
  return next;
}

/** A session has claimed the call since it last rang. */
export function claimedSinceRinging(call: TrackedCall): boolean {
  return call.attachment !== undefined && call.ringing !== undefined && call.attachment.afterRingingSeq >= call.ringing.seq;
}

/** The ringing is a reroute: the call had a session before it rang this time. */
export function isReroute(call: TrackedCall): boolean {
  return call.ringing?.previousSessionId !== undefined && call.attachment !== undefined && !claimedSinceRinging(call);
}

// Packed batches: the wire form of a batch for a backup that asked for it in its auth frame
// (and whose primary said yes in its welcome). The two changes every session makes — its
// creation and its termination — go as positional arrays instead of objects:
//   [1, at, sessionId, interactionId | null, src, createdAt, persisted, params | null]
//   [2, at, sessionId, interactionId | null, released]
// and any other change (a creation carrying a persisted version or a snapshot too) as its
// event object, as in a batch. `released`: the termination left no live session of its
// interaction (named then), so the backup drops that interaction's events without counting
// sessions per interaction itself (applyFollowedEvent in sync-state.ts). Why: under load the backup only kept pace with its primary
// (bench/ha.bench.ts, the sync-lag rows), and half of its time went to JSON.parse of keys
// it already knows and to the copies of the type and key strings that come with them; the
// array form is half the bytes and a third less parsing on the backup, and cheaper to
// stringify on the primary.
//
// The schemas in sync-protocol.ts stay the contract: a packed event is taken when its
// fields pass the same limits (exact-fields.ts), anything else is rebuilt as the event
// object it stands for and given to zod, which accepts (as it would the object), or
// rejects and explains; test/unit/ha/packed-batch.test.ts holds the two to each other.
import { isCount, isFields, isId, isNumber, isParams, isText, exactly, SRC_MAX } from './exact-fields.ts';
import { isExactEvent } from './exact-batch-frame.ts';
import { issuesReason, SYNC_PROTOCOL_VERSION, SyncEventSchema, type SyncEvent, type SyncedSession } from './sync-protocol.ts';

const CREATED = 1;
const TERMINATED = 2;
const CREATED_LENGTH = 8;
const TERMINATED_LENGTH = 5;

/** The event as it goes in a packed batch (before JSON.stringify); `released`: the interaction a termination released on the primary. */
export function packEvent(event: SyncEvent, released?: string): unknown {
  if (event.type === 'session-terminated') return [TERMINATED, event.at, event.sessionId, event.interactionId ?? released ?? null, released !== undefined];
  if (event.type === 'session-created') {
    const { session } = event;
    if (session.persistedVersion !== undefined || session.snapshot !== undefined || session.snapshotVersion !== undefined) return event;
    return [CREATED, event.at, session.sessionId, session.interactionId ?? null, session.src, session.createdAt, session.persisted, session.params ?? null];
  }
  return event;
}

function createdSession(sessionId: string, interactionId: string | null, src: string, params: Record<string, unknown> | null, createdAt: number, persisted: boolean): SyncedSession {
  // One literal for the common shape (a call's session with its parameters), so its objects share one hidden class.
  if (interactionId !== null && params !== null) return { sessionId, interactionId, src, params, createdAt, persisted };
  const session: SyncedSession = { sessionId, src, createdAt, persisted };
  if (interactionId !== null) session.interactionId = interactionId;
  if (params !== null) session.params = params;
  return session;
}

/** The event object a packed array stands for, its fields as they came (for zod to judge); undefined for no known form. */
function unpackedCandidate(row: unknown[]): Record<string, unknown> | undefined {
  const absentIfNull = (key: string, value: unknown) => (value === null ? {} : { [key]: value });
  if (row[0] === CREATED && row.length === CREATED_LENGTH) {
    const [, at, sessionId, interactionId, src, createdAt, persisted, params] = row;
    return { type: 'session-created', at, session: { sessionId, ...absentIfNull('interactionId', interactionId), src, ...absentIfNull('params', params), createdAt, persisted } };
  }
  if (isTermination(row)) {
    const [, at, sessionId, interactionId] = row;
    return { type: 'session-terminated', at, sessionId, ...absentIfNull('interactionId', interactionId) };
  }
  return undefined;
}

/** A termination's array: its length, and a released flag that is true only beside an interaction. */
function isTermination(row: unknown[]): boolean {
  return row[0] === TERMINATED && row.length === TERMINATED_LENGTH && (row[4] === false || (row[4] === true && row[3] !== null));
}

/** A packed array whose fields pass the schemas' limits, as its event; undefined to leave it to zod. */
function exactUnpacked(row: unknown[]): SyncEvent | undefined {
  const at = row[1];
  if (!isNumber(at)) return undefined;
  if (row[0] === CREATED && row.length === CREATED_LENGTH) {
    const sessionId = row[2];
    const interactionId = row[3];
    const src = row[4];
    const createdAt = row[5];
    const persisted = row[6];
    const params = row[7];
    if (!isId(sessionId) || (interactionId !== null && !isId(interactionId)) || !isText(src, 0, SRC_MAX) || !isNumber(createdAt) || typeof persisted !== 'boolean') return undefined;
    if (params !== null && !isParams(params)) return undefined;
    return { type: 'session-created', at, session: createdSession(sessionId, interactionId, src, params, createdAt, persisted) };
  }
  if (isTermination(row)) {
    const sessionId = row[2];
    const interactionId = row[3];
    if (!isId(sessionId)) return undefined;
    if (interactionId === null) return { type: 'session-terminated', at, sessionId };
    return isId(interactionId) ? { type: 'session-terminated', at, sessionId, interactionId } : undefined;
  }
  return undefined;
}

export type UnpackedEvents =
  /** `released[i]`: the interaction the termination at `events[i]` released. */
  | { ok: true; events: SyncEvent[]; released: (string | undefined)[] }
  | { ok: false; reason: string };

/** The events of a packed batch as the schemas give them back, or why one is not valid. */
export function unpackEvents(packed: unknown[]): UnpackedEvents {
  const events: SyncEvent[] = new Array(packed.length);
  const released: (string | undefined)[] = new Array<string | undefined>(packed.length).fill(undefined);
  for (let index = 0; index < packed.length; index++) {
    const item = packed[index];
    let event: SyncEvent | undefined;
    let candidate: unknown = item;
    if (Array.isArray(item)) {
      event = exactUnpacked(item);
      if (!event) {
        candidate = unpackedCandidate(item);
        if (candidate === undefined) return { ok: false, reason: `events.${index}: not a packed event (${item.length} fields, tag ${JSON.stringify(item[0]) ?? 'none'}, or released without an interaction)` };
      }
    } else if (isExactEvent(item)) {
      event = item;
    }
    if (!event) {
      const checked = SyncEventSchema.safeParse(candidate);
      if (!checked.success) return { ok: false, reason: issuesReason(checked.error.issues, ['events', index]) };
      event = checked.data;
    }
    events[index] = event;
    if (Array.isArray(item) && item[4] === true && event.type === 'session-terminated') released[index] = event.interactionId;
  }
  return { ok: true, events, released };
}

/** The envelope of a packed batch as JSON.parse made it, when the schema would take it unchanged (see sync-protocol.ts). */
export function isExactPackedEnvelope(raw: unknown): raw is { v: typeof SYNC_PROTOCOL_VERSION; type: 'packed'; epoch: number; seq: number; events: unknown[] } {
  if (!isFields(raw) || raw.type !== 'packed' || raw.v !== SYNC_PROTOCOL_VERSION) return false;
  const { epoch, seq, events } = raw;
  return isCount(epoch) && isCount(seq) && Array.isArray(events) && events.length > 0 && exactly(raw, 5, 0);
}

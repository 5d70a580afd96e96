// The backup's fast path for batch frames, the bulk of what it receives. Validating each
// event with the zod schemas (sync-protocol.ts) cost the backup as much as JSON.parse, and
// zod hands back a copy of every object, twice the garbage: under load the backup fell
// behind a primary that only stringifies. This check accepts a frame as it was parsed
// from JSON only when the schemas would accept it and give back the same values (every
// key known, every value within its limits); anything else — an unknown key, a field out
// of range, an unknown event type — goes to zod, which strips, or rejects and explains.
// So the schemas stay the contract; test/unit/ha/exact-batch-frame.test.ts holds this
// check to them.
import { EVENT_NAME_MAX, exactly, type Fields, isCount, isFields, isId, isNumber, isParams, isText, KIND_MAX, SRC_MAX } from './exact-fields.ts';
import { SYNC_PROTOCOL_VERSION, type SyncEvent, type SyncFrame } from './sync-protocol.ts';

export type BatchFrame = Extract<SyncFrame, { type: 'batch' }>;

/** Checks an optional field; returns the number of keys it accounts for (0 when absent), or -1 when invalid. */
function optional(fields: Fields, key: string, valid: (value: unknown) => boolean): number {
  if (!(key in fields)) return 0;
  return valid(fields[key]) ? 1 : -1;
}

/** Counts the optional keys present, -1 as soon as one is invalid. */
function optionals(fields: Fields, checks: [string, (value: unknown) => boolean][]): number {
  let present = 0;
  for (const [key, valid] of checks) {
    const found = optional(fields, key, valid);
    if (found < 0) return -1;
    present += found;
  }
  return present;
}

const anything = () => true;

const SESSION_OPTIONALS: [string, (value: unknown) => boolean][] = [
  ['interactionId', isId],
  ['params', isParams],
  ['persistedVersion', isCount],
  ['snapshot', anything],
  ['snapshotVersion', isCount],
];

function isSession(value: unknown): boolean {
  if (!isFields(value)) return false;
  const { sessionId, src, createdAt, persisted } = value;
  if (!isId(sessionId) || !isText(src, 0, SRC_MAX) || !isNumber(createdAt) || typeof persisted !== 'boolean') return false;
  return exactly(value, 4, optionals(value, SESSION_OPTIONALS));
}

const TREATMENT_OPTIONALS: [string, (value: unknown) => boolean][] = [
  ['interactionId', isId],
  ['expectedEndAt', isNumber],
];

function isTreatment(value: unknown): boolean {
  if (!isFields(value)) return false;
  const { sessionId, treatmentId, kind, startedAt } = value;
  if (!isId(sessionId) || !isId(treatmentId) || !isText(kind, 1, KIND_MAX) || !isNumber(startedAt)) return false;
  return exactly(value, 4, optionals(value, TREATMENT_OPTIONALS));
}

function isInteractionEvent(value: unknown): boolean {
  if (!isFields(value)) return false;
  if (!isText(value.name, 1, EVENT_NAME_MAX) || !isNumber(value.at)) return false;
  return exactly(value, 2, optional(value, 'data', anything));
}

/** An event the schemas would accept unchanged. */
export function isExactEvent(value: unknown): value is SyncEvent {
  if (!isFields(value) || !isNumber(value.at)) return false;
  switch (value.type) {
    case 'session-created':
      return isSession(value.session) && exactly(value, 3, 0);
    case 'session-terminated':
      return isId(value.sessionId) && exactly(value, 3, optional(value, 'interactionId', isId));
    case 'treatment-started':
      return isTreatment(value.treatment) && exactly(value, 3, 0);
    case 'treatment-ended':
      return isId(value.sessionId) && isId(value.treatmentId) && exactly(value, 4, 0);
    case 'session-persisted':
      return isId(value.sessionId) && isCount(value.version) && exactly(value, 4, 0);
    case 'session-snapshot':
      // The snapshot itself may be anything, but must be there (zod's handling of a missing unknown is its own).
      return isId(value.sessionId) && isCount(value.version) && 'snapshot' in value && exactly(value, 5, 0);
    case 'interaction-event':
      return isId(value.interactionId) && isInteractionEvent(value.event) && exactly(value, 4, 0);
    default:
      return false;
  }
}

/** The frame itself when it is a batch the schemas would accept unchanged; undefined to leave it to zod. */
export function exactBatchFrame(raw: unknown): BatchFrame | undefined {
  if (!isFields(raw) || raw.type !== 'batch' || raw.v !== SYNC_PROTOCOL_VERSION) return undefined;
  const { epoch, seq, events } = raw;
  if (!isCount(epoch) || !isCount(seq) || !Array.isArray(events) || events.length === 0 || !exactly(raw, 5, 0)) return undefined;
  for (const event of events) if (!isExactEvent(event)) return undefined;
  return raw as BatchFrame;
}

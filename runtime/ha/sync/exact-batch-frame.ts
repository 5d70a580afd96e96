// The backup's fast path for batch frames, the bulk of what it receives. Validating each
// event with the zod schemas (sync-protocol.ts) cost the backup as much as JSON.parse, and
// zod hands back a copy of every object, twice the garbage: under load the backup fell
// behind a primary that only stringifies. This check accepts a frame as it was parsed
// from JSON only when the schemas would accept it and give back the same values (every
// key known, every value within its limits); anything else — an unknown key, a field out
// of range, an unknown event type — goes to zod, which strips, or rejects and explains.
// So the schemas stay the contract; test/unit/ha/exact-batch-frame.test.ts holds this
// check to them.
import { SYNC_PROTOCOL_VERSION, type SyncEvent, type SyncFrame } from './sync-protocol.ts';

type Fields = Record<string, unknown>;
export type BatchFrame = Extract<SyncFrame, { type: 'batch' }>;

const ID_MAX = 512;
const SRC_MAX = 64 * 1024;
const KIND_MAX = 64;
const EVENT_NAME_MAX = 256;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * How many enumerable keys: equal to the number of known keys found means none is unknown.
 * `fields` has Object.prototype as its prototype (isFields), so for...in sees its own keys
 * only, unless something added enumerable keys to Object.prototype: then the count is
 * higher and the frame goes to zod, never the other way round.
 */
function keyCount(fields: Fields): number {
  let count = 0;
  for (const _key in fields) count++;
  return count;
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isText = (value: unknown, min: number, max: number): value is string => typeof value === 'string' && value.length >= min && value.length <= max;
const isId = (value: unknown): value is string => isText(value, 1, ID_MAX);

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

/** Exactly `required` known keys plus the optional ones present, and nothing else. */
function exactly(fields: Fields, required: number, optionalPresent: number): boolean {
  return optionalPresent >= 0 && keyCount(fields) === required + optionalPresent;
}

const anything = () => true;

/** ORS <data _type="parameter">: any JSON object; one with an own "__proto__" key is left to zod. */
function isParams(value: unknown): boolean {
  return isFields(value) && !Object.hasOwn(value, '__proto__');
}

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

function isExactEvent(value: unknown): value is SyncEvent {
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

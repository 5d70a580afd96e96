// Checks of values as JSON.parse made them against the limits the zod schemas in
// sync-protocol.ts set (ids, texts, counts, parameter objects), without zod's copy. Used
// by the backup's fast paths for the frames it receives most (exact-batch-frame.ts,
// packed-batch.ts); a value these refuse goes to zod, which has the last word.
export type Fields = Record<string, unknown>;

export const ID_MAX = 512;
export const SRC_MAX = 64 * 1024;
export const KIND_MAX = 64;
export const EVENT_NAME_MAX = 256;

export function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * How many enumerable keys: equal to the number of known keys found means none is unknown.
 * `fields` has Object.prototype as its prototype (isFields), so for...in sees its own keys
 * only, unless something added enumerable keys to Object.prototype: then the count is
 * higher and the value goes to zod, never the other way round.
 */
export function keyCount(fields: Fields): number {
  let count = 0;
  for (const _key in fields) count++;
  return count;
}

export const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
export const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
export const isText = (value: unknown, min: number, max: number): value is string => typeof value === 'string' && value.length >= min && value.length <= max;
export const isId = (value: unknown): value is string => isText(value, 1, ID_MAX);

/** ORS <data _type="parameter">: any JSON object; one with an own "__proto__" key is left to zod. */
export function isParams(value: unknown): value is Fields {
  return isFields(value) && !Object.hasOwn(value, '__proto__');
}

/** Exactly `required` known keys plus the optional ones present, and nothing else. */
export function exactly(fields: Fields, required: number, optionalPresent: number): boolean {
  return optionalPresent >= 0 && keyCount(fields) === required + optionalPresent;
}

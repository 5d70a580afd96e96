// Reads and parses the parameters of an API request — query string plus a
// form-urlencoded or JSON body — identically for the hot path and the express routes.
// Bad input gets a precise 4xx: 413 past the size limit, 415 for other content types,
// 400 for malformed bodies.
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.ts';

/** Collects the body, refusing more than `limit` bytes (413) without buffering them. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume();
    return Promise.reject(tooLarge(Number(declared), limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(size, limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!failed) reject(new HttpError(400, 'bad-request', `reading the request body failed: ${error.message}`));
      failed = true;
    });
  });
}

function tooLarge(size: number, limit: number): HttpError {
  return new HttpError(413, 'body-too-large', `request body of ${size} bytes exceeds max-body-size ${limit}`);
}

/** The media type without parameters, lower-cased ("" when absent). */
export function mediaType(contentType: string | undefined): string {
  if (!contentType) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** Sets an own property even for keys like "__proto__", so no input can change a prototype. */
function setOwn(into: Record<string, unknown>, key: string, value: unknown): void {
  // Only "__proto__" is an accessor on a plain object; plain assignment is faster for the rest.
  if (key === '__proto__') Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}

function fromSearchParams(params: URLSearchParams, into: Record<string, unknown>): void {
  for (const [key, value] of params) {
    const existing = Object.hasOwn(into, key) ? into[key] : undefined;
    // A repeated key becomes an array, as form posts of multi-valued fields expect.
    if (existing === undefined) setOwn(into, key, value);
    else if (Array.isArray(existing)) existing.push(value);
    else setOwn(into, key, [existing, value]);
  }
}

/**
 * The deepest nesting of arrays and objects in a JSON text, counted on the bytes before
 * parsing (a string's brackets do not count), stopping as soon as it passes `limit`. A
 * few thousand levels are only 6 KB, yet they overflow the stack of whatever walks the
 * value later (snapshots, the datamodel), so depth is refused here, at the door.
 */
export function jsonDepthExceeds(body: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * Query-string parameters, then body parameters (a body value wins over a query value of
 * the same name). A JSON body must be an object nesting at most `maxDepth` levels.
 */
export function parseParameters(
  contentType: string | undefined,
  body: Buffer,
  query: string,
  maxDepth = 32,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (query.length > 0) fromSearchParams(new URLSearchParams(query), out);
  if (body.length === 0) return out;
  const type = mediaType(contentType);
  if (type === 'application/json' || type.endsWith('+json')) {
    if (jsonDepthExceeds(body, maxDepth)) {
      throw new HttpError(400, 'invalid-json', `request body nests deeper than max-json-depth ${maxDepth}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new HttpError(400, 'invalid-json', `request body is not valid JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new HttpError(400, 'invalid-json', 'a JSON request body must be an object of parameters');
    }
    for (const [key, value] of Object.entries(parsed)) setOwn(out, key, value);
    return out;
  }
  if (type === 'application/x-www-form-urlencoded') {
    fromSearchParams(new URLSearchParams(body.toString('utf8')), out);
    return out;
  }
  throw new HttpError(
    415,
    'unsupported-media-type',
    `content type ${JSON.stringify(contentType ?? '')} is not supported; use application/x-www-form-urlencoded or application/json`,
  );
}

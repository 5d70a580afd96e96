// Writing answers with plain node:http calls (shared by the hot path and express, whose
// `res` is the same ServerResponse): JSON bodies, the ORSSESSIONID cookie, errors, 307s.
import type { ServerResponse } from 'node:http';
import { HttpError } from './http-error.ts';

export function sessionCookie(sessionId: string): string {
  return `ORSSESSIONID=${sessionId}; Path=/`;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendRedirect(res: ServerResponse, location: string, headers?: Record<string, string>): void {
  const text = JSON.stringify({ redirect: location });
  res.writeHead(307, {
    location,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Turns anything thrown into an answer; returns the status so callers can count it. */
export function sendError(res: ServerResponse, error: unknown, headers?: Record<string, string>): number {
  if (res.headersSent) {
    res.destroy();
    return 500;
  }
  if (error instanceof HttpError) {
    sendJson(res, error.status, error.toJSON(), { ...headers, ...error.headers });
    return error.status;
  }
  sendJson(res, 500, { error: 'internal', message: 'internal error (a bug): see the runtime log' }, headers);
  return 500;
}

// The session routes of the ORS REST API (DESIGN §3.2), written against node:http's
// request/response so the same code serves the hot path and the express app.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RoleSource } from '../ha/role-source.ts';
import type { TakeoverGate } from '../ha/takeover-gate.ts';
import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import type { SessionHost, SessionSummary } from '../sessions/session-host.ts';
import { HttpError } from './http-error.ts';
import type { OpenApiDocument } from './openapi.ts';
import { parseParameters, readBody } from './request-parameters.ts';
import { sendError, sendJson, sendRedirect, sessionCookie } from './responses.ts';
import { parseSessionId } from '../sessions/session-id.ts';
import { routeForRole, routeForSession, type RouteDecision, type RoutingTable } from './session-routing.ts';

export interface ApiContext {
  host: SessionHost;
  roles: RoleSource;
  table: RoutingTable;
  maxBodySize: number;
  maxJsonDepth: number;
  /** The OpenAPI document this process serves (its security follows the auth options). */
  openApi: OpenApiDocument;
  heartbeatBackupStatus: number;
  metrics: RuntimeMetrics;
  logger: Logger;
  /** With HA: holds requests for sessions a just-promoted primary is still recovering (no 404 during a takeover). */
  takeover?: TakeoverGate;
}

export type SessionRoute = 'event' | 'request' | 'query' | 'terminate';

/** 9999-12-31T23:59:59.999Z: the last time RFC 3339 (and so `startAt` in answers) can write. */
const latestIdealTime = 253_402_300_799_999;

/** `idealtime`: an ISO 8601 timestamp or milliseconds since the epoch, from 1970 to 9999. */
export function parseIdealTime(value: unknown): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const ms = /^\d+$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) {
    throw new HttpError(
      400,
      'invalid-parameter',
      `idealtime ${JSON.stringify(value)} is neither an ISO 8601 time nor milliseconds since the epoch`,
    );
  }
  if (ms > latestIdealTime) {
    throw new HttpError(400, 'invalid-parameter', `idealtime ${JSON.stringify(value)} is after 9999-12-31T23:59:59.999Z`);
  }
  return ms;
}

/** The cookie of a session route: only for something that is a session id (a header must not carry arbitrary input). */
function cookieFor(sessionId: string): Record<string, string> | undefined {
  return parseSessionId(sessionId) ? { 'set-cookie': sessionCookie(sessionId) } : undefined;
}

/** The status a session's <response status> asked for; 502 when it is not an HTTP status (the strategy's bug, not the client's). */
function answerStatus(status: number | undefined): number {
  if (status === undefined) return 200;
  return Number.isInteger(status) && status >= 200 && status <= 599 ? status : 502;
}

function badResponse(status: unknown): Record<string, unknown> {
  return { error: 'bad-response', message: `the session answered with status ${JSON.stringify(status)}, which is not an HTTP status` };
}

/** A session summary as clients see it: without `location`, the server path or URL its document was read from. */
function publicSummary(summary: SessionSummary): Omit<SessionSummary, 'location'> {
  const { location: _location, ...rest } = summary;
  return rest;
}

function applyDecision(res: ServerResponse, decision: RouteDecision, headers?: Record<string, string>): boolean {
  if (decision.kind === 'local') return false;
  if (decision.kind === 'redirect') sendRedirect(res, decision.location, headers);
  else {
    const retry = decision.retryAfterSeconds === undefined ? undefined : { headers: { 'retry-after': String(decision.retryAfterSeconds) } };
    sendError(res, new HttpError(decision.status, decision.code, decision.message, retry), headers);
  }
  return true;
}

async function parameters(ctx: ApiContext, req: IncomingMessage, query: string): Promise<Record<string, unknown>> {
  const body = await readBody(req, ctx.maxBodySize);
  return parseParameters(req.headers['content-type'], body, query, ctx.maxJsonDepth);
}

export async function handleStart(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<number> {
  const url = req.url ?? '/';
  if (applyDecision(res, routeForRole(ctx.roles.current(), url))) return res.statusCode;
  try {
    const q = url.indexOf('?');
    const { src, idealtime, ...rest } = await parameters(ctx, req, q < 0 ? '' : url.slice(q + 1));
    if (typeof src !== 'string' || src.trim() === '') {
      throw new HttpError(400, 'missing-src', 'src is required: a named application, a file under strategies-dir or an allowed http(s) URL');
    }
    const startAt = idealtime === undefined || idealtime === '' ? undefined : parseIdealTime(idealtime);
    const summary = await ctx.host.createSession(src, rest, { startAt });
    await ctx.host.settled(summary.sessionId);
    sendJson(res, 200, { sessionid: summary.sessionId, ...publicSummary(summary) }, { 'set-cookie': sessionCookie(summary.sessionId) });
    return 200;
  } catch (error) {
    return sendError(res, error);
  }
}

/**
 * Routes for one session; `name` is the event or request name. Returns the status sent.
 */
export async function handleSession(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: SessionRoute,
  sessionId: string,
  name: string,
  query: string,
  pathAndQuery: string,
): Promise<number> {
  const cookie = cookieFor(sessionId);
  if (applyDecision(res, routeForSession(ctx.roles.current(), ctx.table, sessionId, pathAndQuery), cookie)) {
    return res.statusCode;
  }
  try {
    await ctx.takeover?.awaitSession(sessionId);
    switch (route) {
      case 'event': {
        const data = await parameters(ctx, req, query);
        ctx.host.sendEvent(sessionId, { name, data });
        await ctx.host.settled(sessionId);
        sendJson(res, 200, { sessionid: sessionId, event: name, status: 'queued' }, cookie);
        return 200;
      }
      case 'request': {
        const data = await parameters(ctx, req, query);
        // A scheduled session answers nothing until its idealtime, which may be days away.
        if ((await ctx.host.query(sessionId)).metadata.state === 'scheduled') {
          throw new HttpError(409, 'session-not-started', `session ${sessionId} starts at its idealtime; requests are answered once it runs`);
        }
        const response = await ctx.host.request(sessionId, name, data);
        await ctx.host.settled(sessionId);
        const status = answerStatus(response.status);
        sendJson(res, status, status === 502 ? badResponse(response.status) : (response.data ?? {}), cookie);
        return status;
      }
      case 'query': {
        const { metadata, configuration, datamodel } = await ctx.host.query(sessionId);
        sendJson(res, 200, { sessionid: sessionId, configuration, datamodel, metadata: publicSummary(metadata) }, cookie);
        return 200;
      }
      case 'terminate': {
        await readBody(req, ctx.maxBodySize);
        const summary = ctx.host.terminate(sessionId);
        sendJson(res, 200, { sessionid: sessionId, ...publicSummary(summary) }, cookie);
        return 200;
      }
    }
  } catch (error) {
    return sendError(res, error, cookie);
  }
}

export function handleHeartbeat(ctx: ApiContext, res: ServerResponse): number {
  const role = ctx.roles.current();
  const status = role.role === 'primary' ? 200 : ctx.heartbeatBackupStatus;
  sendJson(res, status, {
    node: ctx.table.nodeId,
    role: role.role,
    epoch: role.epoch,
    sessions: ctx.host.size,
    ...(role.primaryUrl ? { primaryUrl: role.primaryUrl } : {}),
    ...(role.failsafe ? { failsafe: true } : {}),
  });
  return status;
}

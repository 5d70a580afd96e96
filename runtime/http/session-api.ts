// The session routes of the ORS REST API (DESIGN §3.2), written against node:http's
// request/response so the same code serves the hot path and the express app.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RoleSource } from '../ha/role-source.ts';
import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import type { SessionHost } from '../sessions/session-host.ts';
import { HttpError } from './http-error.ts';
import { parseParameters, readBody } from './request-parameters.ts';
import { sendError, sendJson, sendRedirect, sessionCookie } from './responses.ts';
import { routeForRole, routeForSession, type RouteDecision, type RoutingTable } from './session-routing.ts';

export interface ApiContext {
  host: SessionHost;
  roles: RoleSource;
  table: RoutingTable;
  maxBodySize: number;
  heartbeatBackupStatus: number;
  metrics: RuntimeMetrics;
  logger: Logger;
}

export type SessionRoute = 'event' | 'request' | 'query' | 'terminate';

/** `idealtime`: an ISO 8601 timestamp or milliseconds since the epoch. */
export function parseIdealTime(value: unknown): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (text === '' || !Number.isFinite(ms)) {
    throw new HttpError(
      400,
      'invalid-parameter',
      `idealtime ${JSON.stringify(value)} is neither an ISO 8601 time nor milliseconds since the epoch`,
    );
  }
  return ms;
}

function applyDecision(res: ServerResponse, decision: RouteDecision, headers?: Record<string, string>): boolean {
  if (decision.kind === 'local') return false;
  if (decision.kind === 'redirect') sendRedirect(res, decision.location, headers);
  else sendError(res, new HttpError(decision.status, decision.code, decision.message), headers);
  return true;
}

async function parameters(ctx: ApiContext, req: IncomingMessage, query: string): Promise<Record<string, unknown>> {
  const body = await readBody(req, ctx.maxBodySize);
  return parseParameters(req.headers['content-type'], body, query);
}

export async function handleStart(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<number> {
  const url = req.url ?? '/';
  if (applyDecision(res, routeForRole(ctx.roles.current(), url))) return res.statusCode;
  try {
    const q = url.indexOf('?');
    const { src, idealtime, ...rest } = await parameters(ctx, req, q < 0 ? '' : url.slice(q + 1));
    if (typeof src !== 'string' || src.trim() === '') {
      throw new HttpError(400, 'missing-src', 'src is required: a named application, a file path or an http(s) URL');
    }
    const startAt = idealtime === undefined || idealtime === '' ? undefined : parseIdealTime(idealtime);
    const summary = await ctx.host.createSession(src, rest, { startAt });
    await ctx.host.settled(summary.sessionId);
    sendJson(res, 200, { sessionid: summary.sessionId, ...summary }, { 'set-cookie': sessionCookie(summary.sessionId) });
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
  const cookie = { 'set-cookie': sessionCookie(sessionId) };
  if (applyDecision(res, routeForSession(ctx.roles.current(), ctx.table, sessionId, pathAndQuery), cookie)) {
    return res.statusCode;
  }
  try {
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
        const response = await ctx.host.request(sessionId, name, data);
        await ctx.host.settled(sessionId);
        const status = response.status ?? 200;
        sendJson(res, status, response.data ?? {}, cookie);
        return status;
      }
      case 'query': {
        const { metadata, configuration, datamodel } = await ctx.host.query(sessionId);
        sendJson(res, 200, { sessionid: sessionId, configuration, datamodel, metadata }, cookie);
        return 200;
      }
      case 'terminate': {
        await readBody(req, ctx.maxBodySize);
        const summary = ctx.host.terminate(sessionId);
        sendJson(res, 200, { sessionid: sessionId, ...summary }, cookie);
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
  });
  return status;
}

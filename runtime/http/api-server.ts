// The runtime's HTTP front: one express 5 router serves every route. (A lean node:http
// dispatcher used to serve the hot session POSTs beside it; bench/runtime-http.bench.ts
// measured express within a few percent of it per core, so one stack it is.) The router
// serves without an express application in front: an application sets its own prototypes
// on every request and response, and V8 migrating the two objects' hidden classes cost
// more per request than all of the routing (none of the handlers uses what they add).
// Order: the session routes (most of the traffic; the router tries routes in order), the
// probes (open), /metrics (its own check), the other API routes, each route checking its
// caller itself; then a known path with another method gets 405 with Allow, and after
// authentication an unknown path 404, all as JSON.
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ApiAccess } from './api-access.ts';
import type { RequestCheck } from './authentication.ts';
import { HttpError } from './http-error.ts';
import { helpText } from './openapi.ts';
import { sendError, sendJson } from './responses.ts';
import { handleHeartbeat, handleSession, handleStart, type ApiContext, type SessionRoute } from './session-api.ts';

function count(ctx: ApiContext, route: string, status: number): void {
  ctx.metrics.httpRequests.inc({ route, status: String(status) });
}

function bug(ctx: ApiContext, res: ServerResponse, route: string) {
  return (error: unknown) => {
    ctx.logger.error({ err: error, route }, 'unhandled error in a route');
    count(ctx, route, sendError(res, error));
  };
}

function methodNotAllowed(res: ServerResponse, allowed: string, got: string): number {
  return sendError(
    res,
    new HttpError(405, 'method-not-allowed', `${got} is not allowed here; use ${allowed}`, { headers: { allow: allowed } }),
  );
}

/** Answers 401/403 and stops; true when the request may go on. */
function admitted(ctx: ApiContext, check: RequestCheck, route: string, req: Request, res: Response): boolean {
  const refused = check(req);
  if (!refused) return true;
  // The body is not read: close the connection rather than drain an unauthenticated upload.
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
    res.setHeader('connection', 'close');
  }
  count(ctx, route, sendError(res, refused));
  return false;
}

/** The check as middleware of its own (in front of what has no route). */
function guard(ctx: ApiContext, check: RequestCheck, route: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (admitted(ctx, check, route, req, res)) next();
  };
}

/** One route: `path` in express syntax (`:param`); the OpenAPI document lists exactly these (a unit test checks). */
export interface ApiRoute {
  method: 'get' | 'post';
  path: string;
  /** Who may call it: anyone (probes), the /metrics check, or the API check. */
  access: 'open' | 'metrics' | 'api';
  handle: (ctx: ApiContext, req: Request, res: Response) => void;
}

const pathOf = (url: string) => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

function notFound(ctx: ApiContext, res: ServerResponse, method: string, url: string): void {
  count(ctx, 'unknown', sendError(res, new HttpError(404, 'not-found', `no route ${method} ${pathOf(url)}`)));
}

const queryOf = (url: string) => {
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q + 1);
};

function sessionRoute(route: SessionRoute): ApiRoute['handle'] {
  return (ctx, req, res) => {
    const { sessionId, name } = req.params as { sessionId: string; name?: string };
    handleSession(ctx, req, res, route, sessionId, name ?? '', queryOf(req.originalUrl), req.originalUrl).then(
      (status) => count(ctx, route, status),
      bug(ctx, res, route),
    );
  };
}

export const apiRoutes: readonly ApiRoute[] = [
  // The session routes first: express tries the routes in order, and events are most of the traffic.
  { method: 'post', path: '/scxml/session/:sessionId/event/:name', access: 'api', handle: sessionRoute('event') },
  { method: 'post', path: '/scxml/session/:sessionId/request/:name', access: 'api', handle: sessionRoute('request') },
  { method: 'get', path: '/scxml/session/:sessionId/query', access: 'api', handle: sessionRoute('query') },
  { method: 'post', path: '/scxml/session/:sessionId/terminate', access: 'api', handle: sessionRoute('terminate') },
  { method: 'get', path: '/heartbeat', access: 'open', handle: (ctx, _req, res) => count(ctx, 'heartbeat', handleHeartbeat(ctx, res)) },
  // The pods' liveness probe (operator/api/pod-contract.md): 200 whenever the process
  // answers at all, on both roles (a backup is alive, just not Ready).
  {
    method: 'get',
    path: '/livez',
    access: 'open',
    handle: (ctx, _req, res) => sendJson(res, 200, { status: 'alive', role: ctx.roles.current().role }),
  },
  {
    method: 'get',
    path: '/metrics',
    access: 'metrics',
    handle: (ctx, _req, res) => {
      ctx.metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType });
        res.end(text);
      }, bug(ctx, res, 'metrics'));
    },
  },
  { method: 'get', path: '/ors/help', access: 'api', handle: (ctx, _req, res) => sendJson(res, 200, helpText(ctx.openApi)) },
  { method: 'get', path: '/openapi.json', access: 'api', handle: (ctx, _req, res) => sendJson(res, 200, ctx.openApi) },
  {
    method: 'post',
    path: '/scxml/session/start',
    access: 'api',
    handle: (ctx, req, res) => {
      handleStart(ctx, req, res).then((status) => count(ctx, 'start', status), bug(ctx, res, 'start'));
    },
  },
];

function createApiRouter(ctx: ApiContext, access: Pick<ApiAccess, 'api' | 'metrics'>): express.Router {
  const router = express.Router();
  // Who checks a route's caller, and the route name a refusal is counted under.
  const callerChecks: Record<ApiRoute['access'], { check: RequestCheck; route: string } | undefined> = {
    open: undefined,
    metrics: { check: access.metrics, route: 'metrics' },
    api: { check: access.api, route: 'unauthenticated' },
  };
  const guardOf = (of: ApiRoute['access']) => {
    const caller = callerChecks[of];
    return caller && guard(ctx, caller.check, caller.route);
  };
  const methods = new Map<string, string[]>();
  for (const route of apiRoutes) {
    const caller = callerChecks[route.access];
    // One handler a route, the check inside it: express's next() between two is a cost on every request.
    const handle = caller
      ? (req: Request, res: Response) => {
          if (admitted(ctx, caller.check, caller.route, req, res)) route.handle(ctx, req, res);
        }
      : (req: Request, res: Response) => route.handle(ctx, req, res);
    router[route.method](route.path, handle);
    methods.set(route.path, [...(methods.get(route.path) ?? []), route.method.toUpperCase()]);
  }
  // A known path with another method (TRACE, PUT, ...): 405 naming the allowed ones, after
  // authentication for API paths (an anonymous client learns nothing about them).
  for (const [path, allowed] of methods) {
    const check = guardOf(apiRoutes.find((r) => r.path === path)!.access);
    const refuse = (req: Request, res: Response) => count(ctx, 'unknown', methodNotAllowed(res, allowed.join(', '), req.method));
    if (check) router.all(path, check, refuse);
    else router.all(path, refuse);
  }
  router.use(guardOf('api')!);
  router.use((req: Request, res: Response) => notFound(ctx, res, req.method, req.originalUrl));
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // express's own refusals (e.g. malformed percent-encoding in a path) carry a 4xx status; anything else is a bug.
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      count(ctx, 'express', sendError(res, new HttpError(status, 'bad-request', (error as Error).message)));
      return;
    }
    bug(ctx, res, 'express')(error);
  });
  return router;
}

/** The request listener: the router, with a last word for whatever it passes on (its own handlers answer everything). */
export function createRequestListener(
  ctx: ApiContext,
  access: Pick<ApiAccess, 'api' | 'metrics'>,
): (req: IncomingMessage, res: ServerResponse) => void {
  const router = createApiRouter(ctx, access);
  return (req, res) => {
    router(req as Request, res as Response, (error?: unknown) => {
      if (error) bug(ctx, res, 'express')(error);
      else notFound(ctx, res, req.method ?? 'GET', req.url ?? '/');
    });
  };
}

/** HTTP, or HTTPS when the access options name a certificate (asking for client certificates with auth mtls). */
export function createApiServer(ctx: ApiContext, access: Pick<ApiAccess, 'api' | 'metrics' | 'tls'>): Server {
  const listener = createRequestListener(ctx, access);
  if (!access.tls) return http.createServer({ keepAliveTimeout: 65_000 }, listener);
  const { cert, key, ca, requestCert } = access.tls;
  // rejectUnauthorized false: the handshake completes without a trusted certificate so the
  // refusal can be a JSON 401/403 (authentication.ts) instead of a bare TLS alert.
  return https.createServer(
    { keepAliveTimeout: 65_000, cert, key, ...(ca ? { ca } : {}), requestCert, rejectUnauthorized: false },
    listener,
  ) as unknown as Server;
}

// The runtime's HTTP front: one express 5 app serves every route. (A lean node:http
// dispatcher used to serve the hot session POSTs beside it; bench/runtime-http.bench.ts
// measured express within a few percent of it per core, so one stack it is.)
// Order: probes (open), /metrics (its own check), then authentication for everything
// else, then the routes; a known path with another method gets 405 with Allow, an
// unknown path 404, all as JSON.
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ApiAccess } from './api-access.ts';
import type { RequestCheck } from './authentication.ts';
import { HttpError } from './http-error.ts';
import { helpText, openApiDocument } from './openapi.ts';
import { sendError, sendJson } from './responses.ts';
import { handleHeartbeat, handleSession, handleStart, type ApiContext } from './session-api.ts';
import { matchSessionPath, sessionRouteMethod } from './session-path.ts';

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

/** Answers 401/403 and stops, or lets the request through. */
function guard(ctx: ApiContext, check: RequestCheck, route: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const refused = check(req);
    if (!refused) return next();
    // The body is not read: close the connection rather than drain an unauthenticated upload.
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
      res.setHeader('connection', 'close');
    }
    count(ctx, route, sendError(res, refused));
  };
}

export function createExpressApp(ctx: ApiContext, access: Pick<ApiAccess, 'api' | 'metrics'>): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  app.get('/heartbeat', (_req, res) => {
    count(ctx, 'heartbeat', handleHeartbeat(ctx, res));
  });
  // The pods' liveness probe (operator/api/pod-contract.md): 200 whenever the process
  // answers at all, on both roles (a backup is alive, just not Ready).
  app.get('/livez', (_req, res) => sendJson(res, 200, { status: 'alive', role: ctx.roles.current().role }));
  app.get('/metrics', guard(ctx, access.metrics, 'metrics'), (_req, res, next) => {
    ctx.metrics.registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType });
      res.end(text);
    }, next);
  });
  for (const path of ['/heartbeat', '/livez', '/metrics']) {
    app.all(path, (req, res) => count(ctx, 'unknown', methodNotAllowed(res, 'GET', req.method)));
  }

  app.use(guard(ctx, access.api, 'unauthenticated'));

  app.get('/ors/help', (_req, res) => sendJson(res, 200, helpText()));
  app.get('/openapi.json', (_req, res) => sendJson(res, 200, openApiDocument));
  app.post('/scxml/session/start', (req, res) => {
    handleStart(ctx, req, res).then((status) => count(ctx, 'start', status), bug(ctx, res, 'start'));
  });
  app.all('/scxml/session/start', (req, res) => {
    count(ctx, 'start', methodNotAllowed(res, 'POST', req.method));
  });
  app.use('/scxml/session', (req, res, next) => {
    let match;
    try {
      match = matchSessionPath(req.originalUrl);
    } catch (error) {
      count(ctx, 'session', sendError(res, error));
      return;
    }
    if (!match) return next();
    const method = sessionRouteMethod[match.route];
    if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
      count(ctx, match.route, methodNotAllowed(res, method, req.method));
      return;
    }
    handleSession(ctx, req, res, match.route, match.sessionId, match.name, match.query, req.originalUrl).then(
      (status) => count(ctx, match.route, status),
      bug(ctx, res, match.route),
    );
  });
  for (const path of ['/ors/help', '/openapi.json']) {
    app.all(path, (req, res) => count(ctx, 'unknown', methodNotAllowed(res, 'GET', req.method)));
  }

  app.use((req: Request, res: Response) => {
    count(ctx, 'unknown', sendError(res, new HttpError(404, 'not-found', `no route ${req.method} ${req.path}`)));
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // express's own refusals (e.g. a malformed URL) carry a 4xx status; anything else is a bug.
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      count(ctx, 'express', sendError(res, new HttpError(status, 'bad-request', (error as Error).message)));
      return;
    }
    bug(ctx, res, 'express')(error);
  });
  return app;
}

/** The request listener: the express app. */
export function createRequestListener(
  ctx: ApiContext,
  access: Pick<ApiAccess, 'api' | 'metrics'>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return createExpressApp(ctx, access);
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

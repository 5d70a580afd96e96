// The runtime's HTTP front. A lean node:http dispatcher serves the hot session routes
// (session start, event and request POSTs) itself — express 5 costs ~60% of raw throughput on an empty
// handler — and hands every other request to the express app. Both paths share the
// handlers of session-api.ts, so answers are identical.
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
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

export function createExpressApp(ctx: ApiContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  // POST is served by the lean dispatcher (createRequestListener); other methods land here.
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

  app.get('/heartbeat', (_req, res) => {
    count(ctx, 'heartbeat', handleHeartbeat(ctx, res));
  });
  // The pods' liveness probe (operator/api/pod-contract.md): 200 whenever the process
  // answers at all, on both roles (a backup is alive, just not Ready).
  app.get('/livez', (_req, res) => sendJson(res, 200, { status: 'alive', role: ctx.roles.current().role }));
  app.get('/metrics', (_req, res, next) => {
    ctx.metrics.registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType });
      res.end(text);
    }, next);
  });
  app.get('/ors/help', (_req, res) => sendJson(res, 200, helpText()));
  app.get('/openapi.json', (_req, res) => sendJson(res, 200, openApiDocument));

  app.use((req: Request, res: Response) => {
    count(ctx, 'unknown', sendError(res, new HttpError(404, 'not-found', `no route ${req.method} ${req.path}`)));
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    bug(ctx, res, 'express')(error);
  });
  return app;
}

function methodNotAllowed(res: ServerResponse, allowed: string, got: string): number {
  return sendError(
    res,
    new HttpError(405, 'method-not-allowed', `${got} is not allowed here; use ${allowed}`, { headers: { allow: allowed } }),
  );
}

/** The request listener: hot routes first, express for the rest. */
export function createRequestListener(ctx: ApiContext): (req: IncomingMessage, res: ServerResponse) => void {
  const app = createExpressApp(ctx);
  return (req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'POST' && url.startsWith('/scxml/session/')) {
      if (url === '/scxml/session/start' || url.startsWith('/scxml/session/start?')) {
        handleStart(ctx, req, res).then((status) => count(ctx, 'start', status), bug(ctx, res, 'start'));
        return;
      }
      let match;
      try {
        match = matchSessionPath(url);
      } catch (error) {
        count(ctx, 'session', sendError(res, error));
        return;
      }
      if (match && (match.route === 'event' || match.route === 'request')) {
        handleSession(ctx, req, res, match.route, match.sessionId, match.name, match.query, url).then(
          (status) => count(ctx, match.route, status),
          bug(ctx, res, match.route),
        );
        return;
      }
    }
    app(req, res);
  };
}

export function createApiServer(ctx: ApiContext): Server {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, createRequestListener(ctx));
  return server;
}

// /metrics (Prometheus), /healthz (the process is alive), /readyz (leader with
// synced caches, or a healthy standby) and the live status page (/status, /status.json;
// operator/status-page/) on one small HTTP server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { handleStatusRoute, type StatusSource } from '../status-page/status-routes.ts';
import type { AuthorizationResult } from './request-authorizer.ts';

export interface HealthSource {
  registry: Registry;
  ready: () => boolean;
  describe: () => Record<string, unknown>;
  /** The status page's data; without one, /status is not served. */
  status?: StatusSource;
  /** Asked before /metrics and the status page (--metrics-auth kubernetes); the probes stay open. */
  authorize?: (authorization: string | undefined, path: string) => Promise<AuthorizationResult>;
}

export async function startHealthServer(host: string, port: number, source: HealthSource): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return json(405, { error: 'method_not_allowed', message: 'only GET' });
    if (path === '/healthz') return json(200, { status: 'ok', ...source.describe() });
    if (path === '/readyz') return source.ready() ? json(200, { status: 'ready', ...source.describe() }) : json(503, { status: 'not ready', ...source.describe() });
    const serve = () => {
      if (path === '/metrics') {
        source.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': source.registry.contentType });
            res.end(text);
          },
          (error: unknown) => json(500, { error: 'metrics_failed', message: String(error) }),
        );
        return;
      }
      if (source.status && handleStatusRoute(path, res, source.status)) return;
      json(404, { error: 'not_found', message: `no route ${path}; try /healthz, /readyz, /metrics${source.status ? ', /status' : ''}` });
    };
    if (!source.authorize) return serve();
    source.authorize(req.headers.authorization, path).then(
      (result) => (result.ok ? serve() : json(result.status, { error: result.status === 401 ? 'unauthorized' : 'forbidden', message: result.message })),
      // The API server could not be asked: not the client's fault, and not a yes.
      (error: unknown) => json(503, { error: 'authorization_unavailable', message: String((error as Error)?.message ?? error) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

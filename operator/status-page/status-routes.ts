// GET /status (the page: one static HTML file whose script polls status.json) and GET
// /status.json (the model), for the operator's health server and for `ors local`'s
// status server. Read-only: there is nothing here that changes a cluster.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { StatusPage } from './page-model.ts';

/** Where the page's data comes from (./kubernetes-source.ts, ./local-source.ts). */
export interface StatusSource {
  snapshot(): Promise<StatusPage>;
}

const PAGE_HTML = readFileSync(path.join(import.meta.dirname, 'status-page.html'));

/** Answers `path` if it is a status route (true), else leaves `res` alone (false). */
export function handleStatusRoute(path: string, res: http.ServerResponse, source: StatusSource): boolean {
  if (path === '/status' || path === '/status/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'" });
    res.end(PAGE_HTML);
    return true;
  }
  if (path === '/status.json' || path === '/status/status.json') {
    source.snapshot().then(
      (page) => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(page));
      },
      (error: unknown) => {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'status_unavailable', message: String((error as Error)?.message ?? error) }));
      },
    );
    return true;
  }
  return false;
}

/** A server of the status routes only (`ors local --status-port`). */
export async function startStatusServer(host: string, port: number, source: StatusSource): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'method_not_allowed', message: 'only GET' }));
      return;
    }
    if (url === '/') {
      res.writeHead(302, { location: '/status' });
      res.end();
      return;
    }
    if (handleStatusRoute(url, res, source)) return;
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not_found', message: `no route ${url}; try /status or /status.json` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

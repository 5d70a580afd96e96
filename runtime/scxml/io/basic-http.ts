// The Basic HTTP Event I/O Processor (SCXML Appendix C.2): events arrive as HTTP POSTs to
// a per-session URL and are sent as form-encoded POSTs. This is the one I/O module of the
// interpreter; the interpreter itself stays free of I/O.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BASIC_HTTP_PROCESSOR } from '../session/state.ts';
import { MapRegistry } from '../map-registry.ts';
import type { IoProcessor, OutgoingEvent, SessionRegistry } from '../types.ts';

const PATH_PREFIX = '/scxml-basichttp/';
const MAX_BODY = 1 << 20;

export class BasicHttpProcessor implements IoProcessor {
  /** Sessions reachable through this processor; give the same registry to the sessions. */
  readonly registry: SessionRegistry;
  private server: http.Server | undefined;
  private baseUrl = '';

  constructor(registry: SessionRegistry = new MapRegistry()) {
    this.registry = registry;
  }

  /** Starts the receiving server (loopback, a free port unless one is given); returns its base URL. */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = http.createServer((req, res) => this.receive(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.baseUrl = `http://${host}:${address.port}`;
    return this.baseUrl;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  location(sessionId: string): string {
    return `${this.baseUrl}${PATH_PREFIX}${encodeURIComponent(sessionId)}`;
  }

  send(event: OutgoingEvent): Promise<void> {
    if (!event.target) throw new Error('the Basic HTTP processor needs a target URL');
    let url: URL;
    try {
      url = new URL(event.target);
    } catch {
      throw new Error(`invalid target URL ${event.target}`);
    }
    let body: string;
    if (typeof event.data === 'string' && !event.name) {
      body = encodeURIComponent(event.data);
    } else {
      const form = new URLSearchParams();
      if (event.name) form.set('_scxmleventname', event.name);
      if (event.data !== null && typeof event.data === 'object') {
        for (const [k, v] of Object.entries(event.data as Record<string, unknown>)) {
          form.append(k, typeof v === 'string' ? v : JSON.stringify(v));
        }
      } else if (event.data !== undefined) form.set('_scxmldata', String(event.data));
      body = form.toString();
    }
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    }).then(async (res) => {
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${event.target} answered ${res.status}`);
    });
  }

  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    const reply = (status: number, message: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status < 400 ? { ok: true } : { error: 'basichttp', message }));
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'POST' || !url.pathname.startsWith(PATH_PREFIX)) {
      reply(404, 'not a Basic HTTP event endpoint');
      return;
    }
    const session = this.registry.get(decodeURIComponent(url.pathname.slice(PATH_PREFIX.length)));
    if (!session) {
      reply(404, 'no such session');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const raw =
        `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n` +
        Object.entries(req.headers)
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join('\r\n') +
        `\r\n\r\n${body}`;
      let name = `HTTP.${req.method}`;
      let data: unknown = body;
      if (body.includes('=')) {
        const form = new URLSearchParams(body);
        const fields: Record<string, string> = {};
        for (const [k, v] of form) {
          if (k === '_scxmleventname') name = v;
          else fields[k] = v;
        }
        data = fields;
      } else if (body !== '') {
        data = decodeURIComponent(body);
      }
      session.enqueue({ name, data, raw, origintype: BASIC_HTTP_PROCESSOR });
      reply(200, 'ok');
    });
  }
}

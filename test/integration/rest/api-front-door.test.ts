// The REST API's front door on real `ors runtime` processes: bearer tokens (rotated
// without a restart), mutual TLS with real certificates (openssl), open probes, /metrics
// protected separately, 307s with credentials, the strategy-source policy against a
// local HTTP server on loopback, and each input that used to give a 5xx.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueCertificate, type KeyPair } from '../../infra/certificates.ts';
import { httpsRequest } from '../../infra/https-get.ts';
import { waitUntil } from '../../infra/wait-until.ts';
import { spawnOrs, type OrsProcess } from '../../support/ors-processes.ts';

const counter = `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="main">
  <datamodel><data id="customer" _type="parameter"/><data id="seen" expr="0"/></datamodel>
  <state id="main"><transition event="go" type="internal"><assign location="seen" expr="seen + 1"/></transition></state>
</scxml>`;
const persisted = counter.replace('initial="main"', 'initial="main" _persist="true"');

let dir = '';
const running: OrsProcess[] = [];

async function runtime(args: string[], env: Record<string, string> = {}): Promise<{ url: string; proc: OrsProcess }> {
  const proc = spawnOrs(['runtime', '--http-host', '127.0.0.1', '--http-port', '0', '--log-level', 'warn', ...args], { env });
  running.push(proc);
  const m = await proc.line(/listening on (\S+)/, 30_000);
  return { url: m[1]!, proc };
}

/** Methods fetch refuses to send (TRACE), over plain node:http. */
function rawRequest(method: string, url: string): Promise<{ status: number; json: Record<string, unknown>; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, json: text ? JSON.parse(text) : {}, headers: response.headers }));
    });
    request.on('error', reject);
    request.end();
  });
}

async function call(
  url: string,
  options: { method?: string; token?: string; body?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers; text: string }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = typeof options.json === 'string' ? options.json : JSON.stringify(options.json);
  } else if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(url, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // /metrics is text
  }
  return { status: response.status, json, headers: response.headers, text };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ors-front-door-'));
  await writeFile(path.join(dir, 'counter.scxml'), counter);
  await writeFile(path.join(dir, 'kept.scxml'), persisted);
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('bearer tokens', () => {
  let url = '';
  const tokensFile = () => path.join(dir, 'tokens');
  beforeAll(async () => {
    await writeFile(tokensFile(), '# API clients\nfirst-token-0123456789\n\nsecond-token-abcdefghij\n');
    await writeFile(path.join(dir, 'metrics-tokens'), 'prometheus-token-0000\n');
    ({ url } = await runtime([
      '--auth-tokens-file', tokensFile(), '--strategies-dir', dir,
      '--metrics-auth', 'tokens', '--metrics-tokens-file', path.join(dir, 'metrics-tokens'),
    ]));
  });

  it('refuses every API route without a token, with JSON 401 and a Bearer challenge', async () => {
    for (const [method, p] of [
      ['POST', '/scxml/session/start'],
      ['POST', '/scxml/session/node-0.aaaaaaaaaaaaaaaaaaaa/event/go'],
      ['GET', '/scxml/session/node-0.aaaaaaaaaaaaaaaaaaaa/query'],
      ['GET', '/openapi.json'],
      ['GET', '/ors/help'],
      ['GET', '/no/such/route'],
    ] as const) {
      const r = await call(url + p, { method, ...(method === 'POST' ? { body: 'src=counter.scxml' } : {}) });
      expect(r.status, `${method} ${p}`).toBe(401);
      expect(r.json).toMatchObject({ error: 'unauthorized' });
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="ors"/);
    }
    const wrong = await call(`${url}/scxml/session/start`, { token: 'first-token-012345678', body: 'src=counter.scxml' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('invalid_token');
    expect((await call(`${url}/ors/help`, { headers: { authorization: 'Basic Zm9vOmJhcg==' } })).status).toBe(401);
    expect((await rawRequest('TRACE', `${url}/scxml/session/start`)).status).toBe(401);
  });

  it('serves with any token of the file; probes stay open; /metrics takes only its own tokens', async () => {
    for (const token of ['first-token-0123456789', 'second-token-abcdefghij']) {
      const started = await call(`${url}/scxml/session/start`, { token, body: 'src=counter.scxml&customer=ann' });
      expect(started.status, started.text).toBe(200);
      const id = started.json.sessionid as string;
      expect((await call(`${url}/scxml/session/${id}/event/go`, { token, body: '' })).status).toBe(200);
      expect((await call(`${url}/scxml/session/${id}/query`, { token })).json.datamodel).toMatchObject({ customer: 'ann', seen: 1 });
    }
    expect((await call(`${url}/heartbeat`)).status).toBe(200);
    expect((await call(`${url}/livez`)).status).toBe(200);
    expect((await call(`${url}/metrics`)).status).toBe(401);
    expect((await call(`${url}/metrics`, { token: 'first-token-0123456789' })).status).toBe(401);
    const metrics = await call(`${url}/metrics`, { token: 'prometheus-token-0000' });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('ors_http_requests_total');
  });

  it('takes a rotated token file without a restart', async () => {
    await writeFile(tokensFile(), 'rotated-token-zyxwvutsrq\n');
    await waitUntil(
      async () => ((await call(`${url}/ors/help`, { token: 'rotated-token-zyxwvutsrq' })).status === 200 ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 200, what: 'the rotated token to be accepted' },
    );
    expect((await call(`${url}/ors/help`, { token: 'first-token-0123456789' })).status).toBe(401);
    // An emptied file (a botched rotation) keeps the tokens read before instead of locking everyone out.
    await writeFile(tokensFile(), '\n');
    await new Promise((r) => setTimeout(r, 2500));
    expect((await call(`${url}/ors/help`, { token: 'rotated-token-zyxwvutsrq' })).status).toBe(200);
  });

  it('the OpenAPI document declares the bearer scheme and open probes', async () => {
    const doc = (await call(`${url}/openapi.json`, { token: 'rotated-token-zyxwvutsrq' })).json as {
      security: unknown[];
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    };
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(doc.components.securitySchemes)).toEqual(['bearerAuth', 'metricsBearerAuth']);
    expect(doc.paths['/heartbeat']!.get!.security).toEqual([]);
    expect(doc.paths['/scxml/session/start']!.post!.responses['401']).toBeDefined();
  });

  it('307 to the owning node works with the same token; ors runtime refuses to start without tokens', async () => {
    await writeFile(path.join(dir, 'pair-tokens'), 'pair-token-0123456789\n');
    const owner = await runtime(['--node-id', 'node-1', '--auth-tokens-file', path.join(dir, 'pair-tokens'), '--strategies-dir', dir]);
    const other = await runtime([
      '--node-id', 'node-2', '--auth-tokens-file', path.join(dir, 'pair-tokens'), '--strategies-dir', dir, '--node-urls', `node-1=${owner.url}`,
    ]);
    const token = 'pair-token-0123456789';
    const id = (await call(`${owner.url}/scxml/session/start`, { token, body: 'src=counter.scxml' })).json.sessionid as string;
    expect((await call(`${other.url}/scxml/session/${id}/query`)).status).toBe(401);
    const redirected = await call(`${other.url}/scxml/session/${id}/event/go?n=1`, { token, body: '' });
    expect(redirected.status).toBe(307);
    const location = redirected.headers.get('location')!;
    expect(location).toBe(`${owner.url}/scxml/session/${id}/event/go?n=1`);
    expect((await call(location, { token, body: '' })).status).toBe(200);
    expect((await call(location, { body: '' })).status).toBe(401);

    const refused = spawnOrs(['runtime', '--http-port', '0']);
    running.push(refused);
    const code = await new Promise((resolve) => refused.child.once('exit', resolve));
    expect(code).toBe(2);
    expect(refused.output()).toMatch(/auth bearer \(the default; set auth none for an open API\) needs auth-tokens-file/);
  });
});

describe('mutual TLS with real certificates', () => {
  let url = '';
  let ca: KeyPair;
  let client: KeyPair;
  let stranger: KeyPair;
  beforeAll(async () => {
    const certs = await mkdtemp(path.join(dir, 'certs-'));
    ca = await createCertificateAuthority(certs, 'ors-ca');
    const otherCa = await createCertificateAuthority(certs, 'other-ca');
    const server = await issueCertificate(certs, 'server', ca, { commonName: 'ors-runtime', ipAddresses: ['127.0.0.1'], usage: 'server' });
    client = await issueCertificate(certs, 'client', ca, { commonName: 'routing-client', usage: 'client' });
    stranger = await issueCertificate(certs, 'stranger', otherCa, { commonName: 'stranger', usage: 'client' });
    ({ url } = await runtime([
      '--auth', 'mtls', '--tls-cert-file', server.cert, '--tls-key-file', server.key, '--tls-client-ca-file', ca.cert,
      '--strategies-dir', dir, '--metrics-auth', 'api',
    ]));
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves a client with a certificate of the CA; 401 without one, 403 with a stranger\'s; probes open', async () => {
    const trusted = { ca: ca.cert, cert: client.cert, key: client.key };
    const started = await httpsRequest('POST', `${url}/scxml/session/start`, trusted, 'src=counter.scxml&customer=tls');
    expect(started.status, started.body).toBe(200);
    const id = (JSON.parse(started.body) as { sessionid: string }).sessionid;
    expect((await httpsRequest('POST', `${url}/scxml/session/${id}/event/go`, trusted, '')).status).toBe(200);
    expect(JSON.parse((await httpsRequest('GET', `${url}/scxml/session/${id}/query`, trusted)).body).datamodel).toMatchObject({ seen: 1 });

    const anonymous = await httpsRequest('GET', `${url}/scxml/session/${id}/query`, { ca: ca.cert });
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({ error: 'unauthorized' });
    const strange = await httpsRequest('GET', `${url}/scxml/session/${id}/query`, { ca: ca.cert, cert: stranger.cert, key: stranger.key });
    expect(strange.status).toBe(403);
    expect(JSON.parse(strange.body)).toMatchObject({ error: 'forbidden' });
    expect((await httpsRequest('GET', `${url}/metrics`, { ca: ca.cert })).status).toBe(401);
    expect((await httpsRequest('GET', `${url}/metrics`, trusted)).status).toBe(200);
    expect((await httpsRequest('GET', `${url}/heartbeat`, { ca: ca.cert })).status).toBe(200);
    expect((await httpsRequest('GET', `${url}/livez`, { ca: ca.cert })).status).toBe(200);
  });

  it('mtls without a CA is a configuration error', async () => {
    const refused = spawnOrs(['runtime', '--http-port', '0', '--auth', 'mtls']);
    running.push(refused);
    expect(await new Promise((resolve) => refused.child.once('exit', resolve))).toBe(2);
    expect(refused.output()).toContain('auth mtls needs tls-cert-file, tls-key-file and tls-client-ca-file');
  });
});

describe('strategy sources', () => {
  let url = '';
  let origin = '';
  let server: http.Server;
  let slowRequests = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const p = req.url ?? '/';
      if (p === '/allowed/counter.scxml') res.writeHead(200, { 'content-type': 'application/xml' }).end(counter);
      else if (p === '/allowed/hop') res.writeHead(302, { location: '/allowed/counter.scxml' }).end();
      else if (p === '/allowed/escape') res.writeHead(307, { location: '/elsewhere/counter.scxml' }).end();
      else if (p === '/allowed/loop') res.writeHead(302, { location: '/allowed/loop' }).end();
      else if (p === '/elsewhere/counter.scxml') res.writeHead(200).end(counter);
      else if (p === '/allowed/huge') {
        // No content-length: a stream that would go on for 400 MB if nobody stopped reading.
        res.writeHead(200, { 'content-type': 'application/xml' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let sent = 0;
        const pump = () => {
          while (sent < 400 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
          if (sent < 400 * 1024 * 1024) res.once('drain', pump);
          else res.end();
        };
        res.on('close', () => res.removeAllListeners('drain'));
        pump();
      } else if (p === '/allowed/declared-huge') {
        res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
        res.write('<scxml');
      } else if (p === '/allowed/slow') {
        slowRequests++;
        res.writeHead(200);
        res.write('<scxml');
        // never ends
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    ({ url } = await runtime([
      '--auth', 'none', '--strategies-dir', dir, '--src-url-prefixes', `${origin}/allowed/`,
      '--max-document-size', String(256 * 1024), '--fetch-timeout', '1500',
    ]));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const start = (src: string) => call(`${url}/scxml/session/start`, { body: new URLSearchParams({ src }).toString() });
  /** The answer names no server path beyond what the client itself sent as src. */
  const expectNoServerPath = (r: { text: string }, src = '') => {
    const rest = r.text.replaceAll(JSON.stringify(src).slice(1, -1), '');
    expect(rest).not.toContain(dir);
    expect(rest).not.toMatch(/\/(tmp|home|root|work|etc)\//);
  };

  it('files: only under strategies-dir, regular files, no server path in any answer', async () => {
    const ok = await start('counter.scxml');
    expect(ok.status).toBe(200);
    expectNoServerPath(ok);
    expect(ok.json.location).toBeUndefined();
    expectNoServerPath(await call(`${url}/scxml/session/${ok.json.sessionid as string}/query`));
    for (const src of ['../outside.scxml', '/etc/hostname', 'file:///etc/hostname', `${dir}/../x.scxml`]) {
      const r = await start(src);
      expect(r.status, src).toBe(400);
      expect(r.json.error, src).toBe('src-not-allowed');
      expectNoServerPath(r, src);
    }
    for (const src of ['.', './', 'missing.scxml', 'no/such/dir.scxml']) {
      const r = await start(src);
      expect(r.status, src).toBe(400);
      expect(r.json.error).toBe(src === '.' || src === './' ? 'src-not-allowed' : 'bad-src');
      expectNoServerPath(r, src);
    }
    await writeFile(path.join(dir, 'broken.scxml'), '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">\n<state id="a"><bogus/></state></scxml>');
    const broken = await start('broken.scxml');
    expect(broken.status).toBe(400);
    expect(broken.json.error).toBe('invalid-document');
    expectNoServerPath(broken, 'broken.scxml');
    await writeFile(path.join(dir, 'big.scxml'), `<scxml xmlns="http://www.w3.org/2005/07/scxml"><!-- ${'x'.repeat(300 * 1024)} --></scxml>`);
    const big = await start('big.scxml');
    expect(big.status).toBe(400);
    expect(big.json.error).toBe('document-too-large');
  });

  it('URLs: only under src-url-prefixes, redirects only to them, size capped while streaming, fetch-timeout', async () => {
    expect((await start(`${origin}/allowed/counter.scxml`)).status).toBe(200);
    expect((await start(`${origin}/allowed/hop`)).status).toBe(200);
    const outside = await start(`${origin}/elsewhere/counter.scxml`);
    expect(outside.status).toBe(400);
    expect(outside.json.error).toBe('src-not-allowed');
    const escape = await start(`${origin}/allowed/escape`);
    expect(escape.status).toBe(400);
    expect(escape.json.error).toBe('src-not-allowed');
    expect(escape.json.message).toMatch(/redirected to a URL outside/);
    const loop = await start(`${origin}/allowed/loop`);
    expect(loop.status).toBe(400);
    expect(loop.json.message).toMatch(/more than 5 redirects/);
    expect((await start(`${origin}/allowed/missing`)).status).toBe(400);
    expect((await start('http://127.0.0.1:1/allowed/x')).json.error).toBe('src-not-allowed');

    for (const p of ['/allowed/huge', '/allowed/declared-huge']) {
      const r = await start(`${origin}${p}`);
      expect(r.status, p).toBe(400);
      expect(r.json.error, p).toBe('document-too-large');
    }

    // A fetch that never finishes: the node keeps answering meanwhile, and the start fails after fetch-timeout.
    const slow = start(`${origin}/allowed/slow`);
    await waitUntil(async () => (slowRequests > 0 ? true : undefined), { timeoutMs: 5_000, intervalMs: 20, what: 'the slow fetch to begin' });
    const beat = performance.now();
    expect((await call(`${url}/heartbeat`)).status).toBe(200);
    expect(performance.now() - beat).toBeLessThan(1000);
    const timedOut = await slow;
    expect(timedOut.status).toBe(400);
    expect(timedOut.json.message).toMatch(/fetch-timeout 1500 ms/);
  });

  it('without src-url-prefixes no URL is fetched', async () => {
    const closed = await runtime(['--auth', 'none', '--strategies-dir', dir]);
    const r = await call(`${closed.url}/scxml/session/start`, { body: new URLSearchParams({ src: `${origin}/allowed/counter.scxml` }).toString() });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('src-not-allowed');
  });
});

describe('inputs that used to give a 5xx', () => {
  let url = '';
  beforeAll(async () => {
    ({ url } = await runtime([
      '--auth', 'none', '--strategies-dir', dir, '--session-store', 'file', '--session-store-dir', path.join(dir, 'store'),
    ]));
  });

  it('session ids with control or non-Latin-1 characters: 404 JSON, no Set-Cookie, on every session route', async () => {
    for (const id of ['%01%02', 'caf%C3%A9.%E2%82%AC', 'a%0D%0ASet-Cookie:%20x', '%F0%9F%98%80', 'node-0.%7F']) {
      for (const [method, p] of [
        ['GET', `/scxml/session/${id}/query`],
        ['POST', `/scxml/session/${id}/event/go`],
        ['POST', `/scxml/session/${id}/request/ask`],
        ['POST', `/scxml/session/${id}/terminate`],
      ] as const) {
        const r = await call(url + p, { method });
        expect(r.status, `${method} ${p}`).toBe(404);
        expect(r.json.error).toBe('session-not-found');
        expect(r.headers.get('set-cookie')).toBeNull();
      }
    }
    const bad = await call(`${url}/scxml/session/%E0%A4%A/query`);
    expect(bad.status).toBe(400);
  });

  it('deep JSON in start parameters or events: 400 before it reaches the session, which lives on', async () => {
    const deep = '{"a":'.repeat(3000) + '1' + '}'.repeat(3000);
    const start = await call(`${url}/scxml/session/start`, { json: `{"src":"counter.scxml","x":${deep}}` });
    expect(start.status).toBe(400);
    expect(start.json.message).toMatch(/max-json-depth 32/);
    const kept = await call(`${url}/scxml/session/start`, { json: { src: 'kept.scxml', customer: 'deep' } });
    expect(kept.status, kept.text).toBe(200);
    const id = kept.json.sessionid as string;
    const event = await call(`${url}/scxml/session/${id}/event/go`, { json: deep });
    expect(event.status).toBe(400);
    expect((await call(`${url}/scxml/session/${id}/event/go`, { json: { fine: { nested: [1, 2] } } })).status).toBe(200);
    const query = await call(`${url}/scxml/session/${id}/query`);
    expect(query.status).toBe(200);
    expect(query.json.datamodel).toMatchObject({ customer: 'deep', seen: 1 });
    expect((query.json.metadata as { state: string }).state).toBe('running');
  });

  it('TRACE and other methods on known paths: 405 with Allow; unknown paths 404', async () => {
    for (const [method, p, allow] of [
      ['TRACE', '/heartbeat', 'GET'],
      ['TRACE', '/scxml/session/start', 'POST'],
      ['PUT', '/scxml/session/node-0.aaaaaaaaaaaaaaaaaaaa/query', 'GET'],
      ['DELETE', '/scxml/session/node-0.aaaaaaaaaaaaaaaaaaaa/terminate', 'POST'],
      ['POST', '/openapi.json', 'GET'],
    ] as const) {
      const r = await rawRequest(method, url + p);
      expect(r.status, `${method} ${p}`).toBe(405);
      expect(r.headers.allow).toBe(allow);
      expect(r.json.error).toBe('method-not-allowed');
    }
    expect((await rawRequest('TRACE', `${url}/nothing`)).status).toBe(404);
  });

  it('idealtime beyond 2^31-1 ms stays scheduled; one past 9999 or before 1970 as a number is a 400', async () => {
    const far = new Date(Date.now() + 40 * 24 * 3600 * 1000).toISOString();
    const r = await call(`${url}/scxml/session/start`, { body: `src=counter.scxml&idealtime=${encodeURIComponent(far)}` });
    expect(r.status, r.text).toBe(200);
    expect(r.json.state).toBe('scheduled');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const query = await call(`${url}/scxml/session/${r.json.sessionid as string}/query`);
    expect((query.json.metadata as { state: string }).state).toBe('scheduled');
    for (const idealtime of ['100000000000000000000', '8640000000000001', '-13936', '%2B013936-01-01T00:00:00Z']) {
      const bad = await call(`${url}/scxml/session/start`, { body: `src=counter.scxml&idealtime=${idealtime}` });
      expect(bad.status).toBe(400);
      expect(bad.json.error).toBe('invalid-parameter');
    }
  });
});

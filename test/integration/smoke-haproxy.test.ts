import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHaproxy } from '../infra/haproxy.ts';
import type { Haproxy } from '../infra/haproxy.ts';
import { waitUntil } from '../infra/wait-until.ts';

// HAProxy (the Debian package) in front of two local HTTP servers, with an httpchk
// health check: it forwards, spreads, and stops sending to a server whose check fails.

interface Upstream {
  name: string;
  port: number;
  healthy: boolean;
  server: http.Server;
}

async function startUpstream(name: string): Promise<Upstream> {
  const upstream = { name, port: 0, healthy: true } as Upstream;
  upstream.server = http.createServer((request, response) => {
    if (request.url === '/health') {
      response.writeHead(upstream.healthy ? 200 : 503).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain' }).end(name);
  });
  await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
  upstream.port = (upstream.server.address() as AddressInfo).port;
  return upstream;
}

const backend = (servers: Upstream[]) => `
backend app
  balance roundrobin
  option httpchk GET /health
  http-check expect status 200
  default-server inter 200ms fall 2 rise 2
${servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check`).join('\n')}
`;

describe('HAProxy', () => {
  let a: Upstream;
  let b: Upstream;
  let haproxy: Haproxy;
  const frontend = (ports: Record<string, number>) => `
frontend web
  bind 127.0.0.1:${ports.web}
  default_backend app
`;

  const answers = async (count: number) => {
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const response = await fetch(`http://127.0.0.1:${haproxy.ports.web}/`);
      names.push(await response.text());
    }
    return names;
  };

  beforeAll(async () => {
    a = await startUpstream('a');
    b = await startUpstream('b');
    haproxy = await startHaproxy(['web'], (ports) => frontend(ports) + backend([a, b]));
    await waitUntil(
      async () => ((await haproxy.serverStates()).every((s) => s.status === 'UP') ? true : undefined),
      { what: 'both servers UP', timeoutMs: 30_000 },
    );
  });

  afterAll(async () => {
    await haproxy?.stop();
    a?.server.close();
    b?.server.close();
  });

  it('forwards requests to both servers', async () => {
    expect(new Set(await answers(6))).toEqual(new Set(['a', 'b']));
  });

  it('takes a server out when its health check fails, and back when it passes', async () => {
    b.healthy = false;
    await waitUntil(
      async () => ((await haproxy.serverStates()).find((s) => s.server === 'b')?.status === 'DOWN' ? true : undefined),
      { what: 'server b DOWN', timeoutMs: 30_000 },
    );
    expect(new Set(await answers(6))).toEqual(new Set(['a']));

    b.healthy = true;
    await waitUntil(
      async () => ((await haproxy.serverStates()).find((s) => s.server === 'b')?.status === 'UP' ? true : undefined),
      { what: 'server b UP again', timeoutMs: 30_000 },
    );
    expect(new Set(await answers(6))).toEqual(new Set(['a', 'b']));
  });

  it('reloads a new configuration on the same port', async () => {
    await haproxy.reload((ports) => frontend(ports) + backend([b]));
    expect((await haproxy.serverStates()).map((s) => s.server)).toEqual(['b']);
    expect(new Set(await answers(4))).toEqual(new Set(['b']));
  });
});

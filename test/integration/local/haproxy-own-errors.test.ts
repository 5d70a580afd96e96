// The `ors local` HAProxy configuration, run by the real HAProxy with no primary to send a
// request to (the moment of a failover when the old primary is down and the new one not yet
// checked up): HAProxy's own 503 is the runtime's JSON error shape with Retry-After, so a
// client sees one kind of "retry shortly" during a takeover.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHaproxyConfig } from '../../../runtime/local/haproxy-config.ts';
import { acceptsConnections, freePorts } from '../../infra/free-port.ts';
import { startManagedProcess, type ManagedProcess } from '../../infra/managed-process.ts';
import { serverBinary } from '../../infra/server-binaries.ts';
import { waitUntil } from '../../infra/wait-until.ts';

let haproxy: ManagedProcess | undefined;
afterAll(() => haproxy?.stop());

describe('ors local HAProxy with no primary up', () => {
  it('answers 503 as JSON {error, message} with Retry-After, for session routes and for starts', async () => {
    // Nothing listens on the servers' ports: every check fails, every backend is empty.
    const [front, a, b] = await freePorts(3);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-haproxy-errors-'));
    const configFile = path.join(dir, 'haproxy.cfg');
    const config = buildHaproxyConfig({
      frontHost: '127.0.0.1',
      frontPort: front!,
      nodes: [{ id: 'node-0', servers: [{ name: 'node-0-a', host: '127.0.0.1', port: a! }, { name: 'node-0-b', host: '127.0.0.1', port: b! }] }],
    });
    await writeFile(configFile, config);
    haproxy = startManagedProcess('haproxy', serverBinary('haproxy'), ['-W', '-db', '-f', configFile], { logFile: path.join(dir, 'haproxy.log') });
    await waitUntil(async () => ((await acceptsConnections(front!)) ? true : undefined), {
      what: `haproxy on ${front}`,
      timeoutMs: 15_000,
      abortIf: () => haproxy!.exitedError(),
    });
    for (const [method, route] of [
      ['POST', '/scxml/session/start'],
      ['POST', '/scxml/session/abcdefghijklmnopqrst.node-0/event/go'],
      ['GET', '/heartbeat'],
    ] as const) {
      const response = await waitUntil(async () => {
        const answer = await fetch(`http://127.0.0.1:${front}${route}`, { method, signal: AbortSignal.timeout(10_000) });
        return answer.status === 503 ? answer : undefined;
      }, { what: `503 for ${method} ${route}`, timeoutMs: 15_000 });
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('retry-after')).toBe('1');
      const body = (await response.json()) as { error: string; message: string };
      expect(body.error).toBe('no-server');
      expect(body.message).toMatch(/retry shortly/);
    }
  });
});

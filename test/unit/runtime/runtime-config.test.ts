import { execFile, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { ConfigError, envVarName, optionsFromEnv, readConfigFile, resolveConfig } from '../../../runtime/config/load-config.ts';
import { newSessionId, parseSessionId } from '../../../runtime/sessions/session-id.ts';
import { advertisedHttpUrl } from '../../../runtime/http/advertised-url.ts';
import { routeForSession } from '../../../runtime/http/session-routing.ts';
import { describeOption, engineThreadCount, sessionProcessingThreads } from '../../../runtime/config/runtime-options.ts';

const root = path.resolve(import.meta.dirname, '../../..');

describe('runtime configuration', () => {
  it('has the ORS defaults', () => {
    const c = resolveConfig({});
    expect(c['call-watching-timeout']).toBe(5000);
    expect(c['backup-synch-max-buffer']).toBe(100);
    expect(c['backup-synch-max-age']).toBe(600);
    expect(c['heartbeat-backup-status']).toBe(503);
    expect(c['restart-session-on-switchover']).toBe(false);
    expect(c['session-restart-timeout']).toBe(50);
    expect(sessionProcessingThreads(c)).toBe(Math.min(8, os.availableParallelism()));
    expect(c['sessionid-with-nodeid']).toBe(true);
  });

  it('runs one engine thread fewer than the CPUs by default (the I/O thread keeps one), and as many as session-processing-threads says when given', () => {
    const cpus = Math.min(8, os.availableParallelism());
    expect(engineThreadCount(resolveConfig({}))).toBe(Math.max(1, cpus - 1));
    const given = resolveConfig({ flags: { 'session-processing-threads': '3' } });
    expect(engineThreadCount(given)).toBe(3);
    expect(sessionProcessingThreads(given)).toBe(3);
    expect(engineThreadCount(resolveConfig({ flags: { 'session-processing-threads': '1' } }))).toBe(1);
  });

  it('flags win over environment, which wins over the file; strings are coerced', () => {
    const env = optionsFromEnv({ [envVarName('call-watching-timeout')]: '3000', ORS_RESTART_SESSION_ON_SWITCHOVER: 'yes' });
    const c = resolveConfig({
      file: { 'call-watching-timeout': 1000, 'session-processing-threads': 4 },
      env,
      flags: { 'session-processing-threads': '16', 'node-urls': 'node-1=http://a:1,node-2=http://b:2' },
    });
    expect(c['call-watching-timeout']).toBe(3000);
    expect(c['session-processing-threads']).toBe(16);
    expect(c['restart-session-on-switchover']).toBe(true);
    expect(c['node-urls']).toEqual({ 'node-1': 'http://a:1', 'node-2': 'http://b:2' });
  });

  it('reads YAML or JSON config files', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-config-'));
    await writeFile(path.join(dir, 'a.yaml'), 'node-id: node-3\nheartbeat-backup-status: 429\napplications:\n  main: main.scxml\n');
    const c = resolveConfig({ file: await readConfigFile(path.join(dir, 'a.yaml')) });
    expect(c['node-id']).toBe('node-3');
    expect(c['heartbeat-backup-status']).toBe(429);
    expect(c.applications).toEqual({ main: 'main.scxml' });
    await writeFile(path.join(dir, 'b.yaml'), '- just\n- a list\n');
    await expect(readConfigFile(path.join(dir, 'b.yaml'))).rejects.toThrow(/expected a mapping/);
    await expect(readConfigFile(path.join(dir, 'none.yaml'))).rejects.toThrow(ConfigError);
  });

  it('names the option, its source and the allowed values when invalid', () => {
    expect(() => resolveConfig({ flags: { 'session-restart-timeout': '5' } })).toThrow(/session-restart-timeout \(from flag: --session-restart-timeout\).*10/);
    expect(() => resolveConfig({ env: { 'log-level': 'loud' } })).toThrow(/log-level \(from environment: ORS_LOG_LEVEL\).*allowed: one of fatal, error/);
    expect(() => resolveConfig({ flags: { 'heartbeat-backup-status': 'abc' } })).toThrow(/allowed: an integer from 400 to 599/);
    expect(() => resolveConfig({ file: { 'sessionid-with-nodeid': 'maybe' } })).toThrow(/allowed: true or false/);
    expect(() => resolveConfig({ file: { 'no-such-option': 1 } })).toThrow(ConfigError);
    expect(() => resolveConfig({ file: { 'no-such-option': 1 } })).toThrow(/unknown option\(s\) no-such-option/);
  });

  it('refuses a heartbeat-backup-status that a load balancer takes for healthy (2xx, 3xx), saying why', () => {
    for (const status of [200, 204, 206, 207, 250, 301, 307, 399]) {
      expect(() => resolveConfig({ flags: { 'heartbeat-backup-status': String(status) } }), String(status)).toThrow(
        /heartbeat-backup-status .*below 400 it passes HAProxy's httpchk.*200-206 the F5 monitor.*allowed: an integer from 400 to 599/,
      );
    }
    for (const status of [400, 404, 418, 503, 599]) {
      expect(resolveConfig({ flags: { 'heartbeat-backup-status': String(status) } })['heartbeat-backup-status']).toBe(status);
    }
    expect(() => resolveConfig({ flags: { 'heartbeat-backup-status': '600' } })).toThrow(/heartbeat-backup-status/);
    expect(describeOption('heartbeat-backup-status')).toMatch(/F5 monitor .*200-206/);
  });

  it('ors runtime exits 2 with the message on invalid configuration', async () => {
    const run = promisify(execFile);
    const error = await run(process.execPath, ['runtime/cli/ors.ts', 'runtime', '--heartbeat-backup-status', 'abc'], { cwd: root }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((error as { code: number }).code).toBe(2);
    expect((error as { stderr: string }).stderr).toMatch(/heartbeat-backup-status/);
  });

  it('ors runtime serves, then exits 0 on SIGTERM after finishing an in-flight request', async () => {
    const child = spawn(
      process.execPath,
      ['runtime/cli/ors.ts', 'runtime', '--auth', 'none', '--http-port', '0', '--log-level', 'silent', '--node-id', 'node-t', '--strategies-dir', 'examples/strategies'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const line = await new Promise<string>((resolve) => readline.createInterface({ input: child.stdout! }).once('line', resolve));
    const url = /listening on (\S+)/.exec(line)![1]!;
    const started = await fetch(`${url}/scxml/session/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'src=call-routing.scxml&ani=1&queueTimeout=300ms',
    });
    const { sessionid } = (await started.json()) as { sessionid: string };
    // A request in flight while SIGTERM arrives is still answered: its headers are sent,
    // its body only after the signal.
    const target = new URL(`${url}/scxml/session/${sessionid}/request/where`);
    const body = 'asker=supervisor';
    const request = http.request({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length },
    });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      request.on('response', (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      request.on('error', reject);
    });
    request.flushHeaders();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    request.end(body);
    const answer = await answered;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ state: expect.any(String) });
    expect(await exited).toBe(0);
  });
});

describe('session ids and routing', () => {
  it('embeds the node id and parses it back', () => {
    const id = newSessionId('node-7', true);
    expect(id).toMatch(/^[a-z2-7]{20}\.node-7$/);
    expect(parseSessionId(id)).toEqual({ nodeId: 'node-7' });
    expect(parseSessionId(newSessionId('node-7', false))).toEqual({});
    expect(parseSessionId('../etc')).toBeUndefined();
  });

  it("ends the id in .<node id>, the route Apache's mod_proxy_balancer takes from after the first '.'", () => {
    // mod_proxy_balancer: route = the cookie value after its first "." (stickysessionsep).
    const apacheRoute = (cookieValue: string) => cookieValue.slice(cookieValue.indexOf('.') + 1);
    for (const nodeId of ['node-0', 'node-12', 'a', 'x-y-z', '7']) {
      expect(apacheRoute(newSessionId(nodeId, true))).toBe(nodeId);
    }
  });

  it('still parses ids of the previous format, <node id>.<random>, for sessions recovered from a store', () => {
    expect(parseSessionId('node-1.abcdefghijklmnopqrst')).toEqual({ nodeId: 'node-1' });
    expect(parseSessionId('abcdefghijklmnopqrst.node-1')).toEqual({ nodeId: 'node-1' });
    // Reads both ways (a node id that looks like a random part): the current format wins.
    expect(parseSessionId('abcdefghijklmnopqrst.zyxwvutsrqponmlkjihg')).toEqual({ nodeId: 'zyxwvutsrqponmlkjihg' });
  });

  it('refuses ids that are neither format', () => {
    for (const bad of [
      '', '.', 'node-1.', '.node-1', 'abcdefghijklmnopqrst.', 'abcdefghijklmnopqrst.node-1.x', 'abcdefghijklmnopqrst.Node-1',
      'abcdefghijklmnopqrst.-node', 'abcdefghijklmnopqrst.node_1', 'ABCDEFGHIJKLMNOPQRST', 'abcdefghijklmnopqrs1.node-1',
      `abcdefghijklmnopqrst.${'a'.repeat(64)}`, 'abcdefghijklmnopqrst/../node-1', 'abcdefghijklmnopqrst.node-1%2f',
    ]) {
      expect(parseSessionId(bad), bad).toBeUndefined();
    }
  });

  it('routes to the owner, the primary, or here', () => {
    const table = { nodeId: 'node-1', nodeUrls: { 'node-2': 'http://n2:80/' } };
    const primary = { role: 'primary' as const, epoch: 1 };
    const other = newSessionId('node-2', true);
    expect(routeForSession(primary, table, other, '/scxml/session/x/query?a=1')).toEqual({
      kind: 'redirect',
      location: 'http://n2:80/scxml/session/x/query?a=1',
      reason: 'other-node',
    });
    expect(routeForSession(primary, table, newSessionId('node-1', true), '/p').kind).toBe('local');
    expect(
      routeForSession({ role: 'backup', epoch: 1, primaryUrl: 'http://p' }, table, newSessionId('node-1', true), '/p'),
    ).toEqual({ kind: 'redirect', location: 'http://p/p', reason: 'backup' });
  });
});

describe('advertisedHttpUrl', () => {
  it('names the bound address, or the external-url when bound to every address', () => {
    expect(advertisedHttpUrl('http', '127.0.0.1', 8080, 'http://front/')).toBe('http://127.0.0.1:8080');
    expect(advertisedHttpUrl('https', '::1', 443, undefined)).toBe('https://[::1]:443');
    expect(advertisedHttpUrl('http', '0.0.0.0', 8080, 'http://node-0.ors.example/')).toBe('http://node-0.ors.example');
    expect(advertisedHttpUrl('http', '::', 8080, 'https://node-1.ors.example')).toBe('https://node-1.ors.example');
    expect(advertisedHttpUrl('http', '0.0.0.0', 8080, undefined)).toBe('http://0.0.0.0:8080');
  });
});

// The health checks of the ORS load-balancing guide, as it prints them, against a
// primary and a backup for every heartbeat-backup-status the runtime accepts (400-599):
// HAProxy's `option httpchk GET /heartbeat` (with and without an HTTP version, no
// `http-check expect`: HAProxy then takes any 2xx or 3xx as healthy) through the real
// HAProxy, and the F5 monitor's send string `GET /heartbeat HTTP/1.0` with its receive
// string `HTTP/1.[01] 20[0-6]` over a raw connection. Each passes on the primary and fails
// on every backup. (Statuses below 400 are refused at start-up: runtime-config.test.ts.)
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticRoleSource } from '../../../runtime/ha/static-role-source.ts';
import type { RuntimeProcess } from '../../../runtime/runtime-process.ts';
import { startHaproxy, type Haproxy } from '../../infra/haproxy.ts';
import { waitUntil } from '../../infra/wait-until.ts';
import { startTestRuntime, strategyDir } from '../../support/runtime-harness.ts';
import { TableEngine } from '../../support/table-engine.ts';

const ALLOWED = Array.from({ length: 200 }, (_, i) => 400 + i);
const F5_SEND = 'GET /heartbeat HTTP/1.0\r\n\r\n';
const F5_RECEIVE = /HTTP\/1\.[01] 20[0-6]/;

/** What an F5 HTTP monitor does: send the string, read to the end, search the receive string. */
function f5Monitor(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.createConnection({ host: '127.0.0.1', port }, () => socket.write(F5_SEND));
    socket.setEncoding('utf8');
    socket.setTimeout(5000, () => socket.destroy(new Error('F5 monitor: no answer within 5 s')));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(F5_RECEIVE.test(answer)));
    socket.on('error', reject);
  });
}

let primary: RuntimeProcess;
const backups = new Map<number, RuntimeProcess>();
let haproxy: Haproxy | undefined;
const port = (runtime: RuntimeProcess) => Number(new URL(runtime.url).port);

beforeAll(async () => {
  const dir = await strategyDir({});
  primary = await startTestRuntime(new TableEngine(), { 'node-id': 'node-0', 'strategies-dir': dir }, new StaticRoleSource({ role: 'primary', epoch: 1 }));
  for (const status of ALLOWED) {
    backups.set(
      status,
      await startTestRuntime(
        new TableEngine(),
        { 'node-id': 'node-0', 'strategies-dir': dir, 'heartbeat-backup-status': status },
        new StaticRoleSource({ role: 'backup', epoch: 1, primaryUrl: primary.url }),
      ),
    );
  }
  const servers = [`  server primary 127.0.0.1:${port(primary)} check inter 500`, ...[...backups].map(([s, b]) => `  server backup-${s} 127.0.0.1:${port(b)} check inter 500`)];
  haproxy = await startHaproxy(['front'], (ports) =>
    [
      `frontend f\n  bind 127.0.0.1:${ports.front}\n  default_backend printed`,
      ['backend printed', '  option httpchk GET /heartbeat', ...servers].join('\n'),
      ['backend printed-http10', '  option httpchk GET /heartbeat HTTP/1.0', ...servers].join('\n'),
    ].join('\n\n'),
  );
});
afterAll(async () => {
  await haproxy?.stop();
  await Promise.all([primary, ...backups.values()].filter(Boolean).map((r) => r.stop()));
});

describe('the guide\'s health checks on a primary and on a backup, for every allowed heartbeat-backup-status', () => {
  it('HAProxy `option httpchk GET /heartbeat` (as printed, with and without HTTP/1.0): the primary UP, every backup DOWN', async () => {
    const states = await waitUntil(
      async () => {
        const all = (await haproxy!.serverStates()).filter((s) => s.backend.startsWith('printed'));
        // Every server checked at least once (a server starts UP until its first check).
        return all.length === 2 * (ALLOWED.length + 1) && all.every((s) => s.server === 'primary' ? s.status === 'UP' : s.status === 'DOWN') ? all : undefined;
      },
      { what: 'HAProxy to have checked the primary and every backup', timeoutMs: 60_000, intervalMs: 500 },
    ).catch(async (error: unknown) => {
      const wrong = (await haproxy!.serverStates()).filter((s) => (s.server === 'primary') !== (s.status === 'UP'));
      throw new Error(`${String(error)}; wrong: ${JSON.stringify(wrong.slice(0, 10))}`, { cause: error });
    });
    expect(states.filter((s) => s.status === 'UP').map((s) => s.server)).toEqual(['primary', 'primary']);
  });

  it('the F5 monitor (GET /heartbeat HTTP/1.0, receive HTTP/1.[01] 20[0-6]) passes on the primary and fails on every backup', async () => {
    expect(await f5Monitor(port(primary))).toBe(true);
    const passing: number[] = [];
    for (const [status, backup] of backups) if (await f5Monitor(port(backup))) passing.push(status);
    expect(passing).toEqual([]);
  });
});

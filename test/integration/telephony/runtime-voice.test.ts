// End to end: `ors sim` and `ors runtime` processes (2 nodes x primary + backup, roles
// from role files), strategies in SCXML using <dialog:playsound> and <ixn:redirect>.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { simAddresses, simRequest, spawnOrs, tempDir, writeRole } from '../../support/ors-processes.ts';
import type { OrsProcess } from '../../support/ors-processes.ts';
import { waitFor } from '../../support/voice-test-cluster.ts';
import { placeCall } from '../../../runtime/telephony/rendezvous.ts';
import type { PullLogEntry, SimStatisticsReport } from '../../../runtime/sim/sim-statistics.ts';

const NODES = ['node-0', 'node-1'];
const strategies = path.resolve(import.meta.dirname, '../../../examples/strategies');
const dir = tempDir('ors-voice-');
let sim: OrsProcess;
let httpUrl = '';
const runtimes = new Map<string, OrsProcess>();
const roleFile = (nodeId: string, which: 'a' | 'b') => path.join(dir, `${nodeId}-${which}.role.json`);

const api = <T = unknown>(method: string, p: string, body?: unknown) => simRequest<T>(httpUrl, method, p, body);

function startRuntime(nodeId: string, which: 'a' | 'b', wsUrl: string): OrsProcess {
  const p = spawnOrs([
    'runtime',
    '--auth', 'none',
    '--node-id', nodeId,
    '--http-port', '0',
    '--role-file', roleFile(nodeId, which),
    '--telephony-url', wsUrl,
    '--cluster-nodes', NODES.join(','),
    '--strategies-dir', strategies,
    '--call-watching-timeout', '1500',
    '--restart-session-on-switchover', 'true',
    '--max-sessions', nodeId === 'node-0' ? '100' : '200',
    '--session-processing-threads', '4',
    '--multimedia-pull-interval', '50',
    '--log-level', 'warn',
  ]);
  runtimes.set(`${nodeId}-${which}`, p);
  return p;
}

beforeAll(async () => {
  sim = spawnOrs([
    'sim', '--port', '0',
    '--routing-point', '5000=voice-treat-route.scxml',
    '--queue', 'chat=chat-work.scxml',
    '--target', 'agent-1',
    '--stats-file', path.join(dir, 'stats.json'),
    '--pull-log', path.join(dir, 'pulls.jsonl'),
    '--log-level', 'warn',
  ]);
  const addresses = await simAddresses(sim);
  httpUrl = addresses.controlUrl;
  for (const nodeId of NODES) {
    writeRole(roleFile(nodeId, 'a'), 'primary', 1);
    writeRole(roleFile(nodeId, 'b'), 'backup', 0);
    startRuntime(nodeId, 'a', addresses.telephonyUrl);
    startRuntime(nodeId, 'b', addresses.telephonyUrl);
  }
  await Promise.all([...runtimes.values()].map((r) => r.line(/listening on/)));
  await waitFor(async () => (await api<unknown[]>('GET', '/connections')).body.length === 4, 20_000, 'four runtime processes to connect');
}, 60_000);

afterAll(async () => {
  await Promise.all([...runtimes.values()].map((r) => r.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
  await sim?.stop();
});

describe('ors runtime + ors sim', () => {
  it('routes calls with an SCXML strategy: treatment, dialog.playsound.done, redirect; one session per call on its assigned node', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `e2e-${i}`);
    for (const callId of ids) await api('POST', '/calls', { routingPoint: '5000', callId, talkMs: 20, attachedData: { greetingMs: 100 } });
    await waitFor(async () => (await api<SimStatisticsReport>('GET', '/stats')).body.calls.routed === 40, 20_000, '40 calls routed');
    for (const callId of ids) {
      const { body } = await api<{ events: { type: string; nodeId?: string; reason?: string }[] }>('GET', `/calls/${callId}`);
      const types = body.events.map((e) => e.type);
      expect(types.slice(0, 3)).toEqual(['call.ringing', 'call.session-attached', 'call.treatment-ended']);
      expect(body.events[2]!.reason).toBe('completed');
      expect(types).toContain('call.routed');
      expect(body.events[1]!.nodeId).toBe(placeCall(callId, NODES).assigned);
    }
  }, 30_000);

  it('pulls interactions on primaries only, each exactly once', async () => {
    await api('POST', '/interactions', { queue: 'chat', count: 200, data: { workMs: 20 } });
    await waitFor(async () => (await api<SimStatisticsReport>('GET', '/stats')).body.interactions.completed === 200, 30_000, '200 interactions completed');
    const { body: log } = await api<PullLogEntry[]>('GET', '/pull-log');
    expect(log.every((e) => e.role === 'primary')).toBe(true);
    const ids = log.flatMap((e) => e.interactionIds);
    if (ids.length !== 200) for (const [name, r] of runtimes) console.log(name, r.output());
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    const byNode = (await api<SimStatisticsReport>('GET', '/stats')).body.interactions.byNode;
    expect(byNode['node-0']!.completed).toBeGreaterThan(0);
    expect(byNode['node-1']!.completed).toBeGreaterThan(0);
  }, 40_000);

  it('killing an assigned primary mid-call: its backup (now primary) restarts the session and routes the call, once', async () => {
    const callId = Array.from({ length: 100 }, (_, i) => `kill-${i}`).find((id) => placeCall(id, NODES).assigned === 'node-0')!;
    await api('POST', '/calls', { routingPoint: '5000', callId, talkMs: 20, attachedData: { greetingMs: 3000 } });
    await waitFor(async () => (await api<{ events: { type: string }[] }>('GET', `/calls/${callId}`)).body.events.some((e) => e.type === 'call.session-attached'), 5000, 'the call to be claimed');
    await runtimes.get('node-0-a')!.stop('SIGKILL');
    writeRole(roleFile('node-0', 'b'), 'primary', 2);
    await waitFor(async () => (await api<{ state: string }>('GET', `/calls/${callId}`)).body.state !== 'ringing', 15_000, 'the call to be routed after failover');
    const { body } = await api<{ events: { type: string; nodeId?: string }[] }>('GET', `/calls/${callId}`);
    expect(body.events.filter((e) => e.type === 'call.routed')).toHaveLength(1);
    expect(new Set(body.events.filter((e) => e.type === 'call.session-attached').map((e) => e.nodeId))).toEqual(new Set(['node-0']));
  }, 30_000);

  it('exports statistics and the pull log on exit', async () => {
    await sim.stop('SIGTERM');
    const stats = JSON.parse(readFileSync(path.join(dir, 'stats.json'), 'utf8')) as SimStatisticsReport;
    expect(stats.calls.routed).toBeGreaterThanOrEqual(41);
    expect(stats.calls.timeToRouteMs.p50).toBeGreaterThan(0);
    const pulls = readFileSync(path.join(dir, 'pulls.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PullLogEntry);
    expect(pulls.every((p) => p.role === 'primary')).toBe(true);
    expect(sim.output()).toMatch(/calls: offered \d+, routed \d+/);
  });
});

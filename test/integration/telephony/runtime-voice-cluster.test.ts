// Issue 7's must-show on real processes: `ors sim` (load generator) and a local 3-node
// cluster of `ors runtime` processes (primary + backup each, roles from role files).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { simAddresses, simRequest, spawnOrs, tempDir, writeRole } from '../../support/ors-processes.ts';
import type { OrsProcess } from '../../support/ors-processes.ts';
import { waitFor } from '../../support/voice-test-cluster.ts';
import { placeCall } from '../../../runtime/telephony/rendezvous.ts';
import type { SimStatisticsReport } from '../../../runtime/sim/sim-statistics.ts';
import { spreadTolerance } from '../../support/spread-tolerance.ts';

const NODES = ['node-0', 'node-1', 'node-2'];
const strategies = path.resolve(import.meta.dirname, '../../../examples/strategies');
const dir = tempDir('ors-voice3-');
let sim: OrsProcess;
let wsUrl = '';
let httpUrl = '';
const runtimes = new Map<string, OrsProcess>();
const roleFile = (nodeId: string, which: 'a' | 'b') => path.join(dir, `${nodeId}-${which}.role.json`);

type CallInfo = { state: string; events: { type: string; nodeId?: string; sessionId?: string }[] };

const api = <T = unknown>(method: string, p: string, body?: unknown) => simRequest<T>(httpUrl, method, p, body);
const stats = async () => (await api<SimStatisticsReport>('GET', '/stats')).body;

beforeAll(async () => {
  sim = spawnOrs(['sim', '--port', '0', '--routing-point', '5000=voice-route.scxml', '--routing-point', '5001=voice-treat-route.scxml', '--log-level', 'warn']);
  ({ telephonyUrl: wsUrl, controlUrl: httpUrl } = await simAddresses(sim));
  for (const nodeId of NODES) {
    for (const which of ['a', 'b'] as const) {
      writeRole(roleFile(nodeId, which), which === 'a' ? 'primary' : 'backup', which === 'a' ? 1 : 0);
      runtimes.set(
        `${nodeId}-${which}`,
        spawnOrs([
          'runtime', '--auth', 'none', '--node-id', nodeId, '--http-port', '0', '--role-file', roleFile(nodeId, which), '--telephony-url', wsUrl,
          '--cluster-nodes', NODES.join(','), '--strategies-dir', strategies, '--restart-session-on-switchover', 'true', '--log-level', 'warn',
        ]),
      );
    }
  }
  await Promise.all([...runtimes.values()].map((r) => r.line(/listening on/, 60_000)));
  await waitFor(async () => (await api<unknown[]>('GET', '/connections')).body.length === 6, 30_000, 'six runtime processes to connect');
}, 90_000);

afterAll(async () => {
  await Promise.all([...runtimes.values()].map((r) => r.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
  await sim?.stop('SIGKILL');
});

describe('voice calls on a local 3-node cluster of ors runtime processes', () => {
  it('spreads 3,000 calls within a few percent of uniform, with exactly one session per call on its assigned node', async () => {
    await api('POST', '/load', { ratePerSecond: 400, calls: 3000, meanTalkMs: 5, meanPatienceMs: 1e9, seed: 5 });
    await waitFor(async () => (await api<{ finished: boolean }>('GET', '/load')).body.finished, 90_000, 'the load to finish');
    const s = await stats();
    expect(s.calls).toMatchObject({ offered: 3000, routed: 3000, abandoned: 0, attachRefusals: 0 });
    // Within 4 sigma of a uniform share (test/support/spread-tolerance.ts): 1/3 +/- 3.4 points.
    for (const node of NODES) expect(Math.abs(s.calls.sessionsAttachedByNode[node]! / 3000 - 1 / 3)).toBeLessThanOrEqual(spreadTolerance(3000, NODES.length));
    // Spot-check one call in ten: claimed once, by its assigned node.
    for (let i = 1; i <= 3000; i += 10) {
      const { body } = await api<CallInfo>('GET', `/calls/call-${i}`);
      const claims = body.events.filter((e) => e.type === 'call.session-attached');
      expect(claims).toHaveLength(1);
      expect(claims[0]!.nodeId).toBe(placeCall(`call-${i}`, NODES).assigned);
    }
  }, 120_000);

  it('killing an assigned primary mid-load routes every call with one session per call (its backup restarts or creates them)', async () => {
    const before = await stats();
    await api('POST', '/load', { ratePerSecond: 50, calls: 200, meanTalkMs: 5, meanPatienceMs: 1e9, seed: 6 });
    // Calls on 5001 play a 1 s greeting, so some are mid-treatment when the primary dies.
    const held: string[] = [];
    for (let i = 0; held.length < 5; i++) {
      const id = `held-${i}`;
      if (placeCall(id, NODES).assigned === 'node-1') held.push(id);
    }
    for (const callId of held) await api('POST', '/calls', { routingPoint: '5001', callId, talkMs: 5, attachedData: { greetingMs: 1500 } });
    await new Promise((r) => setTimeout(r, 800));
    await runtimes.get('node-1-a')!.stop('SIGKILL');
    writeRole(roleFile('node-1', 'b'), 'primary', 2);
    await waitFor(async () => (await api<{ finished: boolean }>('GET', '/load')).body.finished, 60_000, 'the load to finish');
    await waitFor(async () => {
      for (const id of held) if ((await api<CallInfo>('GET', `/calls/${id}`)).body.state === 'ringing') return false;
      return true;
    }, 20_000, 'the held calls to be routed');
    const after = await stats();
    expect(after.calls.offered - before.calls.offered).toBe(205);
    expect(after.calls.routed - before.calls.routed).toBe(205);
    expect(after.calls.abandoned).toBe(0);
    for (const id of [...held, ...Array.from({ length: 200 }, (_, i) => `call-${3001 + i}`)]) {
      const { body } = await api<CallInfo>('GET', `/calls/${id}`);
      expect(body.events.filter((e) => e.type === 'call.routed')).toHaveLength(1);
      // Every claim of a call is by one node (a restart re-claims on the same node).
      expect(new Set(body.events.filter((e) => e.type === 'call.session-attached').map((e) => e.nodeId)).size).toBe(1);
    }
    // The held calls were mid-greeting on node-1's dead primary: restarted by its backup.
    for (const id of held) {
      const { body } = await api<CallInfo>('GET', `/calls/${id}`);
      expect(body.events.filter((e) => e.type === 'call.session-attached').length).toBe(2);
    }
  }, 120_000);

  it('a malformed or unknown message from the telephony side is ignored and every connection survives', async () => {
    const { body } = await api<{ sentTo: number }>('POST', '/inject', { raw: '{"type":"call.ringing",' });
    expect(body.sentTo).toBe(5); // node-1's old primary is dead
    await api('POST', '/inject', { raw: JSON.stringify({ type: 'call.vanished', callId: 'x' }) });
    await new Promise((r) => setTimeout(r, 300));
    expect((await api<unknown[]>('GET', '/connections')).body).toHaveLength(5);
    await api('POST', '/calls', { routingPoint: '5000', callId: 'after-garbage', talkMs: 5 });
    await waitFor(async () => (await api<CallInfo>('GET', '/calls/after-garbage')).body.state === 'released', 10_000, 'the next call to be routed');
  }, 30_000);

  it('with a whole node down, its calls get exactly one session each, from their reserved node after call-watching-timeout', async () => {
    await Promise.all([runtimes.get('node-2-a')!.stop('SIGKILL'), runtimes.get('node-2-b')!.stop('SIGKILL')]);
    await waitFor(async () => (await api<{ nodeId: string }[]>('GET', '/connections')).body.every((c) => c.nodeId !== 'node-2'), 10_000, 'node-2 to be gone');
    const ids: string[] = [];
    for (let i = 0; ids.length < 4; i++) if (placeCall(`orphan-${i}`, NODES).assigned === 'node-2') ids.push(`orphan-${i}`);
    for (const callId of ids) await api('POST', '/calls', { routingPoint: '5000', callId, talkMs: 5 });
    // call-watching-timeout is 5 s (the default) before the reserved node steps in.
    await waitFor(async () => {
      for (const id of ids) if ((await api<CallInfo>('GET', `/calls/${id}`)).body.state !== 'released') return false;
      return true;
    }, 30_000, 'the calls of the dead node to be routed');
    for (const id of ids) {
      const { body } = await api<CallInfo>('GET', `/calls/${id}`);
      const claims = body.events.filter((e) => e.type === 'call.session-attached');
      expect(claims.map((e) => e.nodeId), id).toEqual([placeCall(id, NODES).reserved]);
      expect(body.events.filter((e) => e.type === 'call.routed'), id).toHaveLength(1);
    }
  }, 60_000);
});

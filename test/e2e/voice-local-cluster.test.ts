// Issues 7 and 11 end to end on `ors local` (3 nodes x primary + backup, file leases,
// sync port, file session store, HAProxy front) driven by `ors sim`: a primary killed
// mid-treatment, and pulls. (The 3,000-call spread, exactly one dialog.playsound.done per
// treatment across a kill, and restart replay on `ors local` are in
// test/integration/telephony/local-cluster-voice.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { localRuntimeLogTails, simAddresses, simRequest, spawnOrs, tempDir } from '../support/ors-processes.ts';
import type { OrsProcess } from '../support/ors-processes.ts';
import { waitFor } from '../support/voice-test-cluster.ts';
import { placeCall } from '../../runtime/telephony/rendezvous.ts';
import type { PullLogEntry, SimStatisticsReport } from '../../runtime/sim/sim-statistics.ts';

const NODES = ['node-0', 'node-1', 'node-2'];
const strategies = path.resolve(import.meta.dirname, '../../examples/strategies');
let sim: OrsProcess;
let local: OrsProcess;
let httpUrl = '';
const dataDir = tempDir('ors-local-voice-');

/** Errors and the last lines of every runtime log, for a failure report. */
const runtimeLogs = () => localRuntimeLogTails(dataDir, 15, (l) => !l.includes('"level":30'));

type CallInfo = { state: string; events: { type: string; nodeId?: string; sessionId?: string; reason?: string }[] };

const api = <T = unknown>(method: string, p: string, body?: unknown) => simRequest<T>(httpUrl, method, p, body);
const stats = async () => (await api<SimStatisticsReport>('GET', '/stats')).body;
const call = async (id: string) => (await api<CallInfo>('GET', `/calls/${id}`)).body;
const idsAssignedTo = (nodeId: string, prefix: string, n: number) => {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) if (placeCall(`${prefix}-${i}`, NODES).assigned === nodeId) out.push(`${prefix}-${i}`);
  return out;
};

beforeAll(async () => {
  sim = spawnOrs([
    'sim', '--port', '0',
    '--routing-point', '5000=voice-route.scxml',
    '--routing-point', '5001=voice-treat-route.scxml',
    '--routing-point', '5002=voice-treat-route-persisted.scxml',
    '--queue', 'chat=chat-work.scxml',
    '--log-level', 'warn',
  ]);
  const addresses = await simAddresses(sim);
  httpUrl = addresses.controlUrl;
  local = spawnOrs(['local', '--nodes', '3', '--port', '0', '--data-dir', dataDir, '--strategies-dir', strategies, '--', '--telephony-url', addresses.telephonyUrl, '--restart-session-on-switchover', 'true', '--log-level', 'warn'], { stdin: true });
  await local.line(/front \(HAProxy\): (\S+)/, 60_000);
  await waitFor(async () => (await api<unknown[]>('GET', '/connections')).body.length === 6, 60_000, 'six runtime processes to connect');
  await waitFor(async () => (await api<{ role: string }[]>('GET', '/connections')).body.filter((c) => c.role === 'primary').length === 3, 30_000, 'three primaries');
}, 120_000);

afterAll(async () => {
  await local?.stop('SIGINT');
  await sim?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('ors sim against ors local (3 nodes)', () => {
  it('starts with one primary per node, all connected to the telephony server', async () => {
    const { body } = await api<{ nodeId: string; role: string }[]>('GET', '/connections');
    expect(body.filter((c) => c.role === 'primary').map((c) => c.nodeId).sort()).toEqual(NODES);
  });

  it('pulls interactions on primaries only, each exactly once', async () => {
    await api('POST', '/interactions', { queue: 'chat', count: 300, data: { workMs: 10 } });
    await waitFor(async () => (await stats()).interactions.completed === 300, 60_000, '300 interactions completed');
    const { body: log } = await api<PullLogEntry[]>('GET', '/pull-log');
    expect(log.every((e) => e.role === 'primary' && !e.refused)).toBe(true);
    const ids = log.flatMap((e) => e.interactionIds);
    expect(new Set(ids).size).toBe(300);
  }, 90_000);
  it('kill <n>: calls mid-treatment on the killed primary get dialog.playsound.done on the new primary and are routed once', async () => {
    const persisted = idsAssignedTo('node-1', 'persisted', 3);
    const restarted = idsAssignedTo('node-1', 'restarted', 3);
    for (const callId of persisted) await api('POST', '/calls', { routingPoint: '5002', callId, talkMs: 5, patienceMs: 120_000, attachedData: { greetingMs: 4000 } });
    for (const callId of restarted) await api('POST', '/calls', { routingPoint: '5001', callId, talkMs: 5, patienceMs: 120_000, attachedData: { greetingMs: 4000 } });
    await waitFor(async () => {
      for (const id of [...persisted, ...restarted]) if (!(await call(id)).events.some((e) => e.type === 'call.session-attached')) return false;
      return true;
    }, 10_000, 'the calls to be claimed');
    await new Promise((r) => setTimeout(r, 500)); // treatments requested and synced
    local.child.stdin!.write('kill 1\n');
    await waitFor(async () => {
      for (const id of [...persisted, ...restarted]) if ((await call(id)).state === 'ringing') return false;
      return true;
    }, 30_000, 'the calls to be routed after failover').catch(async (err: unknown) => {
      for (const id of [...persisted, ...restarted]) console.log(id, JSON.stringify((await call(id)).events.map((e) => [e.type, e.nodeId ?? e.reason ?? ''])));
      console.log(local.output().slice(-1500), runtimeLogs().slice(-8000));
      throw err;
    });
    for (const id of [...persisted, ...restarted]) {
      const info = await call(id);
      if (info.events.filter((e) => e.type === 'call.routed').length !== 1) console.log(id, JSON.stringify(info.events.map((e) => [e.type, e.nodeId ?? e.reason ?? ''])), runtimeLogs().slice(-6000));
      expect(info.events.filter((e) => e.type === 'call.routed')).toHaveLength(1);
      expect(new Set(info.events.filter((e) => e.type === 'call.session-attached').map((e) => e.nodeId))).toEqual(new Set(['node-1']));
    }
    // The persisted sessions kept their id across the failover: routed by the session that claimed the call.
    for (const id of persisted) {
      const info = await call(id);
      const claimedBy = info.events.find((e) => e.type === 'call.session-attached')!.sessionId;
      expect(info.events.find((e) => e.type === 'call.routed')!.sessionId).toBe(claimedBy);
    }
  }, 60_000);

});

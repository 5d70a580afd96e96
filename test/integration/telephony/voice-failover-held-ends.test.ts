// Issue 22: calls whose greeting ends while their node has no serving primary (the
// primary frozen past its lease, as a partition from everything leaves it) must still be
// routed, once, by the node's new primary: the persisted sessions it recovers and the
// sessions it restarts (restart-session-on-switchover) alike. `ors local` (one node,
// primary + backup, file leases, sync port, file store) driven by `ors sim`; the primary
// is SIGSTOPped mid-treatment, the greetings end at the server while only the backup
// hears them, the backup takes the lease over, then the old primary is thawed (fenced).
// Second, the same with a backup that learnt of the sessions (shadows, from the sync)
// before their claims (cut off from the server, it catches up with calls.list): found by
// the chaos suite at 20 calls/s, where the sync often beats the server's
// call.session-attached to the backup, and the restarted sessions acted for no call.
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { rmSync } from 'node:fs';
import { localRuntimeLogTails, simRequest, tempDir } from '../../support/ors-processes.ts';
import type { OrsProcess } from '../../support/ors-processes.ts';
import { waitFor } from '../../support/voice-test-cluster.ts';
import { startVoiceLocalCluster } from '../../support/voice-local-cluster.ts';

const dataDir = tempDir('ors-local-voice-held-ends-');
let sim: OrsProcess;
let local: OrsProcess;
let httpUrl = '';

type CallInfo = { state: string; events: { type: string; nodeId?: string; sessionId?: string; reason?: string; treatmentId?: string }[] };

const api = <T = unknown>(method: string, p: string, body?: unknown) => simRequest<T>(httpUrl, method, p, body);
const call = async (id: string) => (await api<CallInfo>('GET', `/calls/${id}`)).body;
const connections = async () => (await api<{ nodeId: string; role: string; processId: string }[]>('GET', '/connections')).body;
const history = (info: CallInfo) => JSON.stringify(info.events.map((e) => [e.type, e.nodeId ?? e.reason ?? e.treatmentId ?? '']));

const runtimeLogs = () => localRuntimeLogTails(dataDir, 25);

beforeAll(async () => {
  ({ sim, local, httpUrl } = await startVoiceLocalCluster(dataDir));
}, 120_000);

afterAll(async () => {
  local?.child.stdin?.write('thaw 0\n');
  await local?.stop('SIGINT');
  await sim?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

type TestCall = { callId: string; routingPoint: string };

function callsNamed(prefix: string, perRoutingPoint: number): TestCall[] {
  return [
    ...Array.from({ length: perRoutingPoint }, (_, i) => ({ callId: `${prefix}-persisted-${i}`, routingPoint: '5000' })),
    ...Array.from({ length: perRoutingPoint }, (_, i) => ({ callId: `${prefix}-restarted-${i}`, routingPoint: '5001' })),
  ];
}

async function offer(calls: readonly TestCall[], greetingMs: number): Promise<void> {
  onTestFailed(async () => {
    for (const c of calls) console.log(c.callId, history(await call(c.callId)));
    console.log(local.output().slice(-1500), runtimeLogs());
  });
  for (const c of calls) {
    await api('POST', '/calls', { routingPoint: c.routingPoint, callId: c.callId, talkMs: 5, patienceMs: 120_000, attachedData: { greetingMs } });
  }
  await waitFor(async () => {
    for (const c of calls) if (!(await call(c.callId)).events.some((e) => e.type === 'call.session-attached')) return false;
    return true;
  }, 10_000, 'the calls to be claimed');
}

/**
 * Freezes the node's primary once the greetings play, lets them end at the server while
 * only the backup hears it, waits for the new primary to route every call, then thaws the
 * old primary (fenced: nothing it held in flight may route a call again).
 */
async function freezeThroughGreetingEnds(calls: readonly TestCall[]): Promise<void> {
  // The greetings are requested and the sync has carried them; then no primary hears their end.
  await new Promise((r) => setTimeout(r, 300));
  local.child.stdin!.write('freeze 0\n');
  await waitFor(async () => {
    for (const c of calls) if (!(await call(c.callId)).events.some((e) => e.type === 'call.treatment-ended')) return false;
    return true;
  }, 10_000, 'the greetings to end at the server');
  for (const c of calls) expect((await call(c.callId)).state, c.callId).toBe('ringing');
  await waitFor(async () => {
    for (const c of calls) if ((await call(c.callId)).state === 'ringing') return false;
    return true;
  }, 30_000, 'the calls to be routed by the new primary');
  local.child.stdin!.write('thaw 0\n');
  await new Promise((r) => setTimeout(r, 2000));
  for (const c of calls) {
    const info = await call(c.callId);
    const claims = info.events.filter((e) => e.type === 'call.session-attached');
    const routed = info.events.filter((e) => e.type === 'call.routed');
    // Routed once, by the session that claimed the call: the persisted one recovered, the
    // other restarted under its id (restart-session-on-switchover), never a second session.
    expect(routed, `${c.callId}: ${history(info)}`).toHaveLength(1);
    expect(claims.map((e) => e.nodeId), `${c.callId}: ${history(info)}`).toEqual(['node-0']);
    expect(routed[0]!.sessionId, c.callId).toBe(claims[0]!.sessionId);
  }
}

it('greetings that end while the primary is frozen: every call is routed once by the session that claimed it, on the new primary', async () => {
  const calls = callsNamed('frozen', 4);
  await offer(calls, 1500);
  await freezeThroughGreetingEnds(calls);
}, 90_000);

it('the backup heard of the sessions (sync) before their claims (it was cut off from the telephony server): after the failover the restarted sessions still act for their calls', async () => {
  const backup = (await connections()).find((c) => c.role === 'backup')!;
  // Its claims reach the backup only with calls.list, after the sync created its shadow sessions.
  expect((await api('POST', `/connections/${backup.processId}/drop`, { holdMs: 1500 })).status).toBe(200);
  const calls = callsNamed('cut', 4);
  await offer(calls, 4000);
  await waitFor(async () => (await connections()).some((c) => c.processId === backup.processId), 15_000, 'the backup to reconnect');
  await freezeThroughGreetingEnds(calls);
}, 90_000);

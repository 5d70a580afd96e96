// The chaos run's lost calls (test/e2e/README.md: call-5942, call-8110): a node's primary
// dies while it runs alone (its backup was killed and has not come back), just as its calls'
// greetings end. The process that comes back never held a sync connection to it, takes the
// Lease at its expiry and recovers the node's sessions from the store only. Every call must
// still be routed, once. `ors local` (one node, file leases and store) driven by `ors sim`:
// kill the primary (its backup takes over at once), keep the killed process down, offer
// calls whose greetings end over a spread of a few tens of ms, and kill the new primary in
// the middle of that spread.
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { rmSync } from 'node:fs';
import { localRuntimeLogTails, simRequest, tempDir } from '../../support/ors-processes.ts';
import type { OrsProcess } from '../../support/ors-processes.ts';
import { waitFor } from '../../support/voice-test-cluster.ts';
import { startVoiceLocalCluster } from '../../support/voice-local-cluster.ts';

const dataDir = tempDir('ors-local-voice-double-');
/** The killed first primary stays down this long: the second one runs alone meanwhile. */
const RESTART_DELAY_MS = 9000;
const GREETING_MS = 1500;
/** Calls per routing point; their greetings end SPREAD_MS apart. */
const SPREAD_MS = 3;
const CALLS = 12;
let sim: OrsProcess;
let local: OrsProcess;
let httpUrl = '';

type CallInfo = { state: string; events: { type: string; nodeId?: string; sessionId?: string; reason?: string; at?: number }[] };

const api = <T = unknown>(method: string, p: string, body?: unknown) => simRequest<T>(httpUrl, method, p, body);
const call = async (id: string) => (await api<CallInfo>('GET', `/calls/${id}`)).body;
const connections = async () => (await api<{ nodeId: string; role: string; processId: string }[]>('GET', '/connections')).body;
const history = (info: CallInfo) => JSON.stringify(info.events.map((e) => [e.type, e.nodeId ?? e.reason ?? '']));

beforeAll(async () => {
  ({ sim, local, httpUrl } = await startVoiceLocalCluster(dataDir, ['--restart-delay', String(RESTART_DELAY_MS)]));
}, 120_000);

afterAll(async () => {
  await local?.stop('SIGINT');
  await sim?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

it('a lone primary killed as its calls’ greetings end: the process that comes back without sync recovers from the store and routes every call once', async () => {
  const calls = Array.from({ length: CALLS }, (_, i) => [
    { callId: `double-persisted-${i}`, routingPoint: '5000', greetingMs: GREETING_MS + SPREAD_MS * i },
    { callId: `double-restarted-${i}`, routingPoint: '5001', greetingMs: GREETING_MS + SPREAD_MS * i },
  ]).flat();
  onTestFailed(async () => {
    for (const c of calls) console.log(c.callId, history(await call(c.callId)));
    console.log(local.output().slice(-2000), localRuntimeLogTails(dataDir, 40));
  });

  // The first primary dies; its backup takes over at once and then runs alone.
  local.child.stdin!.write('kill 0\n');
  await waitFor(async () => (await connections()).filter((c) => c.role === 'primary').length === 1 && (await connections()).length === 1, 15_000, 'the backup to serve alone');

  await Promise.all(calls.map((c) => api('POST', '/calls', { routingPoint: c.routingPoint, callId: c.callId, talkMs: 5, patienceMs: 120_000, attachedData: { greetingMs: c.greetingMs } })));
  // Kill the lone primary as the first greetings end: those it hears end just before it
  // dies (it may be routing them), the others after.
  await waitFor(async () => (await call(calls[0]!.callId)).events.some((e) => e.type === 'call.treatment-ended'), 10_000, 'the first greeting to end', 1);
  local.child.stdin!.write('kill 0\n');

  await waitFor(async () => {
    for (const c of calls) if ((await call(c.callId)).state === 'ringing') return false;
    return true;
  }, 60_000, 'every call to be routed after the second failover');
  for (const c of calls) {
    const info = await call(c.callId);
    const routed = info.events.filter((e) => e.type === 'call.routed');
    expect(info.state === 'routed' || info.state === 'established' || info.state === 'released', `${c.callId}: ${info.state} ${history(info)}`).toBe(true);
    expect(routed, `${c.callId}: ${history(info)}`).toHaveLength(1);
  }
}, 150_000);

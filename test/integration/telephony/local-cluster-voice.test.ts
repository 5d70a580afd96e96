// Issue 7's must-show on `ors local` (3 nodes x primary + backup `ors runtime` processes
// electing through file leases, syncing over the sync port, with a file session store
// per node, behind HAProxy) driven by `ors sim`: the 3,000-call spread, a primary killed
// mid-treatment (exactly one dialog.playsound.done per treatment, one session per call),
// restart-session-on-switchover's replay, and garbage from the telephony side.
//
// What reached a session is read from the call's history in the simulator: the fixture
// strategies attach "<session id> <every event heard>" to their call (see
// fixtures/treatment-recorder.scxml).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { localRuntimeLogTails, simAddresses, simRequest, spawnOrs, tempDir } from '../../support/ors-processes.ts';
import type { OrsProcess } from '../../support/ors-processes.ts';
import { waitFor } from '../../support/voice-test-cluster.ts';
import { placeCall } from '../../../runtime/telephony/rendezvous.ts';
import type { SimStatisticsReport } from '../../../runtime/sim/sim-statistics.ts';
import { spreadTolerance } from '../../support/spread-tolerance.ts';

const NODES = ['node-0', 'node-1', 'node-2'];
const fixtures = path.resolve(import.meta.dirname, 'fixtures');
const dataDir = tempDir('ors-local-voice-ha-');
let sim: OrsProcess;
let local: OrsProcess;
let httpUrl = '';

type CallEventInfo = { type: string; seq: number; nodeId?: string; sessionId?: string; reason?: string; treatmentId?: string; attachedData?: Record<string, unknown> };
type CallInfo = { state: string; events: CallEventInfo[] };

const api = <T = unknown>(method: string, p: string, body?: unknown) => simRequest<T>(httpUrl, method, p, body);
const stats = async () => (await api<SimStatisticsReport>('GET', '/stats')).body;
const call = async (id: string) => (await api<CallInfo>('GET', `/calls/${id}`)).body;
const connections = async () => (await api<{ nodeId: string; role: string; processId: string }[]>('GET', '/connections')).body;
const idsAssignedTo = (nodeId: string, prefix: string, n: number) => {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) if (placeCall(`${prefix}-${i}`, NODES).assigned === nodeId) out.push(`${prefix}-${i}`);
  return out;
};

/** One entry of a fixture's "seen" list: `name[@seq][#treatmentId]`. */
function parseSeen(entry: string): { name: string; seq?: number; treatmentId?: string } {
  const m = /^([^@#]+)(?:@(\d+))?(?:#(.+))?$/.exec(entry)!;
  return { name: m[1]!, ...(m[2] !== undefined ? { seq: Number(m[2]) } : {}), ...(m[3] !== undefined ? { treatmentId: m[3] } : {}) };
}

/** Every "seen" list a session attached to the call, in order: [sessionId, entries]. */
function seenReports(info: CallInfo): { sessionId: string; seen: string[] }[] {
  return info.events
    .filter((e) => e.type === 'call.attached-data-changed' && typeof e.attachedData?.['seen'] === 'string')
    .map((e) => {
      const [sessionId, ...seen] = String(e.attachedData!['seen']).split(' ');
      return { sessionId: sessionId!, seen };
    });
}

/** Errors and the last lines of every runtime log, for a failure report. */
const runtimeLogs = () => localRuntimeLogTails(dataDir, 12);

beforeAll(async () => {
  sim = spawnOrs([
    'sim', '--port', '0',
    '--routing-point', '5000=quick-route.scxml',
    '--routing-point', '5001=treatment-recorder.scxml',
    '--routing-point', '5002=treatment-recorder-persisted.scxml',
    '--log-level', 'warn',
  ]);
  const addresses = await simAddresses(sim);
  httpUrl = addresses.controlUrl;
  local = spawnOrs(
    ['local', '--nodes', '3', '--port', '0', '--data-dir', dataDir, '--strategies-dir', fixtures, '--',
      '--telephony-url', addresses.telephonyUrl, '--cluster-nodes', NODES.join(','), '--restart-session-on-switchover', 'true', '--log-level', 'warn'],
    { stdin: true },
  );
  await local.line(/front \(HAProxy\): (\S+)/, 60_000);
  await waitFor(async () => (await connections()).length === 6, 60_000, 'six runtime processes to connect');
  await waitFor(async () => (await connections()).filter((c) => c.role === 'primary').length === 3, 30_000, 'three primaries');
}, 120_000);

afterAll(async () => {
  await local?.stop('SIGINT');
  await sim?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('voice calls on ors local (3 nodes x primary + backup, HA) driven by ors sim', () => {
  it('spreads 3,000 calls across the nodes within the statistical tolerance of uniform, one session per call on its assigned node', async () => {
    const before = await stats();
    await api('POST', '/load', { ratePerSecond: 250, calls: 3000, meanTalkMs: 5, meanPatienceMs: 1e9, seed: 7, routingPoints: ['5000'] });
    await waitFor(async () => (await api<{ finished: boolean }>('GET', '/load')).body.finished, 100_000, 'the load to finish').catch(async (err: unknown) => {
      const stuck: string[] = [];
      for (let i = 1; i <= 3000 && stuck.length < 5; i++) {
        const info = await call(`call-${i}`);
        if (info.state !== 'released') stuck.push(`call-${i} (assigned ${placeCall(`call-${i}`, NODES).assigned}): ${JSON.stringify(info.events.map((e) => [e.type, e.nodeId ?? '']))}`);
      }
      console.log(JSON.stringify((await stats()).calls), '\n', stuck.join('\n'), '\n', JSON.stringify(await connections()), '\n', local.output().slice(-2000), runtimeLogs());
      throw err;
    });
    const s = await stats();
    expect(s.calls.offered - before.calls.offered).toBe(3000);
    expect(s.calls.routed - before.calls.routed).toBe(3000);
    expect(s.calls.abandoned).toBe(0);
    expect(s.calls.attachRefusals).toBe(0);
    const tolerance = spreadTolerance(3000, NODES.length);
    for (const node of NODES) {
      const share = ((s.calls.sessionsAttachedByNode[node] ?? 0) - (before.calls.sessionsAttachedByNode[node] ?? 0)) / 3000;
      expect(Math.abs(share - 1 / 3)).toBeLessThanOrEqual(tolerance);
    }
    // One call in ten: claimed once, by its assigned node (no primary stepped down under the load).
    for (let i = 1; i <= 3000; i += 10) {
      const { events } = await call(`call-${i}`);
      const claims = events.filter((e) => e.type === 'call.session-attached');
      expect(claims).toHaveLength(1);
      expect(claims[0]!.nodeId).toBe(placeCall(`call-${i}`, NODES).assigned);
    }
  }, 120_000);

  it('kill 1 mid-treatment: each call is routed once by one session of node-1, which hears dialog.playsound.done exactly once per treatment; restarted sessions get session.restart, then the call’s events', async () => {
    // Greetings ending during the failover (before the backup is promoted, ~6 s lease)
    // and after it; persisted sessions are recovered (same id, same history), the others
    // restarted from the sync replica.
    const calls = [
      ...idsAssignedTo('node-1', 'persisted-short', 2).map((callId) => ({ callId, routingPoint: '5002', greetingMs: 4000 })),
      ...idsAssignedTo('node-1', 'persisted-long', 1).map((callId) => ({ callId, routingPoint: '5002', greetingMs: 12_000 })),
      ...idsAssignedTo('node-1', 'restarted-short', 2).map((callId) => ({ callId, routingPoint: '5001', greetingMs: 4000 })),
      ...idsAssignedTo('node-1', 'restarted-long', 1).map((callId) => ({ callId, routingPoint: '5001', greetingMs: 12_000 })),
    ];
    for (const c of calls) {
      await api('POST', '/calls', { routingPoint: c.routingPoint, callId: c.callId, talkMs: 5, patienceMs: 120_000, attachedData: { greetingMs: c.greetingMs, settleMs: 3000 } });
    }
    // Every session has started its greeting, told the call, and the sync has carried it.
    await waitFor(async () => {
      for (const c of calls) if (seenReports(await call(c.callId)).length === 0) return false;
      return true;
    }, 15_000, 'the greetings to start');
    await new Promise((r) => setTimeout(r, 300));
    local.child.stdin!.write('kill 1\n');
    const atKill = new Map<string, CallInfo>();
    for (const c of calls) atKill.set(c.callId, await call(c.callId));
    // Mid-treatment: no greeting had ended when the primary died.
    for (const c of calls) expect(atKill.get(c.callId)!.events.filter((e) => e.type === 'call.treatment-ended'), c.callId).toEqual([]);

    await waitFor(async () => {
      for (const c of calls) if ((await call(c.callId)).state === 'ringing') return false;
      return true;
    }, 60_000, 'the calls to be routed after the failover').catch(async (err: unknown) => {
      for (const c of calls) console.log(c.callId, JSON.stringify((await call(c.callId)).events.map((e) => [e.type, e.nodeId ?? e.reason ?? e.treatmentId ?? ''])));
      console.log(local.output().slice(-1500), runtimeLogs());
      throw err;
    });

    for (const c of calls) {
      const info = await call(c.callId);
      const before = atKill.get(c.callId)!;
      const describeCall = `${c.callId}: ${JSON.stringify(seenReports(info))}`;
      // Routed once; every claim by node-1, every report from one session id.
      expect(info.events.filter((e) => e.type === 'call.routed'), describeCall).toHaveLength(1);
      expect(new Set(info.events.filter((e) => e.type === 'call.session-attached').map((e) => e.nodeId)), describeCall).toEqual(new Set(['node-1']));
      const reports = seenReports(info);
      expect(new Set(reports.map((r) => r.sessionId)).size, describeCall).toBe(1);
      // The treatment the killed primary started, and its end as the server reported it.
      const first = parseSeen(reports[0]!.seen[0]!);
      expect(first.name, describeCall).toBe('dialog.playsound.started');
      const killedTreatment = first.treatmentId!;
      expect(info.events.some((e) => e.type === 'call.treatment-ended' && e.treatmentId === killedTreatment), describeCall).toBe(true);
      // The last report holds everything the live session heard: each treatment's end once,
      // the one that was playing when the primary died included.
      const last = reports.at(-1)!.seen.map(parseSeen);
      const dones = last.filter((e) => e.name === 'dialog.playsound.done').map((e) => e.treatmentId);
      expect(new Set(dones).size, describeCall).toBe(dones.length);
      expect(dones.filter((id) => id === killedTreatment), describeCall).toHaveLength(1);
      if (c.routingPoint === '5002') {
        // Recovered: the history before the kill is still there (same session, same data), then the done.
        expect(last[0], describeCall).toEqual(first);
      } else {
        // Restarted: session.restart first, then the call's events from the start (replayed
        // with their seq). The restarted session's own greeting (entered at its start, before
        // any event) may report dialog.playsound.started in between.
        const firstUpdate = before.events.find((e) => e.type === 'call.attached-data-changed')!;
        const heard = last.filter((e) => e.name !== 'dialog.playsound.started');
        expect(heard[0]!.name, describeCall).toBe('session.restart');
        expect(heard[1], describeCall).toEqual({ name: 'interaction.udata.changed', seq: firstUpdate.seq });
      }
    }
  }, 120_000);

  it('a malformed or unknown message from the telephony side is logged and ignored; every connection survives and calls still route', async () => {
    // node-1's killed process comes back (as backup) after ors local's restart delay.
    await waitFor(async () => (await connections()).length === 6, 30_000, 'six runtime processes to be connected again');
    const { body } = await api<{ sentTo: number }>('POST', '/inject', { raw: '{"type":"call.ringing",' });
    expect(body.sentTo).toBe(6);
    await api('POST', '/inject', { raw: JSON.stringify({ type: 'call.vanished', callId: 'x' }) });
    await api('POST', '/inject', { raw: JSON.stringify({ type: 'call.ringing', callId: 42 }) });
    const ids = new Set((await connections()).map((c) => c.processId));
    await new Promise((r) => setTimeout(r, 300));
    expect(new Set((await connections()).map((c) => c.processId))).toEqual(ids);
    const after = NODES.map((n) => idsAssignedTo(n, 'after-garbage', 1)[0]!);
    for (const callId of after) await api('POST', '/calls', { routingPoint: '5000', callId, talkMs: 5 });
    await waitFor(async () => {
      for (const callId of after) if ((await call(callId)).state !== 'released') return false;
      return true;
    }, 15_000, 'the next calls to be routed');
    for (const callId of after) expect((await call(callId)).events.filter((e) => e.type === 'call.routed')).toHaveLength(1);
    // Logged by every runtime process, not silently dropped.
    const logFiles = readdirSync(path.join(dataDir, 'logs')).filter((f) => /^node-\d+-[ab]\.log$/.test(f));
    expect(logFiles).toHaveLength(6);
    for (const f of logFiles) expect(readFileSync(path.join(dataDir, 'logs', f), 'utf8'), f).toContain('ignored message from the telephony server');
  }, 60_000);
});

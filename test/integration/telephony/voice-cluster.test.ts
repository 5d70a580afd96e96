// Voice calls across a 3-node cluster (3 x primary + backup = 6 runtime processes, each
// with its own connection, voice agent and session host) against the simulator:
// distribution, failover, call watching, treatments across failover, restart replay,
// reroute and consult semantics, and garbage from the telephony side.
import { afterEach, describe, expect, it } from 'vitest';
import { startSim } from './sim-helpers.ts';
import { startCluster, treatThenRoute, waitFor } from '../../support/voice-test-cluster.ts';
import type { ScriptFactory, TestCluster } from '../../support/voice-test-cluster.ts';
import { placeCall } from '../../../runtime/telephony/rendezvous.ts';
import { applyTreatmentSync, treatmentStartedEvent } from '../../../runtime/telephony/treatment-sync.ts';
import { spreadTolerance } from '../../support/spread-tolerance.ts';

const NODES = ['node-0', 'node-1', 'node-2'];
const config = { routingPoints: [{ dn: '5000', strategy: 'route.scxml' }, { dn: '5001', strategy: 'vip.scxml' }] };

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(script: ScriptFactory, options: Parameters<typeof startCluster>[2] extends infer O ? Partial<O> : never = {}) {
  const s = await startSim(config);
  cleanup.push(() => s.sim.close());
  const cluster = await startCluster(s.url, NODES, { script, callWatchingTimeoutMs: 1000, ...options });
  cleanup.push(() => cluster.stop());
  return { ...s, cluster };
}

/** A call id whose assigned node is `nodeId` (and, optionally, reserved node `reserved`). */
function callIdAssignedTo(nodeId: string, prefix: string, reserved?: string): string {
  for (let i = 0; ; i++) {
    const id = `${prefix}-${i}`;
    const p = placeCall(id, NODES);
    if (p.assigned === nodeId && (reserved === undefined || p.reserved === reserved)) return id;
  }
}

const startedSessions = (cluster: TestCluster) => cluster.processes.flatMap((p) => p.port.all.filter((s) => s.started));

describe('voice calls on a 3-node cluster', () => {
  it('spreads 3,000 calls within a few percent of uniform, one session per call, each on its assigned node', async () => {
    // The ORS default timeout: under this load (six processes and the simulator share one
    // Node process here) a 1 s timeout would let reserved nodes claim slow calls.
    const { api, sim, cluster } = await setup(treatThenRoute({ treatmentMs: 0, target: 'agent-1' }), { callWatchingTimeoutMs: 5000 });
    expect((await api('POST', '/load', { ratePerSecond: 400, calls: 3000, meanTalkMs: 10, meanPatienceMs: 1e9, seed: 7 })).status).toBe(202);
    await waitFor(async () => (await api('GET', '/load')).body.finished, 60_000, 'the load to finish');
    const report = sim.report();
    expect(report.calls).toMatchObject({ offered: 3000, routed: 3000, abandoned: 0 });
    for (const node of NODES) {
      const n = report.calls.sessionsAttachedByNode[node]!;
      // Within 4 sigma of a uniform share (test/support/spread-tolerance.ts): 1/3 +/- 3.4 points.
      expect(Math.abs(n / 3000 - 1 / 3)).toBeLessThanOrEqual(spreadTolerance(3000, NODES.length));
    }
    expect(startedSessions(cluster)).toHaveLength(3000);
    // Backups created nothing.
    for (const node of NODES) expect(cluster.backup(node).port.all).toHaveLength(0);
    let onAssigned = 0;
    for (let i = 1; i <= 3000; i++) {
      const info = sim.callInfo(`call-${i}`)!;
      const attaches = info.events.filter((e) => e.type === 'call.session-attached');
      expect(attaches).toHaveLength(1);
      if (info.attachment!.nodeId === placeCall(`call-${i}`, NODES).assigned) onAssigned++;
    }
    expect(onAssigned).toBe(3000);
  }, 90_000);

  it('killing an assigned primary mid-call still routes every call, with exactly one session per call', async () => {
    const { api, sim, cluster } = await setup(treatThenRoute({ treatmentMs: 400, target: 'agent-1' }), { restartSessionOnSwitchover: true });
    await api('POST', '/load', { ratePerSecond: 100, calls: 200, meanTalkMs: 10, meanPatienceMs: 1e9, seed: 3 });
    await new Promise((r) => setTimeout(r, 700));
    await cluster.primary('node-1').kill();
    await new Promise((r) => setTimeout(r, 400));
    cluster.backup('node-1').role.set('primary');
    await waitFor(async () => (await api('GET', '/load')).body.finished, 30_000, 'the load to finish');
    expect(sim.report().calls).toMatchObject({ offered: 200, routed: 200, abandoned: 0 });
    let restartedOnNode1 = 0;
    for (let i = 1; i <= 200; i++) {
      const info = sim.callInfo(`call-${i}`)!;
      const nodesThatClaimed = new Set(info.events.flatMap((e) => (e.type === 'call.session-attached' ? [e.nodeId] : [])));
      expect(nodesThatClaimed.size).toBe(1);
      expect(info.events.filter((e) => e.type === 'call.routed')).toHaveLength(1);
      if (info.events.filter((e) => e.type === 'call.session-attached').length === 2) restartedOnNode1++;
    }
    // Sessions the dead primary held mid-treatment were restarted by its backup.
    expect(restartedOnNode1).toBeGreaterThan(0);
    expect(cluster.backup('node-1').agent.counters.sessionsRestarted).toBe(restartedOnNode1);
  }, 60_000);

  it('when a whole node is down, its calls get their session from the reserved node after call-watching-timeout', async () => {
    const { api, sim, cluster } = await setup(treatThenRoute({ treatmentMs: 0, target: 'agent-1' }));
    await cluster.primary('node-2').kill();
    await cluster.backup('node-2').kill();
    const ids = [callIdAssignedTo('node-2', 'x', 'node-0'), callIdAssignedTo('node-2', 'y', 'node-1'), callIdAssignedTo('node-0', 'z')];
    for (const callId of ids) await api('POST', '/calls', { routingPoint: '5000', callId, talkMs: 10 });
    await waitFor(() => ids.every((id) => sim.callInfo(id)?.state === 'released'), 10_000, 'the calls to be routed');
    expect(sim.callInfo(ids[0]!)!.attachment!.nodeId).toBe('node-0');
    expect(sim.callInfo(ids[1]!)!.attachment!.nodeId).toBe('node-1');
    expect(sim.callInfo(ids[2]!)!.attachment!.nodeId).toBe('node-0');
    const ringingToRouted = (id: string) => {
      const ev = sim.callInfo(id)!.events;
      return ev.find((e) => e.type === 'call.routed')!.at - ev[0]!.at;
    };
    expect(ringingToRouted(ids[0]!)).toBeGreaterThanOrEqual(1000);
    expect(ringingToRouted(ids[2]!)).toBeLessThan(1000);
    expect(sim.report().calls.routed).toBe(3);
  });

  it('a backup promoted before the timeout creates the session itself, ahead of the reserved node', async () => {
    const { api, sim, cluster } = await setup(treatThenRoute({ treatmentMs: 0, target: 'agent-1' }));
    await cluster.primary('node-1').kill();
    const callId = callIdAssignedTo('node-1', 'p');
    await api('POST', '/calls', { routingPoint: '5000', callId, talkMs: 10 });
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.callInfo(callId)!.attachment).toBeUndefined();
    cluster.backup('node-1').role.set('primary');
    await waitFor(() => sim.callInfo(callId)?.state === 'released', 5000, 'the call to be routed');
    expect(sim.callInfo(callId)!.attachment!.nodeId).toBe('node-1');
  });

  it('delivers dialog.playsound.done after failover to the session recovered on the backup', async () => {
    const { api, sim, cluster } = await setup(treatThenRoute({ treatmentMs: 600, target: 'agent-1' }));
    const primary = cluster.primary('node-0'), backup = cluster.backup('node-0');
    for (const [label, endBeforePromotion] of [['a', false], ['b', true]] as const) {
      // The HA sync port carries treatment starts to the backup as sync events; here they are handed over directly.
      const callId = callIdAssignedTo('node-0', label);
      await api('POST', '/calls', { routingPoint: '5000', callId, talkMs: 10 });
      await waitFor(() => primary.agent.treatments.size > 0 || !primary.alive, 3000, 'the treatment to start');
      if (!primary.alive) break;
      const session = [...primary.port.sessions.values()].find((s) => s.parameters['InteractionId'] === callId)!;
      for (const t of primary.agent.treatments.playingFor(session.id)) applyTreatmentSync(backup.agent.treatments, treatmentStartedEvent(t));
      await primary.kill();
      if (endBeforePromotion) await waitFor(() => sim.callInfo(callId)!.events.some((e) => e.type === 'call.treatment-ended'), 3000, 'the treatment to end');
      // HA recovery: the persisted session exists again on the backup, same id.
      const recovered = backup.port.adoptRecovered(session);
      backup.role.set('primary');
      await waitFor(() => sim.callInfo(callId)?.state === 'released', 5000, `call ${label} to be routed`);
      expect(recovered.events.map((e) => e.name)).toContain('dialog.playsound.done');
      expect(sim.callInfo(callId)!.events.find((e) => e.type === 'call.routed')).toMatchObject({ sessionId: session.id });
      break;
    }
  });

  it('delivers dialog.playsound.done when the treatment ended during the failover, before recovery', async () => {
    const { api, sim, cluster } = await setup(treatThenRoute({ treatmentMs: 300, target: 'agent-1' }));
    const primary = cluster.primary('node-0'), backup = cluster.backup('node-0');
    const callId = callIdAssignedTo('node-0', 'late');
    await api('POST', '/calls', { routingPoint: '5000', callId, talkMs: 10 });
    await waitFor(() => primary.agent.treatments.size > 0, 3000, 'the treatment to start');
    const session = [...primary.port.sessions.values()].find((s) => s.parameters['InteractionId'] === callId)!;
    for (const t of primary.agent.treatments.playingFor(session.id)) applyTreatmentSync(backup.agent.treatments, treatmentStartedEvent(t));
    await primary.kill();
    await waitFor(() => sim.callInfo(callId)!.events.some((e) => e.type === 'call.treatment-ended'), 3000, 'the treatment to end');
    await new Promise((r) => setTimeout(r, 50));
    const recovered = backup.port.adoptRecovered(session);
    backup.role.set('primary');
    await waitFor(() => sim.callInfo(callId)?.state === 'released', 5000, 'the call to be routed');
    expect(recovered.events.map((e) => e.name)).toEqual(expect.arrayContaining(['dialog.playsound.done']));
  });

  it('binds a session HA recovers only after the promotion, and delivers the treatment end it missed', async () => {
    const { api, sim, cluster } = await setup(treatThenRoute({ treatmentMs: 300, target: 'agent-1' }));
    const primary = cluster.primary('node-2'), backup = cluster.backup('node-2');
    const callId = callIdAssignedTo('node-2', 'slow-recovery');
    await api('POST', '/calls', { routingPoint: '5000', callId, talkMs: 10 });
    await waitFor(() => primary.agent.treatments.size > 0, 3000, 'the treatment to start');
    const session = [...primary.port.sessions.values()].find((s) => s.parameters['InteractionId'] === callId)!;
    for (const t of primary.agent.treatments.playingFor(session.id)) applyTreatmentSync(backup.agent.treatments, treatmentStartedEvent(t));
    await primary.kill();
    backup.role.set('primary');
    await waitFor(() => sim.callInfo(callId)!.events.some((e) => e.type === 'call.treatment-ended'), 3000, 'the treatment to end');
    // No session for the call here yet, and the call is claimed: nobody creates a second one.
    await new Promise((r) => setTimeout(r, 200));
    expect(backup.port.all).toHaveLength(0);
    const recovered = backup.port.adoptRecovered(session);
    await waitFor(() => sim.callInfo(callId)?.state === 'released', 5000, 'the call to be routed');
    expect(recovered.events.map((e) => e.name)).toContain('dialog.playsound.done');
    expect(sim.callInfo(callId)!.events.filter((e) => e.type === 'call.session-attached')).toHaveLength(1);
  });

  it('restart-session-on-switchover: the restarted session gets session.restart, then the call’s events from the start', async () => {
    const hold: ScriptFactory = () => () => undefined; // a strategy that waits (e.g. for an agent)
    const { api, sim, cluster } = await setup(hold, { restartSessionOnSwitchover: true });
    const callId = callIdAssignedTo('node-2', 'r');
    await api('POST', '/calls', { routingPoint: '5000', callId, attachedData: { lang: 'fr' } });
    await waitFor(() => sim.callInfo(callId)?.attachment !== undefined, 3000, 'the call to be claimed');
    await cluster.primary('node-2').agent.updateAttachedData(cluster.primary('node-2').agent.sessionForCall(callId)!, { segment: 'gold' });
    await waitFor(() => sim.callInfo(callId)!.events.length >= 3, 3000, 'attached data to change');
    await cluster.primary('node-2').kill();
    cluster.backup('node-2').role.set('primary');
    await waitFor(() => cluster.backup('node-2').agent.sessionForCall(callId) !== undefined, 3000, 'the session to restart');
    const restarted = cluster.backup('node-2').port.sessions.get(cluster.backup('node-2').agent.sessionForCall(callId)!)!;
    expect(restarted.events.map((e) => e.name)).toEqual(['session.restart', 'interaction.present', 'interaction.udata.changed']);
    expect(restarted.events[0]!.data).toEqual({ interactionid: callId });
    expect(restarted.events[2]!.data).toMatchObject({ udata: { lang: 'fr', segment: 'gold', 'ors-session-id': expect.any(String) } });
    // Later events reach it live.
    await api('POST', `/calls/${callId}/release`);
    await waitFor(() => restarted.events.some((e) => e.name === 'interaction.deleted'), 3000, 'the release to arrive');
    await api('POST', `/calls/${callId}/release`).catch(() => undefined);
  });

  it('restarts sessions after a switchover in batches of session-processing-threads every session-restart-timeout', async () => {
    const hold: ScriptFactory = () => () => undefined;
    const { api, sim, cluster } = await setup(hold, { restartSessionOnSwitchover: true, restartBatchSize: 2, restartIntervalMs: 2000 });
    const ids = Array.from({ length: 6 }, (_, i) => callIdAssignedTo('node-1', `batch${i}`));
    for (const callId of ids) await api('POST', '/calls', { routingPoint: '5000', callId });
    await waitFor(() => ids.every((id) => sim.callInfo(id)?.attachment !== undefined), 3000, 'the calls to be claimed');
    await cluster.primary('node-1').kill();
    const promotedAt = Date.now();
    cluster.backup('node-1').role.set('primary');
    const restartedAt = new Map<string, number>();
    await waitFor(() => {
      for (const id of ids) if (!restartedAt.has(id) && cluster.backup('node-1').agent.sessionForCall(id)) restartedAt.set(id, Date.now() - promotedAt);
      return restartedAt.size === 6;
    }, 15_000, 'six restarted sessions');
    const times = [...restartedAt.values()].sort((a, b) => a - b);
    // Three waves: 2 at once, 2 after 2 s, 2 after 4 s. The interval is long so that a
    // slow machine cannot blur one wave into the next.
    expect(times[1]!).toBeLessThan(1500);
    expect(times[2]!).toBeGreaterThanOrEqual(1950);
    expect(times[3]!).toBeLessThan(3500);
    expect(times[4]!).toBeGreaterThanOrEqual(3950);
    for (const id of ids) await api('POST', `/calls/${id}/release`);
  });

  it('a malformed or unknown message from the telephony side is logged and ignored; connections survive and reconnect', async () => {
    const { api, sim, cluster, httpUrl } = await setup(treatThenRoute({ treatmentMs: 0, target: 'agent-1' }));
    const sent = (await api('POST', '/inject', { raw: '{"type":"call.ringing","callId":' })).body.sentTo;
    await api('POST', '/inject', { raw: JSON.stringify({ type: 'call.teleported', callId: 'c' }) });
    await api('POST', '/inject', { raw: JSON.stringify({ type: 'call.ringing', callId: 'c', seq: -1 }) });
    expect(sent).toBe(6);
    await waitFor(() => cluster.processes.every((p) => p.connection.ignoredMessages === 3), 3000, 'every process to ignore 3 messages');
    expect(cluster.processes.every((p) => p.connection.isReady && p.connection.connections === 1)).toBe(true);
    await api('POST', '/calls', { routingPoint: '5000', callId: 'after-garbage', talkMs: 10 });
    await waitFor(() => sim.callInfo('after-garbage')?.state === 'released', 5000, 'the next call to be routed');

    // The telephony server restarts on the same port: every process reconnects.
    const port = Number(new URL(httpUrl).port);
    await sim.close();
    const again = await startSim({ ...config, port });
    cleanup.push(() => again.sim.close());
    await waitFor(() => cluster.processes.every((p) => p.connection.isReady && p.connection.connections === 2), 10_000, 'every process to reconnect');
    await again.api('POST', '/calls', { routingPoint: '5000', callId: 'after-restart', talkMs: 10 });
    await waitFor(() => again.sim.callInfo('after-restart')?.state === 'released', 5000, 'a call after the restart to be routed');
  });
});

describe('reroute and consult calls', () => {
  // Routes on every ringing (the first, and a reroute), ends only when the call is gone.
  const routeEveryTime: ScriptFactory = (actions) => (session, event) => {
    if (event === undefined || event.name === 'interaction.present') void actions().agent.routeCall(session.id, 'agent-1').catch(() => undefined);
    if (event?.name === 'interaction.deleted') session.end();
  };

  for (const newSessionOnReroute of [false, true]) {
    it(`new-session-on-reroute=${newSessionOnReroute}`, async () => {
      const { api, sim, cluster } = await setup(routeEveryTime, { newSessionOnReroute });
      // A call whose first session and (for true) new session land on different nodes is not needed:
      // the number of sessions tells the two apart.
      await api('POST', '/calls', { routingPoint: '5000', callId: 'rr', talkMs: 60_000 });
      await waitFor(() => sim.callInfo('rr')?.events.some((e) => e.type === 'call.established') ?? false, 3000, 'the call to be routed');
      const first = sim.callInfo('rr')!.attachment!;
      await api('POST', '/calls/rr/reroute', { routingPoint: '5001' });
      await waitFor(() => (sim.callInfo('rr')?.events.filter((e) => e.type === 'call.routed').length ?? 0) === 2, 5000, 'the rerouted call to be routed');
      const sessions = startedSessions(cluster).filter((s) => s.parameters['InteractionId'] === 'rr');
      const second = sim.callInfo('rr')!.attachment!;
      if (newSessionOnReroute) {
        expect(sessions).toHaveLength(2);
        expect(second.sessionId).not.toBe(first.sessionId);
        expect(second.nodeId).toBe(placeCall('rr', NODES).assigned);
        expect(sessions[1]!.strategy).toBe('vip.scxml');
      } else {
        expect(sessions).toHaveLength(1);
        expect(second).toEqual({ ...first, afterRingingSeq: second.afterRingingSeq });
        expect(sessions[0]!.events.map((e) => e.name)).toContain('interaction.present');
      }
      await api('POST', '/calls/rr/release');
    });
  }

  it('same-node-for-cons-prim-calls: a consult call’s session lands on its primary call’s node', async () => {
    const { api, sim } = await setup(routeEveryTime, { sameNodeForConsultAndPrimary: true });
    const pairs = Array.from({ length: 30 }, (_, i) => [`prim-${i}`, `cons-${i}`] as const);
    for (const [p, c] of pairs) {
      await api('POST', '/calls', { routingPoint: '5000', callId: p, talkMs: 10 });
      await api('POST', '/calls', { routingPoint: '5000', callId: c, callType: 'consult', primaryCallId: p, talkMs: 10 });
    }
    await waitFor(() => pairs.every(([p, c]) => sim.callInfo(p)?.state === 'released' && sim.callInfo(c)?.state === 'released'), 10_000, 'the calls to end');
    let differentOwnHash = 0;
    for (const [p, c] of pairs) {
      expect(sim.callInfo(c)!.attachment!.nodeId).toBe(sim.callInfo(p)!.attachment!.nodeId);
      if (placeCall(c, NODES).assigned !== placeCall(p, NODES).assigned) differentOwnHash++;
    }
    expect(differentOwnHash).toBeGreaterThan(5);
  });
});

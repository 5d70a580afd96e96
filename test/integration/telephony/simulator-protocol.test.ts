// `ors sim` speaks the protocol of runtime/telephony/PROTOCOL.md: checked with a bare
// WebSocket client, frame by frame.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startSim } from './sim-helpers.ts';

// Frames are read loosely here: the test asserts their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = Record<string, any>;

class RawClient {
  readonly ws: WebSocket;
  readonly received: Msg[] = [];
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  closed = false;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Msg;
      this.received.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
    this.ws.on('close', () => (this.closed = true));
  }

  async open(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return;
    await new Promise((r) => this.ws.once('open', r));
  }

  send(m: Msg | string): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  next(pred: (m: Msg) => boolean, timeoutMs = 3000): Promise<Msg> {
    const found = this.received.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no matching message')), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }

  async hello(nodeId: string, role: 'primary' | 'backup' = 'primary', versions = [1]): Promise<Msg> {
    await this.open();
    this.send({ type: 'hello', protocol: 'ors-telephony', versions, nodeId, processId: `${nodeId}-${role}`, role, capabilities: ['voice', 'multimedia'] });
    return this.next((m) => m.type === 'welcome' || m.type === 'error');
  }

  async request(m: Msg): Promise<Msg> {
    const requestId = `r${Math.random()}`;
    this.send({ ...m, requestId });
    return this.next((x) => x.requestId === requestId);
  }
}

const config = {
  routingPoints: [{ dn: '5000', strategy: 'route.scxml' }],
  targets: ['agent-1'],
  queues: [{ name: 'chat', strategy: 'chat.scxml' }],
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function setup(extra: object = {}) {
  const s = await startSim({ ...config, ...extra });
  cleanup.push(() => s.sim.close());
  return s;
}

describe('ors sim protocol', () => {
  it('negotiates the version in hello/welcome and announces routing points and queues', async () => {
    const { url } = await setup();
    const c = new RawClient(url);
    const welcome = await c.hello('n0', 'primary', [1, 2, 3]);
    expect(welcome).toMatchObject({ type: 'welcome', protocol: 'ors-telephony', version: 1, routingPoints: [{ dn: '5000', strategy: 'route.scxml' }], queues: [{ name: 'chat' }] });
    c.ws.close();
  });

  it('refuses a client with no common version and closes the connection', async () => {
    const { url } = await setup();
    const c = new RawClient(url);
    const answer = await c.hello('n0', 'primary', [9]);
    expect(answer).toMatchObject({ type: 'error', code: 'unsupported-version' });
    await new Promise((r) => setTimeout(r, 100));
    expect(c.closed).toBe(true);
  });

  it('answers malformed, unknown and invalid messages with an error and keeps the connection', async () => {
    const { url, sim } = await setup();
    const c = new RawClient(url);
    await c.open();
    c.send({ type: 'calls.list', requestId: 'early' });
    expect(await c.next((m) => m.requestId === 'early')).toMatchObject({ type: 'error', code: 'not-welcomed' });
    await c.hello('n0');
    c.send('{not json');
    expect(await c.next((m) => m.code === 'malformed')).toMatchObject({ type: 'error' });
    c.send({ type: 'call.teleport', requestId: 'x1' });
    expect(await c.next((m) => m.requestId === 'x1')).toMatchObject({ type: 'error', code: 'unknown-type' });
    c.send({ type: 'call.route', requestId: 'x2', callId: 'c' });
    expect(await c.next((m) => m.requestId === 'x2')).toMatchObject({ type: 'error', code: 'invalid', message: expect.stringMatching(/target/) });
    // Still connected and served.
    expect(await c.request({ type: 'calls.list' })).toMatchObject({ type: 'response', ok: true, result: { calls: [] } });
    expect(sim.report().protocol.rejectedMessages).toBe(4);
    c.ws.close();
  });

  it('plays a call: ringing to all, one claim wins, treatment ends, route, established, released', async () => {
    const { url, api, sim } = await setup();
    const a = new RawClient(url), b = new RawClient(url);
    await a.hello('n0');
    await b.hello('n1');
    const { body } = await api('POST', '/calls', { routingPoint: '5000', callId: 'call-1', talkMs: 50, attachedData: { vip: true } });
    expect(body).toEqual({ callId: 'call-1' });
    for (const c of [a, b]) expect(await c.next((m) => m.type === 'call.ringing')).toMatchObject({ callId: 'call-1', seq: 1, routingPoint: '5000', attachedData: { vip: true } });

    expect(await a.request({ type: 'call.session.attach', callId: 'call-1', sessionId: 's-a', nodeId: 'n0' })).toMatchObject({ ok: true });
    expect(await b.request({ type: 'call.session.attach', callId: 'call-1', sessionId: 's-b', nodeId: 'n1' })).toMatchObject({ ok: false, error: { code: 'session-already-attached' } });
    expect(await b.next((m) => m.type === 'call.session-attached')).toMatchObject({ sessionId: 's-a', nodeId: 'n0', seq: 2 });

    expect(await a.request({ type: 'call.treatment.apply', callId: 'call-1', treatmentId: 't1', treatment: { kind: 'playsound', durationMs: 80 } })).toMatchObject({ ok: true });
    const ended = await b.next((m) => m.type === 'call.treatment-ended');
    expect(ended).toMatchObject({ treatmentId: 't1', reason: 'completed' });

    expect(await b.request({ type: 'call.route', callId: 'call-1', target: 'agent-1', sessionId: 's-b' })).toMatchObject({ ok: false, error: { code: 'not-owner' } });
    expect(await a.request({ type: 'call.route', callId: 'call-1', target: 'nobody', sessionId: 's-a' })).toMatchObject({ ok: false, error: { code: 'unknown-target' } });
    expect(await a.request({ type: 'call.route', callId: 'call-1', target: 'agent-1', sessionId: 's-a' })).toMatchObject({ ok: true });
    await b.next((m) => m.type === 'call.released');
    const types = b.received.filter((m) => m.callId === 'call-1' && m.seq).map((m) => m.type);
    expect(types).toEqual(['call.ringing', 'call.session-attached', 'call.treatment-ended', 'call.routed', 'call.established', 'call.released']);
    const stats = sim.report();
    expect(stats.calls).toMatchObject({ offered: 1, routed: 1, abandoned: 0, routedByNode: { n0: 1 }, attachRefusals: 1 });
    expect(stats.calls.timeToRouteMs.count).toBe(1);
    a.ws.close();
    b.ws.close();
  });

  it('cancels treatments, updates attached data, and abandons a call nobody routes', async () => {
    const { url, api, sim } = await setup();
    const a = new RawClient(url);
    await a.hello('n0');
    await api('POST', '/calls', { routingPoint: '5000', callId: 'c2', patienceMs: 300 });
    await a.next((m) => m.type === 'call.ringing');
    await a.request({ type: 'call.treatment.apply', callId: 'c2', treatmentId: 't', treatment: { kind: 'music', durationMs: 60_000 } });
    expect(await a.request({ type: 'call.treatment.cancel', callId: 'c2', treatmentId: 't' })).toMatchObject({ ok: true });
    expect(await a.next((m) => m.type === 'call.treatment-ended')).toMatchObject({ reason: 'cancelled' });
    await a.request({ type: 'call.attached-data.update', callId: 'c2', set: { segment: 'gold' }, remove: [] });
    expect(await a.next((m) => m.type === 'call.attached-data-changed')).toMatchObject({ attachedData: { segment: 'gold' } });
    await a.next((m) => m.type === 'call.abandoned', 2000);
    await a.next((m) => m.type === 'call.released' && m.callId === 'c2');
    expect(await a.request({ type: 'call.route', callId: 'c2', target: 'agent-1' })).toMatchObject({ ok: false, error: { code: 'call-gone' } });
    expect(sim.report().calls).toMatchObject({ offered: 1, abandoned: 1, routed: 0 });
    a.ws.close();
  });

  it('lets primaries pull, refuses and logs backups, and returns nothing twice', async () => {
    const { url, api, sim } = await setup();
    const p = new RawClient(url), b = new RawClient(url);
    await p.hello('n0', 'primary');
    await b.hello('n0', 'backup');
    await api('POST', '/interactions', { queue: 'chat', count: 5 });
    expect(await b.request({ type: 'interactions.pull', queues: ['chat'], max: 5 })).toMatchObject({ ok: false, error: { code: 'not-primary' } });
    const first = await p.request({ type: 'interactions.pull', queues: ['chat'], max: 3 });
    const second = await p.request({ type: 'interactions.pull', queues: ['chat'], max: 3 });
    const ids = [...first.result.interactions, ...second.result.interactions].map((i: Msg) => i.interactionId);
    expect(new Set(ids).size).toBe(5);
    expect(first.result.interactions[0]).toMatchObject({ queue: 'chat', strategy: 'chat.scxml' });
    expect(first.result.interactions[0].leaseExpiresAt).toBeUndefined();
    // The node owns them: its other process (after a switchover) may complete them.
    b.send({ type: 'role.changed', role: 'primary' });
    const held = await b.request({ type: 'interactions.held' });
    expect(held.result.interactions.map((i: Msg) => i.interactionId).sort()).toEqual([...ids].sort());
    expect(await b.request({ type: 'interaction.complete', interactionId: ids[0] })).toMatchObject({ ok: true, result: { repeated: false } });
    // Completing again (a retry whose answer was lost) is acknowledged and counted once; another node is refused.
    expect(await p.request({ type: 'interaction.complete', interactionId: ids[0] })).toMatchObject({ ok: true, result: { repeated: true } });
    const other = new RawClient(url);
    await other.hello('n1', 'primary');
    expect(await other.request({ type: 'interaction.complete', interactionId: ids[0] })).toMatchObject({ ok: false, error: { code: 'not-owner' } });
    expect(await other.request({ type: 'interaction.complete', interactionId: 'no-such' })).toMatchObject({ ok: false, error: { code: 'unknown-interaction' } });
    expect((await other.request({ type: 'interactions.held' })).result.interactions).toEqual([]);
    other.ws.close();
    const { body: log } = await api('GET', '/pull-log');
    expect(log.map((e: Msg) => [e.processId, e.role, e.refused ?? null, e.interactionIds.length])).toEqual([
      ['n0-backup', 'backup', 'not-primary', 0],
      ['n0-primary', 'primary', null, 3],
      ['n0-primary', 'primary', null, 2],
    ]);
    expect(sim.report().interactions).toMatchObject({
      enqueued: 5, pulled: 5, completed: 1, pullsRefusedFromBackups: 1, completionsRepeated: 1, completionsRefused: 2, byNode: { n0: { pulled: 5, completed: 1 } },
    });
    p.ws.close();
    b.ws.close();
  });

  it('with lease expiry enabled, returns an unrenewed interaction to its queue and tells its node', async () => {
    const { url, api, sim } = await setup({ leaseExpiry: { enabled: true, leaseMs: 100 } });
    const p = new RawClient(url), q = new RawClient(url);
    await p.hello('n0');
    await q.hello('n1');
    await api('POST', '/interactions', { queue: 'chat', count: 2 });
    const pulled = await p.request({ type: 'interactions.pull', queues: ['chat'], max: 2 });
    const [keep, lapse] = pulled.result.interactions.map((i: Msg) => i.interactionId);
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 40));
      await p.request({ type: 'interactions.lease.renew', interactionIds: [keep] });
    }
    expect(await p.next((m) => m.type === 'interaction.lease-expired')).toMatchObject({ interactionId: lapse, queue: 'chat' });
    const again = await q.request({ type: 'interactions.pull', queues: ['chat'], max: 5 });
    expect(again.result.interactions.map((i: Msg) => i.interactionId)).toEqual([lapse]);
    expect(sim.report().interactions.byNode).toMatchObject({ n0: { pulled: 2, returned: 1 }, n1: { pulled: 1 } });
    p.ws.close();
    q.ws.close();
  });

  it('control API rejects bad input with a 4xx and a JSON message', async () => {
    const { api } = await setup();
    expect(await api('POST', '/calls', { routingPoint: 'nope' })).toMatchObject({ status: 400, body: { error: 'invalid', message: expect.stringMatching(/unknown routing point/) } });
    expect(await api('POST', '/calls', { callType: 'x' })).toMatchObject({ status: 400, body: { error: 'invalid' } });
    expect(await api('POST', '/interactions', { queue: 'sms' })).toMatchObject({ status: 400 });
    expect(await api('GET', '/calls/none')).toMatchObject({ status: 404, body: { error: 'unknown-call' } });
    expect(await api('POST', '/load', { ratePerSecond: 3 })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/calls/) } });
    expect(await api('POST', '/load', { calls: 1, routingPoints: ['nope'] })).toMatchObject({ status: 400, body: { error: 'invalid', message: expect.stringMatching(/unknown routing point.*"nope"/) } });
    expect(await api('GET', '/nothing')).toMatchObject({ status: 404 });
  });
});

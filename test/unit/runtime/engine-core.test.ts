// The engine lane's core with the real SCXML engine, driven as an engine thread drives it:
// commands in, outcomes out. What the watchdog's restores rely on: progress names the last
// command consumed, recovery snapshots restore to the same state, a query sees the events
// sent before it, an effect that must not repeat leaves with a snapshot.
import { describe, expect, it } from 'vitest';
import { EngineCore } from '../../../runtime/engine/engine-core.ts';
import { NOT_BUSY, type HostCommand, type LaneBatch, type LaneOutcome } from '../../../runtime/engine/engine-protocol.ts';
import { createScxmlEngine } from '../../../runtime/sessions/scxml-engine.ts';
import { createThreadEngine } from '../../../runtime/engine/scxml-thread-engine.ts';
import { waitUntil } from '../../infra/wait-until.ts';

const COUNTER = `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="a">
  <datamodel><data id="n" expr="0"/></datamodel>
  <state id="a">
    <transition event="bump"><assign location="n" expr="n + 1"/></transition>
    <transition event="tell"><send target="#_scxml_elsewhere" event="told"/></transition>
    <transition event="stop" target="end"/>
  </state>
  <final id="end"/>
</scxml>`;

function lane(recoverySnapshots = true) {
  const outcomes: LaneOutcome[] = [];
  const batches: LaneBatch[] = [];
  const core = new EngineCore({
    engine: createScxmlEngine({ remoteSession: (id) => ({ id, enqueue: (event) => core.deliverElsewhere(id, event) }) }),
    recoverySnapshots,
    sliceMs: 4,
    fetchTimeoutMs: 1000,
    busy: NOT_BUSY,
    send: (batch: LaneBatch) => {
      batches.push(batch);
      outcomes.push(...batch.outcomes);
    },
  });
  let batch = 0;
  const send = (...commands: HostCommand[]) => core.receive(++batch, commands);
  /** Until the lane's outcomes show what the test waits for. */
  const settle = (what: string, done: () => boolean) =>
    waitUntil(async () => (done() ? true : undefined), { what, timeoutMs: 10_000, intervalMs: 5 });
  return { core, outcomes, batches, send, settle };
}

/** The counter document, a session of it and its start: how every case begins. */
const opening = (sid: string, slot: number): HostCommand[] => [
  { op: 'doc', doc: { id: 1, source: COUNTER, origin: 'counter.scxml' } },
  { op: 'create', sid, slot, docId: 1, parameters: {} },
  { op: 'start', slot, seq: 1 },
];

const progressOf = (outcomes: LaneOutcome[], slot: number) =>
  outcomes.filter((o): o is Extract<LaneOutcome, { op: 'progress' }> => o.op === 'progress' && o.slot === slot);

describe('EngineCore', () => {
  it('reports the last command consumed with a snapshot that restores to the same state', async () => {
    const { outcomes, send, settle } = lane();
    send(
      ...opening('s1', 1),
      { op: 'event', slot: 1, seq: 2, event: { name: 'bump' } },
      { op: 'event', slot: 1, seq: 3, event: { name: 'bump' } },
    );
    // The snapshot may come with the progress or, when the opening's was less than
    // recoverySnapshotMs before (its 4 ms slice ended after the start on a busy machine),
    // by the idle session's timer after it: either way one comes at seq 3.
    await settle('a snapshot of s1 stable after seq 3', () => progressOf(outcomes, 1).some((p) => p.seq === 3 && p.stable && p.snapshot !== undefined));
    const last = progressOf(outcomes, 1).find((p) => p.seq === 3 && p.stable && p.snapshot !== undefined)!;
    expect(last).toMatchObject({ seq: 3, stable: true, events: expect.any(Number) });
    expect(progressOf(outcomes, 1).at(-1)!.seq).toBe(3);

    // A fresh lane, as after a lost thread: the snapshot, then what came after it.
    const fresh = lane();
    fresh.send(
      { op: 'doc', doc: { id: 1, source: COUNTER, origin: 'counter.scxml' } },
      { op: 'restore', sid: 's1', slot: 1, docId: 1, snapshot: last.snapshot!, seq: 3 },
      { op: 'event', slot: 1, seq: 4, event: { name: 'bump' } },
      { op: 'query', slot: 1, qid: 7 },
    );
    await fresh.settle('the query answer and s1 stable after seq 4', () =>
      fresh.outcomes.some((o) => o.op === 'query-result') && progressOf(fresh.outcomes, 1).some((p) => p.seq === 4 && p.stable),
    );
    const answer = fresh.outcomes.find((o) => o.op === 'query-result');
    expect(answer).toMatchObject({ qid: 7, ok: true, result: { configuration: ['a'], datamodel: { n: 3 } } });
    expect(progressOf(fresh.outcomes, 1).at(-1)).toMatchObject({ seq: 4, stable: true });
  });

  it('answers a query after the events sent before it, and reports a final state', async () => {
    const { outcomes, send, settle } = lane(false);
    send(
      ...opening('s2', 2),
      ...Array.from({ length: 50 }, (_, i): HostCommand => ({ op: 'event', slot: 2, seq: i + 2, event: { name: 'bump' } })),
      { op: 'query', slot: 2, qid: 1 },
      { op: 'event', slot: 2, seq: 52, event: { name: 'stop' } },
    );
    await settle('s2 finished', () => outcomes.some((o) => o.op === 'finished'));
    expect(outcomes.find((o) => o.op === 'query-result')).toMatchObject({ result: { datamodel: { n: 50 } } });
    expect(outcomes.find((o) => o.op === 'finished')).toMatchObject({ sid: 's2', reason: 'done' });
    // Without recovery snapshots, a session that does not persist sends none.
    expect(progressOf(outcomes, 2).every((p) => p.snapshot === undefined)).toBe(true);
  });

  it('an event for a session elsewhere leaves in the same message as the sender snapshot', async () => {
    const batches: LaneBatch[] = [];
    const core = new EngineCore({
      engine: createScxmlEngine({ remoteSession: (id) => ({ id, enqueue: (event) => core.deliverElsewhere(id, event) }) }),
      recoverySnapshots: true,
      recoverySnapshotMs: 60_000,
      sliceMs: 4,
      fetchTimeoutMs: 1000,
      busy: NOT_BUSY,
      send: (batch) => batches.push(batch),
    });
    core.receive(1, [
      ...opening('s3', 3),
      { op: 'event', slot: 3, seq: 2, event: { name: 'tell' } },
    ]);
    await waitUntil(async () => (batches.some((b) => b.outcomes.some((o) => o.op === 'deliver')) ? true : undefined), {
      what: 'the deliver outcome',
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    const carrying = batches.find((b) => b.outcomes.some((o) => o.op === 'deliver'));
    expect(carrying).toBeDefined();
    const progress = carrying!.outcomes.find((o) => o.op === 'progress' && o.slot === 3) as Extract<LaneOutcome, { op: 'progress' }>;
    expect(progress.seq).toBe(2);
    expect(progress.snapshot).toBeDefined();
  });

  it('reports its backlog of events not yet run, down to none once they have run (what flow control reads)', async () => {
    const { batches, send, settle } = lane();
    // More events than one 4 ms slice runs.
    const flood = 20_000;
    send(
      ...opening('s4', 4),
      ...Array.from({ length: flood }, (_, i): HostCommand => ({ op: 'event', slot: 4, seq: i + 2, event: { name: 'bump' } })),
    );
    expect(batches).toEqual([]);
    await settle('backlog 0', () => batches.at(-1)?.backlog === 0);
    // The acknowledgement leaves with the first slice's flush, with what that slice left queued.
    expect(batches[0]!.ack).toBe(1);
    // (On a busy machine the first slice may end with the compile and start, every event still queued.)
    expect(batches[0]!.backlog).toBeGreaterThan(0);
    expect(batches[0]!.backlog).toBeLessThanOrEqual(flood);
    // Counted down slice by slice, never up.
    const backlogs = batches.map((b) => b.backlog ?? -1);
    expect(backlogs).toEqual([...backlogs].sort((a, b) => b - a));
    expect(new Set(backlogs).size).toBeGreaterThan(2);
    // A cancelled session's queued events are no backlog either.
    send(...Array.from({ length: 10 }, (_, i): HostCommand => ({ op: 'event', slot: 4, seq: i + flood + 2, event: { name: 'bump' } })), {
      op: 'cancel',
      slot: 4,
    });
    await settle('the cancel acknowledged', () => batches.at(-1)?.ack === 2);
    expect(batches.at(-1)!.backlog).toBe(0);
  });

  it('takes recovery snapshots at most once per recoverySnapshotMs, and of an idle session too', async () => {
    const batches: LaneBatch[] = [];
    const core = new EngineCore({
      engine: createScxmlEngine(),
      recoverySnapshots: true,
      recoverySnapshotMs: 200,
      sliceMs: 4,
      fetchTimeoutMs: 1000,
      busy: NOT_BUSY,
      send: (batch) => batches.push(batch),
    });
    const snapshots = () => progressOf(batches.flatMap((b) => b.outcomes), 5).filter((p) => p.snapshot !== undefined);
    core.receive(1, opening('s5', 5));
    // The first round is due at once.
    await waitUntil(async () => (snapshots().length === 1 ? true : undefined), { what: 'the first snapshot', timeoutMs: 10_000, intervalMs: 5 });
    // One event a batch, the lane idle between them (as under HTTP load): no snapshot each.
    const from = performance.now();
    for (let seq = 2; seq <= 21; seq++) {
      core.receive(seq, [{ op: 'event', slot: 5, seq, event: { name: 'bump' } }]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const during = snapshots().length - 1;
    expect(during * 200).toBeLessThanOrEqual(performance.now() - from + 200);
    // The idle session gets its snapshot of the last event once the next round is due.
    await waitUntil(async () => (snapshots().at(-1)?.seq === 21 ? true : undefined), { what: 'a snapshot after seq 21', timeoutMs: 10_000, intervalMs: 5 });
    const restored = lane();
    restored.send(
      { op: 'doc', doc: { id: 1, source: COUNTER, origin: 'counter.scxml' } },
      { op: 'restore', sid: 's5', slot: 5, docId: 1, snapshot: snapshots().at(-1)!.snapshot!, seq: 21 },
      { op: 'query', slot: 5, qid: 1 },
    );
    await restored.settle('the query answer', () => restored.outcomes.some((o) => o.op === 'query-result'));
    expect(restored.outcomes.find((o) => o.op === 'query-result')).toMatchObject({ result: { datamodel: { n: 20 } } });
  });

  // A persisted voice strategy's macrostep that redirects the call: the route request
  // reaches the I/O thread before the state it leaves, in the same batch, so the I/O
  // thread sends it before that state is made durable. A stored session waiting for
  // interaction.routed must never stand for a route request that was never sent.
  it('a telephony request of a persisted session leaves before the snapshot of the macrostep that made it, in the same batch', async () => {
    const REDIRECT = `<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:ixn="http://www.genesyslab.com/modules/interaction"
        version="1.0" datamodel="ecmascript" initial="greeting" _persist="true">
      <state id="greeting"><transition event="dialog.playsound.done" target="routing"/></state>
      <state id="routing"><onentry><ixn:redirect toexpr="'agent-1'"/></onentry></state>
    </scxml>`;
    const batches: LaneBatch[] = [];
    const core: EngineCore = new EngineCore({
      engine: createThreadEngine({ evaluationTimeLimitMs: 1000, call: (sid, method, args) => core.call(sid, method, args), deliverElsewhere: () => undefined }),
      recoverySnapshots: true,
      sliceMs: 4,
      fetchTimeoutMs: 1000,
      busy: NOT_BUSY,
      send: (batch: LaneBatch) => batches.push(batch),
    });
    core.receive(1, [
      { op: 'doc', doc: { id: 1, source: REDIRECT, origin: 'redirect.scxml' } },
      { op: 'create', sid: 's9', slot: 9, docId: 1, parameters: {} },
      { op: 'start', slot: 9, seq: 1 },
    ]);
    await waitUntil(async () => (batches.some((b) => b.outcomes.some((o) => o.op === 'progress' && o.seq === 1 && o.stable)) ? true : undefined), { what: 'started', timeoutMs: 10_000, intervalMs: 5 });
    const before = batches.length;
    core.receive(2, [{ op: 'event', slot: 9, seq: 2, event: { name: 'dialog.playsound.done' } }]);
    await waitUntil(async () => (batches.slice(before).some((b) => b.outcomes.some((o) => o.op === 'call')) ? true : undefined), { what: 'the route request', timeoutMs: 10_000, intervalMs: 5 });
    const batch = batches.slice(before).find((b) => b.outcomes.some((o) => o.op === 'call'))!;
    const ops = batch.outcomes.map((o) => (o.op === 'call' ? `call ${o.method}` : o.op === 'progress' ? `progress ${o.seq}${o.snapshot ? ' +snapshot' : ''}` : o.op));
    expect(ops).toEqual(['call telephony.routeCall', 'progress 2 +snapshot']);
    expect((JSON.parse((batch.outcomes[1] as Extract<LaneOutcome, { op: 'progress' }>).snapshot!) as { configuration: string[] }).configuration).toContain('routing');
  });
});

// Packed batches must mean what the schemas say: every event, packed by the primary and
// parsed by the backup, comes back as the event the schema gives back for it; a packed
// array with any field removed, of another type, out of range or extra is taken only when
// the schema takes the event object it stands for, with the same values, and otherwise
// rejected with a reason; a termination's released interaction comes through beside it;
// a malformed envelope or array is rejected cleanly.
import { describe, expect, it } from 'vitest';
import { packEvent, unpackEvents } from '../../../runtime/ha/sync/packed-batch.ts';
import { parseFrame, SyncEventSchema, type SyncEvent } from '../../../runtime/ha/sync/sync-protocol.ts';

const valid: SyncEvent[] = [
  { type: 'session-created', at: 1.5, session: { sessionId: 's', src: 'a.scxml', createdAt: 2, persisted: false } },
  { type: 'session-created', at: 1764766000123.457, session: { sessionId: 's', interactionId: 'c', src: '', params: { caller: '555', nested: { a: [1] } }, createdAt: 2, persisted: true } },
  { type: 'session-created', at: 1, session: { sessionId: 's', interactionId: 'c', src: 'a', createdAt: 2, persisted: true, persistedVersion: 3, snapshot: { x: 1 }, snapshotVersion: 4 } },
  { type: 'session-terminated', at: 1, sessionId: 's' },
  { type: 'session-terminated', at: 1, sessionId: 's', interactionId: 'c' },
  { type: 'treatment-started', at: 1, treatment: { sessionId: 's', treatmentId: 't', kind: 'playsound', startedAt: 1 } },
  { type: 'treatment-ended', at: 1, sessionId: 's', treatmentId: 't' },
  { type: 'session-persisted', at: 1, sessionId: 's', version: 0 },
  { type: 'session-snapshot', at: 1, sessionId: 's', version: 2, snapshot: null },
  { type: 'interaction-event', at: 1, interactionId: 'c', event: { name: 'interaction.added', at: 1, data: { a: 1 } } },
];

const replacements: unknown[] = [undefined, null, true, false, 0, -1, 1.5, 2 ** 53, '', 'x', 'x'.repeat(513), 'x'.repeat(64 * 1024 + 1), {}, [], [1], JSON.parse('{"__proto__":{"a":1}}'), 'session-created'];

/** What the backup receives for these events: the packed frame's JSON, parsed. */
function received(events: SyncEvent[]): unknown {
  return JSON.parse(JSON.stringify({ v: 1, type: 'packed', epoch: 3, seq: 7, events: events.map((event) => packEvent(event)) }));
}

const nothingReleased = (events: unknown[]) => events.map(() => undefined);

/** The event object a packed array stands for (null: field absent), as the object form would carry it. */
function standsFor(row: unknown[]): unknown {
  const present = (key: string, value: unknown) => (value === null || value === undefined ? {} : { [key]: value });
  if (row[0] === 1) {
    const [, at, sessionId, interactionId, src, createdAt, persisted, params] = row;
    return { type: 'session-created', at, session: { sessionId, ...present('interactionId', interactionId), src, ...present('params', params), createdAt, persisted } };
  }
  const [, at, sessionId, interactionId] = row;
  return { type: 'session-terminated', at, sessionId, ...present('interactionId', interactionId) };
}

/** Each packed array with one position removed, replaced, or one more at the end. */
function mutations(row: unknown[]): unknown[][] {
  const out: unknown[][] = [[...row, 1]];
  for (let position = 0; position < row.length; position++) {
    out.push(row.filter((_, i) => i !== position));
    for (const replacement of replacements) out.push(row.map((value, i) => (i === position ? structuredClone(replacement) : value)));
  }
  return out;
}

describe('packed batches', () => {
  it('packs creations and terminations as arrays, anything else (and a creation with a snapshot) as its object', () => {
    const packed = valid.map((event) => packEvent(event));
    expect(packed.map(Array.isArray)).toEqual([true, true, false, true, true, false, false, false, false, false]);
    expect(JSON.stringify(packed[1]).length).toBeLessThan(JSON.stringify(valid[1]).length * 0.7);
  });

  it('gives back every event as the schema does, alone and all in one frame', () => {
    for (const event of valid) {
      const parsed = parseFrame(received([event]));
        expect(parsed, JSON.stringify(event)).toStrictEqual({ ok: true, frame: { v: 1, type: 'batch', epoch: 3, seq: 7, events: [SyncEventSchema.parse(event)] }, released: [undefined] });
    }
    expect(parseFrame(received(valid))).toStrictEqual({ ok: true, frame: { v: 1, type: 'batch', epoch: 3, seq: 7, events: valid.map((e) => SyncEventSchema.parse(e)) }, released: nothingReleased(valid) });
  });

  it('takes a mutated packed array exactly when the schema takes the event it stands for, with the same values', () => {
    let refused = 0;
    let taken = 0;
    for (const event of valid) {
      const row = packEvent(event);
      if (!Array.isArray(row)) continue;
      for (const mutated of mutations(row)) {
        const wire = JSON.parse(JSON.stringify([mutated])) as unknown[];
        const unpacked = unpackEvents(wire);
        const released = mutated[4];
        const sameForm = (mutated[0] === 1 && mutated.length === 8) || (mutated[0] === 2 && mutated.length === 5 && (released === false || (released === true && mutated[3] !== null)));
        const expected = sameForm ? SyncEventSchema.safeParse(standsFor(wire[0] as unknown[])) : { success: false as const };
        if (expected.success) {
          const interaction = released === true && expected.data.type === 'session-terminated' ? expected.data.interactionId : undefined;
          expect(unpacked, JSON.stringify(mutated)).toStrictEqual({ ok: true, events: [expected.data], released: [interaction] });
          taken++;
        } else {
          expect(unpacked, JSON.stringify(mutated)).toMatchObject({ ok: false, reason: expect.stringMatching(/^events\.0/) });
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(100);
    expect(taken).toBeGreaterThan(10);
  });

  it("names the interaction a termination released, beside the termination, and only with one", () => {
    const termination: SyncEvent = { type: 'session-terminated', at: 1, sessionId: 's' };
    expect(packEvent(termination, 'call-1')).toEqual([2, 1, 's', 'call-1', true]);
    expect(packEvent({ ...termination, interactionId: 'call-1' }, 'call-1')).toEqual([2, 1, 's', 'call-1', true]);
    const wire = JSON.parse(JSON.stringify([packEvent(valid[0]!), packEvent(termination, 'call-1'), packEvent(termination)]));
    expect(unpackEvents(wire)).toStrictEqual({ ok: true, events: [valid[0], { ...termination, interactionId: 'call-1' }, termination], released: [undefined, 'call-1', undefined] });
    expect(unpackEvents([[2, 1, 's', null, true]])).toMatchObject({ ok: false, reason: expect.stringMatching(/released without an interaction/) });
    expect(unpackEvents([[2, 1, 's', 'c', 1]])).toMatchObject({ ok: false });
  });

  it('leaves unusual parameters to zod, which decides as it does for the object', () => {
    const row = [1, 1, 's', null, 'a', 2, false, JSON.parse('{"__proto__":{"polluted":true},"ok":1}')];
    const unpacked = unpackEvents([row]);
    const expected = SyncEventSchema.safeParse(standsFor(row));
    expect(unpacked).toStrictEqual(expected.success ? { ok: true, events: [expected.data], released: [undefined] } : expect.objectContaining({ ok: false }));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects malformed envelopes and arrays of no known form, with a reason', () => {
    const event = packEvent(valid[3]!);
    const bad: unknown[] = [
      { v: 1, type: 'packed', epoch: 3, seq: 7, events: [] },
      { v: 2, type: 'packed', epoch: 3, seq: 7, events: [event] },
      { v: 1, type: 'packed', epoch: -1, seq: 7, events: [event] },
      { v: 1, type: 'packed', epoch: 3, events: [event] },
      { v: 1, type: 'packed', epoch: 3, seq: 7, events: 'x' },
      { v: 1, type: 'packed', epoch: 3, seq: 7, events: [[]] },
      { v: 1, type: 'packed', epoch: 3, seq: 7, events: [[3, 1, 's']] },
      { v: 1, type: 'packed', epoch: 3, seq: 7, events: [[2, 1, 's', null, false], 7] },
      { v: 1, type: 'packed', epoch: 3, seq: 7, events: [[2, 1, 's', null, false], { type: 'session-created' }] },
      { v: 1, type: 'packed', epoch: 3, seq: 7, events: [[2, 1, 's', null]] },
      { v: 1, type: 'packed', epoch: 3, seq: 7, events: [[1, 1, 's', null, 'a', 2, 'no', null]] },
    ];
    for (const frame of bad) expect(parseFrame(frame), JSON.stringify(frame)).toMatchObject({ ok: false, reason: expect.stringMatching(/\S/) });
    expect(parseFrame({ v: 1, type: 'packed', epoch: 3, seq: 7, events: [[7]] })).toMatchObject({ ok: false, reason: expect.stringMatching(/events\.0: not a packed event/) });
  });

  it('strips an unknown envelope key as zod does for any frame', () => {
    const parsed = parseFrame({ ...(received([valid[3]!]) as object), extra: 1 });
    expect(parsed).toStrictEqual({ ok: true, frame: { v: 1, type: 'batch', epoch: 3, seq: 7, events: [valid[3]] }, released: [undefined] });
  });
});

// The backup's fast path for batch frames must never accept what the zod schemas would
// reject or change: for every valid event of every type and for every mutation of one of
// its fields (removed, of another type, out of range, an extra key), a frame the fast path
// takes as it is must be one the schema accepts with exactly those values.
import { describe, expect, it } from 'vitest';
import { exactBatchFrame } from '../../../runtime/ha/sync/exact-batch-frame.ts';
import { parseFrame, SyncFrameSchema } from '../../../runtime/ha/sync/sync-protocol.ts';

const valid: Record<string, unknown>[] = [
  { type: 'session-created', at: 1.5, session: { sessionId: 's', src: 'a.scxml', createdAt: 2, persisted: false } },
  {
    type: 'session-created',
    at: 1,
    session: { sessionId: 's', interactionId: 'c', src: '', params: { caller: '555', nested: { a: [1] } }, createdAt: 2, persisted: true, persistedVersion: 3, snapshot: { x: 1 }, snapshotVersion: 4 },
  },
  { type: 'session-terminated', at: 1, sessionId: 's' },
  { type: 'session-terminated', at: 1, sessionId: 's', interactionId: 'c' },
  { type: 'treatment-started', at: 1, treatment: { sessionId: 's', treatmentId: 't', kind: 'playsound', startedAt: 1 } },
  { type: 'treatment-started', at: 1, treatment: { sessionId: 's', interactionId: 'c', treatmentId: 't', kind: 'playsound', startedAt: 1, expectedEndAt: 9 } },
  { type: 'treatment-ended', at: 1, sessionId: 's', treatmentId: 't' },
  { type: 'session-persisted', at: 1, sessionId: 's', version: 0 },
  { type: 'session-snapshot', at: 1, sessionId: 's', version: 2, snapshot: null },
  { type: 'interaction-event', at: 1, interactionId: 'c', event: { name: 'interaction.added', at: 1 } },
  { type: 'interaction-event', at: 1, interactionId: 'c', event: { name: 'interaction.added', at: 1, data: { a: 1 } } },
];

const replacements: unknown[] = [undefined, null, true, 0, -1, 1.5, 2 ** 53, Infinity, NaN, '', 'x', 'x'.repeat(65), 'x'.repeat(257), 'x'.repeat(513), 'x'.repeat(64 * 1024 + 1), {}, [], [1], JSON.parse('{"__proto__":{"a":1}}'), 'session-created', 'batch'];

const batch = (events: unknown[], envelope: Record<string, unknown> = {}) => ({ v: 1, type: 'batch', epoch: 3, seq: 7, events, ...envelope });

/** Every object path inside `value` (the object itself first). */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return [prefix, ...Object.entries(value).flatMap(([key, inner]) => paths(inner, [...prefix, key]))];
}

/** Copies of `value` with one field at `path` removed, replaced, or an unknown key added beside it. */
function mutations(value: Record<string, unknown>): unknown[] {
  const out: unknown[] = [];
  for (const path of paths(value)) {
    const target = (copy: Record<string, unknown>) => path.reduce((o, key) => o[key] as Record<string, unknown>, copy);
    const keys = Object.keys(target(value));
    for (const key of keys) {
      const removed = structuredClone(value);
      delete target(removed)[key];
      out.push(removed);
      for (const replacement of replacements) {
        const replaced = structuredClone(value);
        target(replaced)[key] = replacement;
        out.push(replaced);
      }
    }
    const extended = structuredClone(value);
    target(extended).unknownKey = 1;
    out.push(extended);
  }
  return out;
}

function expectSound(frame: unknown): boolean {
  const fast = exactBatchFrame(frame);
  if (!fast) return false;
  expect(fast).toBe(frame);
  const checked = SyncFrameSchema.safeParse(frame);
  expect(checked.success, JSON.stringify(frame)).toBe(true);
  expect(checked.data).toStrictEqual(frame);
  return true;
}

describe('exact batch frames', () => {
  it('takes every valid event of every type as it is', () => {
    for (const event of valid) expect(expectSound(batch([event])), JSON.stringify(event)).toBe(true);
    expect(expectSound(batch(valid))).toBe(true);
  });

  it('never takes a mutated event the schema would reject or change', () => {
    let refused = 0;
    for (const event of valid) for (const mutated of mutations(event)) if (!expectSound(batch([event, mutated]))) refused++;
    expect(refused).toBeGreaterThan(500);
  });

  it('never takes a mutated envelope the schema would reject or change', () => {
    const frame = batch([valid[0]]);
    for (const mutated of mutations(frame)) expectSound(mutated);
    expect(exactBatchFrame(batch([]))).toBeUndefined();
    expect(exactBatchFrame(batch([valid[0]], { v: 2 }))).toBeUndefined();
    expect(exactBatchFrame(JSON.parse(JSON.stringify([frame])))).toBeUndefined();
  });

  it('leaves the rest to zod: an unknown key is stripped, an invalid field explained', () => {
    const extra = parseFrame(batch([{ ...valid[2], extra: 1 }]));
    expect(extra).toMatchObject({ ok: true, frame: { events: [valid[2]] } });
    expect(extra.ok && 'extra' in extra.frame).toBe(false);
    expect(parseFrame(batch([{ ...valid[2], sessionId: '' }]))).toMatchObject({ ok: false, reason: expect.stringMatching(/events\.0\.sessionId/) });
  });
});

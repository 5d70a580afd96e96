import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../../runtime/ha/sync/frame-codec.ts';
import { decideFlush, reconnectDelay } from '../../../runtime/ha/sync/sync-batcher.ts';
import { parseSyncKey } from '../../../runtime/ha/sync/sync-key.ts';
import { handshakeMac, macsEqual, parseFrame } from '../../../runtime/ha/sync/sync-protocol.ts';
import type { SyncEvent } from '../../../runtime/ha/sync/sync-protocol.ts';
import { applyFollowedEvent, applySyncEvent, emptySyncState, snapshotOf, stateFromSnapshot } from '../../../runtime/ha/sync/sync-state.ts';

describe('frame codec', () => {
  it('reassembles frames split across and merged into arbitrary chunks', () => {
    const bytes = Buffer.concat([encodeFrame({ a: 1 }), encodeFrame({ b: 'ü' }), encodeFrame([3])]);
    for (const size of [1, 2, 5, 7, bytes.length]) {
      const decoder = new FrameDecoder(1024);
      const frames: unknown[] = [];
      for (let i = 0; i < bytes.length; i += size) {
        const out = decoder.push(bytes.subarray(i, i + size));
        expect(out.ok).toBe(true);
        if (out.ok) frames.push(...out.frames);
      }
      expect(frames).toEqual([{ a: 1 }, { b: 'ü' }, [3]]);
    }
  });

  it('reassembles a frame of megabytes from 64 KiB reads, with the next frame in the last read', () => {
    const big = { snapshot: 'x'.repeat(3 * 1024 * 1024), note: 'ü' };
    const bytes = Buffer.concat([encodeFrame(big), encodeFrame({ after: true })]);
    const decoder = new FrameDecoder(4 * 1024 * 1024);
    const frames: unknown[] = [];
    for (let i = 0; i < bytes.length; i += 64 * 1024) {
      const out = decoder.push(bytes.subarray(i, i + 64 * 1024));
      expect(out.ok).toBe(true);
      if (out.ok) frames.push(...out.frames);
    }
    expect(frames).toEqual([big, { after: true }]);
  });

  it('fails for good on an oversized frame or non-JSON payload', () => {
    const big = new FrameDecoder(10);
    expect(big.push(encodeFrame('x'.repeat(20)))).toMatchObject({ ok: false, reason: expect.stringMatching(/exceeds/) });
    expect(big.push(encodeFrame(1)).ok).toBe(false);
    const garbage = new FrameDecoder(100);
    expect(garbage.push(Buffer.from([0, 0, 0, 3, 0x7b, 0x7b, 0x7b])).ok).toBe(false);
  });
});

describe('sync protocol', () => {
  const key = Buffer.from('0123456789abcdef0123');
  it('binds the MAC to key, direction, node and both challenges', () => {
    const mac = handshakeMac(key, 'backup', 'n0', 'a'.repeat(32), 'b'.repeat(32));
    expect(macsEqual(mac, handshakeMac(key, 'backup', 'n0', 'a'.repeat(32), 'b'.repeat(32)))).toBe(true);
    expect(macsEqual(mac, handshakeMac(key, 'primary', 'n0', 'a'.repeat(32), 'b'.repeat(32)))).toBe(false);
    expect(macsEqual(mac, handshakeMac(key, 'backup', 'n1', 'a'.repeat(32), 'b'.repeat(32)))).toBe(false);
    expect(macsEqual(mac, handshakeMac(Buffer.from('another key of 16+'), 'backup', 'n0', 'a'.repeat(32), 'b'.repeat(32)))).toBe(false);
    expect(macsEqual(mac, 'abcd')).toBe(false);
  });

  it('accepts valid frames and explains invalid ones', () => {
    expect(parseFrame({ v: 1, type: 'ack', seq: 3 }).ok).toBe(true);
    expect(parseFrame({ v: 2, type: 'ack', seq: 3 })).toMatchObject({ ok: false });
    expect(parseFrame({ v: 1, type: 'batch', epoch: 1, seq: 1, events: [] })).toMatchObject({ ok: false, reason: expect.stringMatching(/events/) });
    expect(parseFrame('hello')).toMatchObject({ ok: false });
  });

  it('knows the failsafe probe and confirm frames, and only with a hex nonce', () => {
    expect(parseFrame({ v: 1, type: 'probe', epoch: 3, nonce: 'ab'.repeat(16) })).toMatchObject({ ok: true });
    expect(parseFrame({ v: 1, type: 'confirm', nonce: 'ab'.repeat(16) })).toMatchObject({ ok: true });
    expect(parseFrame({ v: 1, type: 'confirm', nonce: 'not hex' })).toMatchObject({ ok: false });
    expect(parseFrame({ v: 1, type: 'probe', nonce: 'ab'.repeat(16) })).toMatchObject({ ok: false });
  });

  it('refuses short sync keys', () => {
    expect(() => parseSyncKey('short', 'test')).toThrow(/at least 16/);
    expect(parseSyncKey('  sixteen-bytes-key \n', 'test').toString()).toBe('sixteen-bytes-key');
  });
});

describe('sync state', () => {
  it('tracks sessions, treatments and interaction events, and forgets them on termination', () => {
    const state = emptySyncState();
    applySyncEvent(state, { type: 'session-created', at: 1, session: { sessionId: 's1', interactionId: 'c1', src: 'a.scxml', createdAt: 1, persisted: false } });
    applySyncEvent(state, { type: 'interaction-event', at: 2, interactionId: 'c1', event: { name: 'interaction.added', at: 2 } });
    applySyncEvent(state, { type: 'treatment-started', at: 3, treatment: { sessionId: 's1', interactionId: 'c1', treatmentId: 't1', kind: 'playsound', startedAt: 3, expectedEndAt: 10 } });
    applySyncEvent(state, { type: 'session-persisted', at: 4, sessionId: 's1', version: 7 });
    const copy = stateFromSnapshot(JSON.parse(JSON.stringify(snapshotOf(state))));
    expect(copy).toEqual(state);
    expect(state.sessions.get('s1')?.persistedVersion).toBe(7);
    applySyncEvent(state, { type: 'treatment-ended', at: 5, sessionId: 's1', treatmentId: 't1' });
    expect(state.treatments.get('s1')?.size).toBe(0);
    applySyncEvent(state, { type: 'session-terminated', at: 6, sessionId: 's1' });
    expect(state.sessions.size).toBe(0);
    expect(state.interactionEvents.size).toBe(0);
  });

  it('keeps an interaction\'s events while another of its sessions lives, also across a snapshot and a replaced session', () => {
    const state = emptySyncState();
    const created = (sessionId: string, interactionId?: string) =>
      applySyncEvent(state, { type: 'session-created', at: 1, session: { sessionId, ...(interactionId ? { interactionId } : {}), src: 'a.scxml', createdAt: 1, persisted: false } });
    created('s1', 'c1');
    created('s2', 'c1');
    created('s3', 'c2');
    created('s3', 'c3'); // the same session again, now of another interaction
    applySyncEvent(state, { type: 'interaction-event', at: 2, interactionId: 'c1', event: { name: 'interaction.added', at: 2 } });
    applySyncEvent(state, { type: 'interaction-event', at: 2, interactionId: 'c2', event: { name: 'interaction.added', at: 2 } });
    expect(state.sessionsPerInteraction).toEqual(new Map([['c1', 2], ['c3', 1]]));
    const copy = stateFromSnapshot(JSON.parse(JSON.stringify(snapshotOf(state))));
    expect(copy.sessionsPerInteraction).toEqual(state.sessionsPerInteraction);
    for (const replica of [state, copy]) {
      applySyncEvent(replica, { type: 'session-terminated', at: 3, sessionId: 's1' });
      expect(replica.interactionEvents.has('c1')).toBe(true);
      applySyncEvent(replica, { type: 'session-terminated', at: 4, sessionId: 's2' });
      expect(replica.interactionEvents.has('c1')).toBe(false);
      // c2 lost its only session when s3 moved to c3: its events go with the next termination naming it.
      applySyncEvent(replica, { type: 'session-terminated', at: 5, sessionId: 'gone', interactionId: 'c2' });
      expect(replica.interactionEvents.has('c2')).toBe(false);
      applySyncEvent(replica, { type: 'session-terminated', at: 6, sessionId: 's3' });
      expect(replica.sessionsPerInteraction.size).toBe(0);
      expect(replica.sessions.size).toBe(0);
    }
  });
});

describe('a replica that follows packed batches', () => {
  /** A deterministic mix of every kind of change over a few sessions and interactions (some sessions share one, some move). */
  function changes(count: number): SyncEvent[] {
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const events: SyncEvent[] = [];
    for (let i = 0; i < count; i++) {
      const sessionId = `s${random(12)}`;
      const interactionId = random(5) === 0 ? undefined : `c${random(6)}`;
      switch (random(7)) {
        case 0:
        case 1:
          events.push({ type: 'session-created', at: i, session: { sessionId, ...(interactionId ? { interactionId } : {}), src: 'a.scxml', createdAt: i, persisted: false } });
          break;
        case 2:
          events.push({ type: 'session-terminated', at: i, sessionId, ...(random(2) ? { interactionId: `c${random(6)}` } : {}) });
          break;
        case 3:
          events.push({ type: 'interaction-event', at: i, interactionId: `c${random(6)}`, event: { name: 'e', at: i } });
          break;
        case 4:
          events.push({ type: 'treatment-started', at: i, treatment: { sessionId, treatmentId: `t${random(3)}`, kind: 'playsound', startedAt: i } });
          break;
        case 5:
          events.push({ type: 'treatment-ended', at: i, sessionId, treatmentId: `t${random(3)}` });
          break;
        default:
          events.push({ type: 'session-persisted', at: i, sessionId, version: i });
      }
    }
    return events;
  }

  it('ends where the counting replica ends, told by the primary which interactions terminations released', () => {
    const primary = emptySyncState();
    const start = changes(40);
    for (const event of start) applySyncEvent(primary, event);
    const counting = stateFromSnapshot(JSON.parse(JSON.stringify(snapshotOf(primary))));
    const following = stateFromSnapshot(JSON.parse(JSON.stringify(snapshotOf(primary))), false);
    expect(following.sessionsPerInteraction.size).toBe(0);
    let releases = 0;
    for (const event of changes(3000)) {
      const released = applySyncEvent(primary, event);
      if (released && following.interactionEvents.has(released)) releases++;
      applySyncEvent(counting, event);
      applyFollowedEvent(following, event, released);
      expect(following.sessions).toEqual(counting.sessions);
      expect(following.interactionEvents).toEqual(counting.interactionEvents);
      expect([...following.treatments].filter(([, t]) => t.size > 0)).toEqual([...counting.treatments].filter(([, t]) => t.size > 0));
    }
    expect(counting.sessions).toEqual(primary.sessions);
    expect(releases).toBeGreaterThan(20);
    expect(following.sessionsPerInteraction.size).toBe(0);
  });
});

describe('batching policy', () => {
  const limits = { maxBufferBytes: 100, maxAgeMs: 1000 };
  it('flushes at once when the link is idle', () => {
    expect(decideFlush({ bytes: 1, oldestAt: 0, linkBusy: false }, limits, 0)).toEqual({ flush: true });
  });
  it('while busy, waits until the buffer is full or old enough', () => {
    expect(decideFlush({ bytes: 50, oldestAt: 0, linkBusy: true }, limits, 300)).toEqual({ flush: false, recheckInMs: 700 });
    expect(decideFlush({ bytes: 100, oldestAt: 0, linkBusy: true }, limits, 300)).toEqual({ flush: true });
    expect(decideFlush({ bytes: 50, oldestAt: 0, linkBusy: true }, limits, 1000)).toEqual({ flush: true });
  });
  it('has nothing to do when empty', () => {
    expect(decideFlush({ bytes: 0, oldestAt: undefined, linkBusy: false }, limits, 0)).toEqual({ flush: false, recheckInMs: undefined });
  });
  it('backs off exponentially up to a cap', () => {
    expect(reconnectDelay(0, 100, 5000, 0)).toBe(100);
    expect(reconnectDelay(3, 100, 5000, 0)).toBe(800);
    expect(reconnectDelay(20, 100, 5000, 0)).toBe(5000);
    expect(reconnectDelay(20, 100, 5000, 1)).toBe(6000);
  });
});

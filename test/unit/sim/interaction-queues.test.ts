import { describe, expect, it } from 'vitest';
import { InteractionQueues } from '../../../runtime/sim/interaction-queues.ts';

const queues = [{ name: 'chat', strategy: 'chat.scxml' }, { name: 'email', strategy: 'email.scxml' }];

describe('interaction queues', () => {
  it('hands out the oldest interactions across the asked queues, each once', () => {
    const q = new InteractionQueues(queues, { expiryEnabled: false, leaseMs: 1000 });
    const a = q.enqueue('chat'), b = q.enqueue('email'), c = q.enqueue('chat');
    const first = q.pull('n0', ['chat', 'email'], 2, 0);
    expect(first.map((i) => i.interactionId)).toEqual([a, b]);
    expect(first[1]).toMatchObject({ queue: 'email', strategy: 'email.scxml', mediaType: 'chat' });
    expect(q.pull('n1', ['email'], 5, 0)).toEqual([]);
    expect(q.pull('n1', ['chat', 'email'], 5, 0).map((i) => i.interactionId)).toEqual([c]);
    expect(q.counts()).toEqual({ waiting: 0, inProgress: 3 });
  });

  it('only the owning node completes; completing again is an idempotent repeat for it and refused for others', () => {
    const q = new InteractionQueues(queues, { expiryEnabled: false, leaseMs: 1000 });
    const id = q.enqueue('chat');
    expect(q.complete('n0', id)).toMatchObject({ ok: false, code: 'unknown-interaction' });
    q.pull('n0', ['chat'], 1, 0);
    expect(q.complete('n1', id)).toMatchObject({ ok: false, code: 'not-owner' });
    expect(q.complete('n0', id)).toEqual({ ok: true, repeated: false });
    expect(q.complete('n0', id)).toEqual({ ok: true, repeated: true });
    expect(q.complete('n1', id)).toMatchObject({ ok: false, code: 'not-owner' });
    expect(q.counts()).toEqual({ waiting: 0, inProgress: 0 });
    expect(() => q.enqueue('chat', { interactionId: id })).toThrow(/already exists/);
  });

  it('lists what a node holds, for its new primary after a switchover', () => {
    const q = new InteractionQueues(queues, { expiryEnabled: false, leaseMs: 1000 });
    const a = q.enqueue('chat', { data: { workMs: 5 } }), b = q.enqueue('email'), c = q.enqueue('chat');
    q.pull('n0', ['chat', 'email'], 2, 0);
    q.pull('n1', ['chat'], 1, 0);
    expect(q.heldBy('n0').map((i) => [i.interactionId, i.strategy, i.data])).toEqual([[a, 'chat.scxml', { workMs: 5 }], [b, 'email.scxml', {}]]);
    q.complete('n0', a);
    expect(q.heldBy('n0').map((i) => i.interactionId)).toEqual([b]);
    expect(q.heldBy('n1').map((i) => i.interactionId)).toEqual([c]);
    expect(q.heldBy('n2')).toEqual([]);
  });

  it('without lease expiry (the default) a pulled interaction never returns', () => {
    const q = new InteractionQueues(queues, { expiryEnabled: false, leaseMs: 10 });
    q.enqueue('chat');
    const [i] = q.pull('n0', ['chat'], 1, 0);
    expect(i!.leaseExpiresAt).toBeUndefined();
    expect(q.expire(1e12)).toEqual([]);
    expect(q.ownerOf(i!.interactionId)).toBe('n0');
  });

  it('with lease expiry, an unrenewed interaction returns to its queue; a renewed one stays', () => {
    const q = new InteractionQueues(queues, { expiryEnabled: true, leaseMs: 100 });
    const kept = q.enqueue('chat'), lapsed = q.enqueue('chat');
    q.pull('n0', ['chat'], 2, 0);
    expect(q.renew('n0', [kept], 80)).toEqual({ renewed: [{ interactionId: kept, leaseExpiresAt: 180 }], lost: [] });
    expect(q.expire(100)).toEqual([{ interactionId: lapsed, queue: 'chat', previousOwner: 'n0' }]);
    expect(q.renew('n0', [lapsed], 101)).toEqual({ renewed: [], lost: [lapsed] });
    expect(q.pull('n1', ['chat'], 5, 101).map((i) => i.interactionId)).toEqual([lapsed]);
  });

  it('stop-processing closes the interaction or places it into another queue', () => {
    const q = new InteractionQueues(queues, { expiryEnabled: false, leaseMs: 1000 });
    const a = q.enqueue('chat'), b = q.enqueue('chat');
    q.pull('n0', ['chat'], 2, 0);
    expect(q.stopProcessing('n0', a, undefined)).toEqual({ ok: true });
    expect(q.stopProcessing('n0', b, 'nope')).toMatchObject({ ok: false, code: 'invalid' });
    expect(q.stopProcessing('n0', b, 'email')).toEqual({ ok: true });
    expect(q.pull('n1', ['email'], 5, 0)).toMatchObject([{ interactionId: b, queue: 'email', strategy: 'email.scxml' }]);
  });

  it('refuses unknown queues and duplicate ids', () => {
    const q = new InteractionQueues(queues, { expiryEnabled: false, leaseMs: 1000 });
    expect(() => q.enqueue('sms')).toThrow(/unknown queue/);
    q.enqueue('chat', { interactionId: 'x' });
    expect(() => q.enqueue('email', { interactionId: 'x' })).toThrow(/already exists/);
  });
});

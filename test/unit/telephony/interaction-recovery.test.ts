import { describe, expect, it } from 'vitest';
import { planRecoveredInteractions } from '../../../runtime/telephony/recovered-interactions.ts';
import { isTransientFailure, PendingCompletions } from '../../../runtime/telephony/pending-completions.ts';
import type { Interaction } from '../../../runtime/telephony/multimedia-messages.ts';

const interaction = (interactionId: string): Interaction => ({ interactionId, queue: 'chat', strategy: 'chat.scxml', mediaType: 'chat', data: {} });

describe('taking over what a node holds after a switchover', () => {
  it('binds recovered sessions, completes those that already ended, starts over the ones with no session, skips what is already mine', () => {
    const steps = planRecoveredInteractions({
      held: ['i-live', 'i-ended', 'i-orphan', 'i-mine'].map(interaction),
      recovered: [
        { sessionId: 's-live', interactionId: 'i-live' },
        { sessionId: 's-ended', interactionId: 'i-ended' },
        { sessionId: 's-voice', interactionId: 'call-7' }, // a voice session: not an interaction the server knows
        { sessionId: 's-http' }, // an HTTP-started session
      ],
      alreadyMine: (id) => id === 'i-mine',
      isAlive: (sessionId) => sessionId !== 's-ended',
    });
    expect(steps.map((s) => [s.kind, s.interaction.interactionId, 'sessionId' in s ? s.sessionId : undefined])).toEqual([
      ['bind', 'i-live', 's-live'],
      ['complete', 'i-ended', 's-ended'],
      ['restart', 'i-orphan', undefined],
    ]);
  });

  it('nothing held: nothing to do, whatever was recovered', () => {
    expect(planRecoveredInteractions({ held: [], recovered: [{ sessionId: 's', interactionId: 'i' }], alreadyMine: () => false, isAlive: () => true })).toEqual([]);
  });
});

describe('pending completions', () => {
  it('keeps a completion until it is settled; a transport failure makes it due again', () => {
    const p = new PendingCompletions();
    p.add('i1', 's1');
    p.add('i2', 's2');
    p.add('i1', 's1'); // the same end reported twice is one completion
    expect(p.takeDue().map((c) => c.interactionId)).toEqual(['i1', 'i2']);
    expect(p.takeDue()).toEqual([]); // both on the wire
    p.retryLater('i1');
    const again = p.takeDue();
    expect(again).toMatchObject([{ interactionId: 'i1', attempts: 2 }]);
    expect(p.settle('i1')).toMatchObject({ sessionId: 's1' });
    expect(p.has('i1')).toBe(false);
    expect(p.size).toBe(1);
    p.settle('i2');
    expect(p.size).toBe(0);
  });

  it('retries only failures after which the completion may not have arrived', () => {
    expect(isTransientFailure('disconnected')).toBe(true);
    expect(isTransientFailure('timeout')).toBe(true);
    expect(isTransientFailure('not-owner')).toBe(false);
    expect(isTransientFailure('unknown-interaction')).toBe(false);
  });
});

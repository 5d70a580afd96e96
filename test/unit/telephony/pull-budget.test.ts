import { describe, expect, it } from 'vitest';
import { nextPullDelay, pullBudget } from '../../../runtime/telephony/pull-budget.ts';
import { reconnectDelay } from '../../../runtime/telephony/reconnect-backoff.ts';

describe('pull budget', () => {
  it('is the free capacity, capped per pull', () => {
    expect(pullBudget({ maxSessions: 100, liveSessions: 10, pendingPulls: 0, maxPerPull: 8 })).toBe(8);
    expect(pullBudget({ maxSessions: 100, liveSessions: 95, pendingPulls: 0, maxPerPull: 8 })).toBe(5);
    expect(pullBudget({ maxSessions: 100, liveSessions: 95, pendingPulls: 3, maxPerPull: 8 })).toBe(2);
  });

  it('is zero when full or over-full', () => {
    expect(pullBudget({ maxSessions: 10, liveSessions: 10, pendingPulls: 0, maxPerPull: 8 })).toBe(0);
    expect(pullBudget({ maxSessions: 10, liveSessions: 12, pendingPulls: 0, maxPerPull: 8 })).toBe(0);
  });

  it('over a simulated run, a node with twice the capacity takes about twice the work', () => {
    // Two nodes pull in turns from one queue; each interaction lasts 4 ticks.
    const nodes = [{ max: 10, live: [] as number[], done: 0 }, { max: 20, live: [] as number[], done: 0 }];
    let waiting = 3000;
    for (let tick = 0; waiting > 0 || nodes.some((n) => n.live.length); tick++) {
      for (const n of nodes) {
        const finished = n.live.filter((t) => t <= tick).length;
        n.done += finished;
        n.live = n.live.filter((t) => t > tick);
        const take = Math.min(waiting, pullBudget({ maxSessions: n.max, liveSessions: n.live.length, pendingPulls: 0, maxPerPull: 8 }));
        waiting -= take;
        for (let i = 0; i < take; i++) n.live.push(tick + 4);
      }
    }
    expect(nodes[0]!.done + nodes[1]!.done).toBe(3000);
    expect(nodes[1]!.done / nodes[0]!.done).toBeGreaterThan(1.7);
    expect(nodes[1]!.done / nodes[0]!.done).toBeLessThan(2.3);
  });

  it('pulls again at once while pulls come back full, else waits', () => {
    expect(nextPullDelay({ budget: 5, lastAsked: undefined, lastPulled: undefined, idlePollMs: 100 })).toBe(0);
    expect(nextPullDelay({ budget: 5, lastAsked: 8, lastPulled: 8, idlePollMs: 100 })).toBe(0);
    expect(nextPullDelay({ budget: 5, lastAsked: 8, lastPulled: 2, idlePollMs: 100 })).toBe(100);
    expect(nextPullDelay({ budget: 0, lastAsked: 8, lastPulled: 8, idlePollMs: 100 })).toBeUndefined();
  });
});

describe('reconnect backoff', () => {
  it('doubles from the initial delay up to the cap, with jitter between half and all', () => {
    const low = (a: number) => reconnectDelay(a, { initialMs: 100, maxMs: 5000, random: () => 0 });
    const high = (a: number) => reconnectDelay(a, { initialMs: 100, maxMs: 5000, random: () => 0.999999 });
    expect([low(0), low(1), low(2), low(10)]).toEqual([50, 100, 200, 2500]);
    expect([high(0), high(1), high(2), high(10), high(1000)]).toEqual([100, 200, 400, 5000, 5000]);
  });
});

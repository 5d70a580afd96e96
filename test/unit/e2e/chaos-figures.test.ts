// The chaos run's figures: the call tally read back from the simulator, and the report.
import { describe, expect, it } from 'vitest';
import { chaosReport } from '../../e2e/chaos/chaos-report.ts';
import { tallyCalls, type CallFigures, type SimCallInfo } from '../../e2e/chaos/call-load.ts';

const call = (callId: string, events: [string, number, string?][], state = 'released'): SimCallInfo => ({
  callId,
  state,
  events: events.map(([type, at, nodeId]) => ({ type, at, ...(nodeId ? { nodeId } : {}) })),
});
const assigned = (nodes: Record<string, string>) => (c: SimCallInfo) => nodes[c.callId]!;

describe('tallyCalls', () => {
  it('counts offered, routed and abandoned calls; a call without call.routed is never routed', () => {
    const figures = tallyCalls(
      [
        call('c1', [['call.ringing', 100], ['call.session-attached', 110, 'node-0'], ['call.routed', 400], ['call.released', 900]]),
        call('c2', [['call.ringing', 200], ['call.abandoned', 90_200], ['call.released', 90_200]]),
        call('c3', [['call.ringing', 300], ['call.session-attached', 310, 'node-1']], 'ringing'),
        { callId: 'offer-7', error: 'POST /calls: 400 unknown routing point' },
      ],
      [],
      assigned({ c1: 'node-0', c2: 'node-1', c3: 'node-1' }),
    );
    expect(figures).toMatchObject({ offered: 4, routed: 1, abandoned: 1, neverRouted: 3, caughtByPrimaryFault: 0 });
    expect(figures.failures).toEqual([
      'c2 (released, assigned node-1, rang 1970-01-01T00:00:00.200Z): call.ringing call.abandoned+90000ms call.released+90000ms',
      'c3 (ringing, assigned node-1, rang 1970-01-01T00:00:00.300Z): call.ringing call.session-attached@node-1+10ms',
      'offer-7: POST /calls: 400 unknown routing point',
    ]);
  });

  it('a call is caught by a primary fault on its assigned node between ringing and routing, not before or after, not on another node', () => {
    const calls = [
      call('during', [['call.ringing', 1000], ['call.routed', 5000]]),
      call('before', [['call.ringing', 4000], ['call.routed', 4500]]),
      call('after', [['call.ringing', 500], ['call.routed', 900]]),
      call('other-node', [['call.ringing', 1000], ['call.routed', 5000]]),
      call('never', [['call.ringing', 1000]], 'ringing'),
    ];
    const figures = tallyCalls(calls, [{ node: 'node-0', at: 3000 }], assigned({ during: 'node-0', before: 'node-0', after: 'node-0', 'other-node': 'node-1', never: 'node-0' }));
    expect(figures.caughtByPrimaryFault).toBe(2);
    expect(figures.caughtByPrimaryFaultRouted).toBe(1);
    expect(figures.neverRouted).toBe(1);
  });
});

describe('the chaos report', () => {
  const calls: CallFigures = { offered: 40, routed: 39, abandoned: 0, neverRouted: 1, caughtByPrimaryFault: 6, caughtByPrimaryFaultRouted: 5, failures: ['c9 (ringing, assigned node-1): call.ringing'] };

  it('prints the figures the issue asks for', () => {
    const text = chaosReport({
      seconds: 10,
      load: { sessionsStarted: 20, requests: 500, retried: 3, failed: 0, lost: 0, rolledBack: 1, failures: [] },
      calls,
      faults: { 'kill-primary': 2, 'cut-sync': 1 },
      doublePrimaries: [],
      staleEpochServing: [],
      monitorRounds: 90,
    });
    expect(text).toContain('load held: 2.0 sessions/s started, 50.0 requests/s (3 needed a retry), 4.0 calls/s offered, 3.9 calls/s routed');
    expect(text).toContain('faults injected: 3 (kill-primary 2, cut-sync 1)');
    expect(text).toContain('sessions lost: 0');
    expect(text).toContain('calls: offered 40, routed 39, abandoned 0; waiting on a node when its primary was killed, frozen or fenced: 6 (5 of them routed)');
    expect(text).toContain('calls never routed: 1\n    c9 (ringing, assigned node-1): call.ringing');
    expect(text).toContain('moments with two serving primaries of one node: 0');
    expect(text).toContain('client requests that never got a correct answer: 0');
    expect(text.startsWith('chaos: 10 s\n')).toBe(true);
  });

  it('names the phase without faults that measures the same load', () => {
    const text = chaosReport({
      title: 'without faults',
      seconds: 20,
      load: { sessionsStarted: 1000, requests: 10_000, retried: 0, failed: 0, lost: 0, rolledBack: 0, failures: [] },
      calls: { ...calls, offered: 400, routed: 400, neverRouted: 0, failures: [] },
      faults: {},
      doublePrimaries: [],
      staleEpochServing: [],
      monitorRounds: 200,
    });
    expect(text).toContain('without faults: 20 s\n');
    expect(text).toContain('load held: 50.0 sessions/s started, 500.0 requests/s (0 needed a retry), 20.0 calls/s offered, 20.0 calls/s routed');
    expect(text).toContain('faults injected: 0 ()');
  });
});

import { describe, expect, it } from 'vitest';
import { decideReroute } from '../../../runtime/telephony/reroute-policy.ts';
import { placementKey } from '../../../runtime/telephony/call-key.ts';
import { placeCall } from '../../../runtime/telephony/rendezvous.ts';

describe('new-session-on-reroute', () => {
  const ranking = ['n2', 'n0', 'n1'];

  it('false (ORS default): the owning node keeps its live session', () => {
    expect(decideReroute({ newSessionOnReroute: false, selfNodeId: 'n0', previousOwnerNodeId: 'n0', previousSessionAliveHere: true, ranking })).toEqual({
      action: 'keep-existing-session',
    });
  });

  it('false: other nodes put the owner first, so they only watch while it is up', () => {
    expect(decideReroute({ newSessionOnReroute: false, selfNodeId: 'n2', previousOwnerNodeId: 'n0', previousSessionAliveHere: false, ranking })).toEqual({
      action: 'place',
      ranking: ['n0', 'n2', 'n1'],
    });
  });

  it('false: the owner creates a new session when its previous one has ended', () => {
    const d = decideReroute({ newSessionOnReroute: false, selfNodeId: 'n0', previousOwnerNodeId: 'n0', previousSessionAliveHere: false, ranking });
    expect(d).toEqual({ action: 'place', ranking: ['n0', 'n2', 'n1'] });
  });

  it('true: a new session by the normal placement, even when the old one is alive', () => {
    expect(decideReroute({ newSessionOnReroute: true, selfNodeId: 'n0', previousOwnerNodeId: 'n0', previousSessionAliveHere: true, ranking })).toEqual({
      action: 'place',
      ranking,
    });
  });

  it('an owner that left the cluster is dropped from the ranking', () => {
    expect(decideReroute({ newSessionOnReroute: false, selfNodeId: 'n1', previousOwnerNodeId: 'gone', previousSessionAliveHere: false, ranking })).toEqual({
      action: 'place',
      ranking,
    });
  });
});

describe('same-node-for-cons-prim-calls', () => {
  const nodes = ['n0', 'n1', 'n2'];

  it('true: a consult call lands on its primary call’s node, for every pair', () => {
    for (let i = 0; i < 300; i++) {
      const primary = { callId: `p-${i}` };
      const consult = { callId: `c-${i}`, callType: 'consult' as const, primaryCallId: `p-${i}` };
      expect(placeCall(placementKey(consult, true), nodes).assigned).toBe(placeCall(placementKey(primary, true), nodes).assigned);
    }
  });

  it('false: a consult call is placed by its own id (so some land elsewhere)', () => {
    let elsewhere = 0;
    for (let i = 0; i < 300; i++) {
      const consult = { callId: `c-${i}`, callType: 'consult' as const, primaryCallId: `p-${i}` };
      if (placeCall(placementKey(consult, false), nodes).assigned !== placeCall(`p-${i}`, nodes).assigned) elsewhere++;
    }
    expect(elsewhere).toBeGreaterThan(150);
  });

  it('only consult calls with a primary call are affected', () => {
    expect(placementKey({ callId: 'x', callType: 'inbound', primaryCallId: 'p' }, true)).toBe('x');
    expect(placementKey({ callId: 'x', callType: 'consult' }, true)).toBe('x');
  });
});

import { describe, expect, it } from 'vitest';
import { placeCall, rankNodes } from '../../../runtime/telephony/rendezvous.ts';

const callIds = (n: number, prefix = 'call') => Array.from({ length: n }, (_, i) => `${prefix}-${i}-${(i * 2654435761) >>> 0}`);

function spread(ids: string[], nodes: string[], pick: 'assigned' | 'reserved'): Map<string, number> {
  const counts = new Map(nodes.map((n) => [n, 0]));
  for (const id of ids) {
    const p = placeCall(id, nodes);
    const node = pick === 'assigned' ? p.assigned : p.reserved!;
    counts.set(node, counts.get(node)! + 1);
  }
  return counts;
}

describe('rendezvous placement of calls over nodes', () => {
  it('spreads 3,000 calls across 3 nodes within a few percent of uniform, for assigned and reserved', () => {
    const ids = callIds(3000);
    const nodes = ['node-0', 'node-1', 'node-2'];
    for (const pick of ['assigned', 'reserved'] as const) {
      const counts = spread(ids, nodes, pick);
      for (const [, n] of counts) {
        // 1,000 expected; a binomial standard deviation is ~26, so 5% (50) is ~2 sigma.
        expect(Math.abs(n - 1000) / 1000).toBeLessThan(0.06);
      }
      expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(3000);
    }
  });

  it('is within 4 standard deviations of uniform over 30,000 calls and 5 nodes', () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'];
    const counts = spread(callIds(30000), nodes, 'assigned');
    // A fair 5-way split of 30,000 has a standard deviation of sqrt(30000 * 0.2 * 0.8) ~ 69.
    for (const n of counts.values()) expect(Math.abs(n - 6000)).toBeLessThan(4 * 69);
  });

  it('never reserves the assigned node, and spreads a node’s calls’ reserved node over the others', () => {
    const nodes = ['node-0', 'node-1', 'node-2'];
    const reservedForNode0 = new Map<string, number>();
    for (const id of callIds(3000)) {
      const p = placeCall(id, nodes);
      expect(p.reserved).not.toBe(p.assigned);
      expect(new Set(p.ranking).size).toBe(3);
      if (p.assigned === 'node-0') reservedForNode0.set(p.reserved!, (reservedForNode0.get(p.reserved!) ?? 0) + 1);
    }
    const [a, b] = [reservedForNode0.get('node-1')!, reservedForNode0.get('node-2')!];
    // When node-0 fails its calls split evenly between the survivors.
    expect(Math.abs(a - b) / (a + b)).toBeLessThan(0.1);
  });

  it('moves only the calls the new node takes when a node is added (about 1/N)', () => {
    const ids = callIds(3000);
    const before = ['node-0', 'node-1', 'node-2'];
    const after = [...before, 'node-3'];
    let moved = 0;
    for (const id of ids) {
      const a = placeCall(id, before).assigned;
      const b = placeCall(id, after).assigned;
      if (a !== b) {
        moved++;
        expect(b).toBe('node-3');
      }
    }
    expect(moved / ids.length).toBeGreaterThan(0.2);
    expect(moved / ids.length).toBeLessThan(0.3);
  });

  it('moves only the removed node’s calls when a node is removed, each to its former reserved node', () => {
    const ids = callIds(3000);
    const before = ['node-0', 'node-1', 'node-2'];
    const after = ['node-0', 'node-2'];
    let moved = 0;
    for (const id of ids) {
      const p = placeCall(id, before);
      const q = placeCall(id, after);
      if (p.assigned === 'node-1') {
        moved++;
        expect(q.assigned).toBe(p.reserved);
      } else {
        expect(q.assigned).toBe(p.assigned);
      }
    }
    expect(moved / ids.length).toBeGreaterThan(0.28);
    expect(moved / ids.length).toBeLessThan(0.39);
  });

  it('is deterministic and independent of the order of node ids', () => {
    expect(rankNodes('call-42', ['x', 'y', 'z'])).toEqual(rankNodes('call-42', ['z', 'x', 'y']));
    expect(placeCall('call-42', ['x', 'y', 'z'])).toEqual(placeCall('call-42', ['x', 'y', 'z']));
  });

  it('has no reserved node in a one-node cluster and refuses an empty one', () => {
    expect(placeCall('c', ['only'])).toEqual({ assigned: 'only', reserved: undefined, ranking: ['only'] });
    expect(() => placeCall('c', [])).toThrow(/no nodes/);
  });
});

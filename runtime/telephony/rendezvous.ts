// Which node handles a call: rendezvous (highest-random-weight) hashing of the call id
// over the cluster's node ids. Every process computes the same ranking without talking
// to the others; adding or removing a node only moves the calls that rank it first
// (about 1/N of them), unlike `hash mod N`, which moves almost all.
import { createHash } from 'node:crypto';

/** A 52-bit weight for (node, key): uniform, and independent across nodes. */
export function rendezvousWeight(nodeId: string, key: string): number {
  const digest = createHash('sha256').update(nodeId).update('\u0000').update(key).digest();
  // 6 bytes + 4 bits = 52 bits: the most a double holds exactly.
  return digest.readUIntBE(0, 6) * 16 + (digest[6]! >> 4);
}

/** The node ids ranked for a key, best first; ties (never seen in practice) by node id. */
export function rankNodes(key: string, nodeIds: readonly string[]): string[] {
  const unique = [...new Set(nodeIds)];
  const weighted = unique.map((nodeId) => ({ nodeId, weight: rendezvousWeight(nodeId, key) }));
  weighted.sort((a, b) => b.weight - a.weight || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  return weighted.map((w) => w.nodeId);
}

export interface CallPlacement {
  /** The node whose primary creates the session. */
  assigned: string;
  /** The node that creates it when the assigned node does not (undefined with one node). */
  reserved: string | undefined;
  /** Every node, best first: `ranking[0]` is assigned, `ranking[1]` reserved. */
  ranking: string[];
}

export function placeCall(key: string, nodeIds: readonly string[]): CallPlacement {
  if (nodeIds.length === 0) throw new Error('placeCall: the cluster has no nodes');
  const ranking = rankNodes(key, nodeIds);
  return { assigned: ranking[0]!, reserved: ranking[1], ranking };
}

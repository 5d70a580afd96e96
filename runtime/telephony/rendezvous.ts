// Which node handles a call: rendezvous (highest-random-weight) hashing of the call id
// over the cluster's node ids. Every process computes the same ranking without talking
// to the others; adding or removing a node only moves the calls that rank it first
// (about 1/N of them), unlike `hash mod N`, which moves almost all.
/** murmur3's 32-bit finaliser: spreads every input bit over the whole word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units of `text`, continuing from `h`. */
function fnv1a(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A 52-bit weight for (node, key): uniform, and independent across nodes. Two 32-bit
 * FNV-1a lanes with different seeds, each finalised with murmur3's mixer (FNV alone
 * correlates for keys that differ in their last characters, like `call-1`, `call-2`).
 * A hash function, not a cryptographic one: several times faster than SHA-256, which
 * matters because every process ranks every call.
 */
export function rendezvousWeight(nodeId: string, key: string): number {
  const high = fmix32(fnv1a(fnv1a(0x811c9dc5, nodeId) ^ 0xff, key));
  const low = fmix32(fnv1a(fnv1a(0x01000193 ^ 0x5bd1e995, key) ^ 0xff, nodeId) ^ high);
  return (high & 0xfffff) * 0x100000000 + low;
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

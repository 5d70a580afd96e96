// Session ids embed the owning node (`sessionid-with-nodeid`), so any node can tell the
// owner from the id alone. Format: `<20 lowercase base32 chars>.<node-id>`, e.g.
// `k3v9q0c2m8d1x7b4a6ze.node-1`: the ORSSESSIONID cookie carries the id, and Apache's
// mod_proxy_balancer takes the route from the part of that value after its first "."
// (`route=node-1` in the load-balancing guide's config), so the node id goes last and the
// random part has no ".". Without node ids (`sessionid-with-nodeid: false`) an id is just
// the random part (no route: the balancer picks a node, which answers 307 if it is not the
// owner).
//
// Ids made before this format, `<node-id>.<random>`, are still parsed (sessions recovered
// from a store keep their ids). An id that reads both ways — a 20-character base32 node
// id on one side, the random part on the other — is taken in the current format.
import { randomBytes } from 'node:crypto';

const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
const randomPart = /^[a-z2-7]{20}$/;
// Node ids are DNS labels (runtime-options' NodeIdSchema): no ".", so the split is unique.
const nodeIdPattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

const RANDOM_PART_PATTERN = '[a-z2-7]{20}';

/**
 * Regular-expression source (unanchored; the same in PCRE, RE2 and ECMAScript) matching
 * exactly the session ids owned by `nodeId`, current and previous format: what load
 * balancers route on (path and ORSSESSIONID cookie) to reach the owner without a 307.
 */
export function sessionIdsOfNodePattern(nodeId: string): string {
  if (!nodeIdPattern.test(nodeId)) throw new Error(`${JSON.stringify(nodeId)} is not a node id (a DNS label)`);
  // A DNS label has only [a-z0-9-], none of which is special outside a bracket expression.
  return `(${RANDOM_PART_PATTERN}\\.${nodeId}|${nodeId}\\.${RANDOM_PART_PATTERN})`;
}

// Random bytes are drawn 4 KB at a time: one randomBytes() call per id was a tenth of
// what creating a session costs the I/O thread.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolAt = 0;

function randomId(): string {
  if (poolAt + 20 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolAt = 0;
  }
  let out = '';
  for (let i = poolAt; i < poolAt + 20; i++) out += alphabet[pool[i]! & 31];
  poolAt += 20;
  return out;
}

export function newSessionId(nodeId: string, withNodeId: boolean): string {
  return withNodeId ? `${randomId()}.${nodeId}` : randomId();
}

export interface ParsedSessionId {
  /** The owning node, when the id names one. */
  nodeId?: string;
}

/** Parses an id from a URL; undefined when it is not a session id of any format. */
export function parseSessionId(id: string): ParsedSessionId | undefined {
  const dot = id.indexOf('.');
  if (dot < 0) return randomPart.test(id) ? {} : undefined;
  if (dot !== id.lastIndexOf('.')) return undefined;
  const [head, tail] = [id.slice(0, dot), id.slice(dot + 1)];
  if (randomPart.test(head) && nodeIdPattern.test(tail)) return { nodeId: tail };
  if (randomPart.test(tail) && nodeIdPattern.test(head)) return { nodeId: head };
  return undefined;
}

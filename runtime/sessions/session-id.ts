// Session ids embed the owning node (`sessionid-with-nodeid`), so any node can tell the
// owner from the id alone. Format: `<node-id>.<20 lowercase base32 chars>`, e.g.
// `node-1.k3v9q0c2m8d1x7b4a6ze`. A node id is a DNS label (no "."), so the last "." splits
// it. Without node ids (`sessionid-with-nodeid: false`) an id is just the random part.
import { randomBytes } from 'node:crypto';

const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
const randomPart = /^[a-z2-7]{20}$/;

function randomId(): string {
  const bytes = randomBytes(20);
  let out = '';
  for (const b of bytes) out += alphabet[b & 31];
  return out;
}

export function newSessionId(nodeId: string, withNodeId: boolean): string {
  return withNodeId ? `${nodeId}.${randomId()}` : randomId();
}

export interface ParsedSessionId {
  /** The owning node, when the id names one. */
  nodeId?: string;
}

/** Parses an id from a URL; undefined when it is not a session id of any format. */
export function parseSessionId(id: string): ParsedSessionId | undefined {
  const dot = id.lastIndexOf('.');
  if (dot < 0) return randomPart.test(id) ? {} : undefined;
  const nodeId = id.slice(0, dot);
  if (!randomPart.test(id.slice(dot + 1))) return undefined;
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(nodeId)) return undefined;
  return { nodeId };
}

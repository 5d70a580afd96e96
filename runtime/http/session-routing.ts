// Decides who answers a request about a session: this process, another node (307 to its
// external-url, same path and query), or this node's primary when this process is a
// backup (307). Pure: the role and the node table come in as arguments.
import type { RoleState } from '../ha/role-source.ts';
import { parseSessionId } from '../sessions/session-id.ts';

export type RouteDecision =
  | { kind: 'local' }
  | { kind: 'redirect'; location: string; reason: 'backup' | 'other-node' }
  | { kind: 'error'; status: number; code: string; message: string; retryAfterSeconds?: number };

export interface RoutingTable {
  nodeId: string;
  /** External URL of every node by node id (this one's included or not). */
  nodeUrls: Record<string, string>;
}

export function joinUrl(base: string, pathAndQuery: string): string {
  return base.replace(/\/+$/, '') + pathAndQuery;
}

/** Where a request that only a primary may serve goes (session start, any session route). */
export function routeForRole(role: RoleState, pathAndQuery: string): RouteDecision {
  if (role.role === 'primary') return { kind: 'local' };
  if (!role.primaryUrl) {
    return {
      kind: 'error',
      status: 503,
      code: 'no-primary',
      message: 'this process is a backup and does not know its primary yet; retry later',
      retryAfterSeconds: 1,
    };
  }
  return { kind: 'redirect', location: joinUrl(role.primaryUrl, pathAndQuery), reason: 'backup' };
}

export function routeForSession(
  role: RoleState,
  table: RoutingTable,
  sessionId: string,
  pathAndQuery: string,
): RouteDecision {
  const parsed = parseSessionId(sessionId);
  if (!parsed) {
    return {
      kind: 'error',
      status: 404,
      code: 'session-not-found',
      message: `${JSON.stringify(sessionId)} is not a session id`,
    };
  }
  if (parsed.nodeId !== undefined && parsed.nodeId !== table.nodeId) {
    const url = table.nodeUrls[parsed.nodeId];
    if (!url) {
      return {
        kind: 'error',
        status: 404,
        code: 'session-not-found',
        message: `session ${sessionId} belongs to node ${parsed.nodeId}, whose external-url is unknown here`,
      };
    }
    return { kind: 'redirect', location: joinUrl(url, pathAndQuery), reason: 'other-node' };
  }
  return routeForRole(role, pathAndQuery);
}

// What the load balancer matches to send a request for a session straight to the node
// that owns it: the session id in the path (/scxml/session/<id>/...) or in the
// ORSSESSIONID cookie, for the ids of one node (runtime/sessions/session-id.ts). Written
// so that a regex engine matching the whole value (Envoy's RE2) and one searching in it
// (Traefik, HAProxy, nginx) agree. Anything else, or an id these miss, reaches any
// primary, which answers 307 to the owner's external-url: the fallback.
import { sessionIdsOfNodePattern } from '../../runtime/sessions/session-id.ts';
import { runtimeNodeId } from './runtime-config.ts';

export const SESSION_COOKIE = 'ORSSESSIONID';

/** Path regex for node `node`'s sessions; anchored at both ends. */
export function sessionPathPattern(node: number): string {
  return `^/scxml/session/${sessionIdsOfNodePattern(runtimeNodeId(node))}(/.*)?$`;
}

/**
 * The same for an Ingress path, which must start with "/": anchored at the end only (a
 * controller that searches may match it further into the path, which names no session
 * of this node then anyway).
 */
export function ingressSessionPathPattern(node: number): string {
  return sessionPathPattern(node).slice(1);
}

/** Cookie header regex: ORSSESSIONID among the cookies holds one of node `node`'s ids. */
export function sessionCookiePattern(node: number): string {
  return `^(.*;\\s*)?${SESSION_COOKIE}=${sessionIdsOfNodePattern(runtimeNodeId(node))}(;.*)?$`;
}

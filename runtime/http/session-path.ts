// Parses the session paths of the REST API in one place:
//   /scxml/session/<id>/event/<name>, /scxml/session/<id>/request/<name>,
//   /scxml/session/<id>/query, /scxml/session/<id>/terminate
// Pure and allocation-light: it runs for every event.
import { HttpError } from './http-error.ts';
import type { SessionRoute } from './session-api.ts';

export interface SessionPath {
  route: SessionRoute;
  sessionId: string;
  /** Event or request name ('' for query/terminate). */
  name: string;
  /** The query string without '?'. */
  query: string;
}

const prefix = '/scxml/session/';

function decode(part: string, what: string): string {
  if (part.indexOf('%') < 0) return part;
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, 'bad-path', `${what} ${JSON.stringify(part)} is not valid percent-encoding`);
  }
}

/** Undefined when the URL is not a session path (start, heartbeat, ... or unknown). */
export function matchSessionPath(url: string): SessionPath | undefined {
  if (!url.startsWith(prefix)) return undefined;
  const q = url.indexOf('?');
  const pathname = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  const idEnd = pathname.indexOf('/', prefix.length);
  if (idEnd < 0) return undefined;
  const sessionId = decode(pathname.slice(prefix.length, idEnd), 'session id');
  const rest = pathname.slice(idEnd + 1);
  const slash = rest.indexOf('/');
  const verb = slash < 0 ? rest : rest.slice(0, slash);
  const tail = slash < 0 ? '' : rest.slice(slash + 1);
  if ((verb === 'event' || verb === 'request') && tail.length > 0 && tail.indexOf('/') < 0) {
    return { route: verb, sessionId, name: decode(tail, `${verb} name`), query };
  }
  if ((verb === 'query' || verb === 'terminate') && slash < 0) {
    return { route: verb, sessionId, name: '', query };
  }
  return undefined;
}

/** The method each session route takes. */
export const sessionRouteMethod: Record<SessionRoute, 'GET' | 'POST'> = {
  event: 'POST',
  request: 'POST',
  query: 'GET',
  terminate: 'POST',
};

// The session routes the operator gives the Ingress and the Gateway: each node's path and
// cookie patterns match exactly that node's session ids (current and previous format),
// whether the controller matches the whole value (Envoy) or searches in it (Traefik,
// HAProxy, nginx); the routes carry no gateway cookie.
import { describe, expect, it } from 'vitest';
import { parseOrsCluster } from '../../../operator/api/parse-ors-cluster.ts';
import { buildDesiredObjects } from '../../../operator/builders/desired-objects.ts';
import { buildNodeSessionHttpRoute } from '../../../operator/builders/http-routes.ts';
import { buildIngress } from '../../../operator/builders/ingress.ts';
import { ingressSessionPathPattern, sessionCookiePattern, sessionPathPattern } from '../../../operator/builders/session-route-patterns.ts';
import { newSessionId } from '../../../runtime/sessions/session-id.ts';

function cluster(routing: Record<string, unknown>) {
  const parsed = parseOrsCluster({ metadata: { name: 'cc', namespace: 'ns', uid: 'u', generation: 1 }, spec: { nodes: 12, image: 'i', routing } });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cluster;
}

const searches = (pattern: string, text: string) => new RegExp(pattern).test(text);
const matchesWhole = (pattern: string, text: string) => new RegExp(`^(?:${pattern})$`).test(text);

describe('session route patterns', () => {
  const own = newSessionId('node-1', true);
  const legacy = 'node-1.abcdefghijklmnopqrst';
  const others = [newSessionId('node-10', true), newSessionId('node-11', true), 'node-10.abcdefghijklmnopqrst', newSessionId('node-1', false)];

  it('the path pattern matches node 1\'s session paths only, whole or searched', () => {
    for (const match of [searches, matchesWhole]) {
      for (const id of [own, legacy]) {
        for (const rest of ['', '/query', '/event/go', '/request/get']) {
          expect(match(sessionPathPattern(1), `/scxml/session/${id}${rest}`), `${id}${rest}`).toBe(true);
        }
      }
      for (const id of others) expect(match(sessionPathPattern(1), `/scxml/session/${id}/query`), id).toBe(false);
      expect(match(sessionPathPattern(1), '/scxml/session/start')).toBe(false);
      expect(match(sessionPathPattern(1), `/x/scxml/session/${own}/query`)).toBe(false);
    }
    expect(`/scxml/session/${own}/query`).toMatch(new RegExp(ingressSessionPathPattern(1)));
    expect(ingressSessionPathPattern(1).startsWith('/')).toBe(true);
  });

  it('the cookie pattern finds ORSSESSIONID=<node 1 id> among other cookies, and nothing else', () => {
    for (const match of [searches, matchesWhole]) {
      for (const id of [own, legacy]) {
        for (const header of [`ORSSESSIONID=${id}`, `a=1; ORSSESSIONID=${id}`, `ORSSESSIONID=${id}; b=2`, `a=1;ORSSESSIONID=${id};b=2`]) {
          expect(match(sessionCookiePattern(1), header), header).toBe(true);
        }
      }
      for (const id of others) expect(match(sessionCookiePattern(1), `ORSSESSIONID=${id}`), id).toBe(false);
      expect(match(sessionCookiePattern(1), `XORSSESSIONID=${own}`)).toBe(false);
      expect(match(sessionCookiePattern(1), `other=${own}`)).toBe(false);
    }
  });
});

describe('session routes', () => {
  const gateway = { host: 'ors.example.com', gateway: { enabled: true, parentRefs: [{ name: 'gw' }] }, ingress: { enabled: true } };

  it('one HTTPRoute per node on the cluster host: path or cookie -> the node\'s Service; no gateway cookie anywhere', () => {
    const route = buildNodeSessionHttpRoute(cluster(gateway), 3)!;
    expect(route.metadata.name).toBe('cc-node-3-sessions');
    expect(route.spec.hostnames).toEqual(['ors.example.com']);
    expect(route.spec.rules).toEqual([
      {
        matches: [
          { path: { type: 'RegularExpression', value: sessionPathPattern(3) } },
          { headers: [{ type: 'RegularExpression', name: 'Cookie', value: sessionCookiePattern(3) }] },
        ],
        backendRefs: [{ name: 'cc-node-3', port: 8080 }],
      },
    ]);
    const objects = buildDesiredObjects(cluster(gateway), [0, 1, 2], { syncKey: 'k', apiTokens: 't' });
    expect(objects.filter((o) => o.kind === 'HTTPRoute').map((o) => o.metadata!.name).sort()).toEqual(
      ['cc', 'cc-node-0', 'cc-node-0-sessions', 'cc-node-1', 'cc-node-1-sessions', 'cc-node-2', 'cc-node-2-sessions'],
    );
    expect(JSON.stringify(objects)).not.toContain('sessionPersistence');
    expect(buildNodeSessionHttpRoute(cluster({ host: 'h.example.com' }), 0)).toBeUndefined();
  });

  it('the Ingress: session paths first (regex, ImplementationSpecific), the catch-all last; user annotations win', () => {
    const ingress = buildIngress(cluster({ ...gateway, ingress: { enabled: true, annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'false' } } }), [0, 1])!;
    const paths = ingress.spec!.rules![0]!.http!.paths;
    expect(paths.map((p) => [p.path, p.pathType, p.backend.service!.name])).toEqual([
      [ingressSessionPathPattern(0), 'ImplementationSpecific', 'cc-node-0'],
      [ingressSessionPathPattern(1), 'ImplementationSpecific', 'cc-node-1'],
      ['/', 'Prefix', 'cc'],
    ]);
    expect(ingress.metadata!.annotations).toEqual({
      'traefik.ingress.kubernetes.io/router.pathmatcher': 'PathRegexp',
      'haproxy-ingress.github.io/path-type': 'regex',
      'nginx.ingress.kubernetes.io/use-regex': 'false',
    });
    expect(JSON.stringify(ingress)).not.toMatch(/cookie-persistence|upstream-hash-by|sticky/);
  });
});

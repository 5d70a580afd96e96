// The OpenAPI document against the routes the server registers (api-server.ts's table):
// the same paths and methods both ways, the same path parameters, the security each
// access mode implies; and a live runtime answers a plain call of every documented
// operation with a status the document lists for it.
import { describe, expect, it } from 'vitest';
import { apiRoutes } from '../../../runtime/http/api-server.ts';
import { openApiDocument } from '../../../runtime/http/openapi.ts';
import { startTestRuntime, strategyDir } from '../../support/runtime-harness.ts';
import { TableEngine } from '../../support/table-engine.ts';

type Operation = { operationId: string; security?: unknown[]; parameters?: { name: string; in: string }[]; responses: Record<string, unknown> };
const asOpenApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

describe('OpenAPI document vs the route table', () => {
  const doc = openApiDocument({ auth: 'bearer', metricsAuth: 'tokens', maxJsonDepth: 32, applications: ['toggle'] });
  const paths = doc.paths as unknown as Record<string, Record<string, Operation>>;

  it('lists exactly the routes the server registers, with their path parameters', () => {
    const documented = Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const served = apiRoutes.map((r) => `${r.method.toUpperCase()} ${asOpenApiPath(r.path)}`).sort();
    expect(documented).toEqual(served);
    for (const route of apiRoutes) {
      const op = paths[asOpenApiPath(route.path)]![route.method]!;
      const params = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
      expect((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name), route.path).toEqual(params);
      // Open routes declare no security; the others inherit the document's (or /metrics its own).
      if (route.access === 'open') expect(op.security, route.path).toEqual([]);
      if (route.access === 'api') {
        expect(op.security, route.path).toBeUndefined();
        expect(op.responses['401'], route.path).toBeDefined();
      }
      if (route.access === 'metrics') expect(op.security).toEqual([{ metricsBearerAuth: [] }]);
    }
    const ids = Object.values(paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('marks src required in both body media types and lists the applications as its examples', () => {
    const start = paths['/scxml/session/start']!.post as unknown as {
      requestBody: { required: boolean; content: Record<string, { schema: { required: string[]; properties: { src: { examples: string[] } } } }> };
    };
    expect(start.requestBody.required).toBe(true);
    for (const media of ['application/x-www-form-urlencoded', 'application/json']) {
      expect(start.requestBody.content[media]!.schema.required).toEqual(['src']);
      expect(start.requestBody.content[media]!.schema.properties.src.examples).toEqual(['toggle']);
    }
  });

  it('follows the auth mode: no security without auth, mutualTLS and 403 with mtls', () => {
    const open = openApiDocument({ auth: 'none', metricsAuth: 'none', maxJsonDepth: 32 });
    expect(open.security).toEqual([]);
    expect(open.components.securitySchemes).toEqual({});
    expect((open.paths['/scxml/session/start'].post.responses as Record<string, unknown>)['401']).toBeUndefined();
    const mtls = openApiDocument({ auth: 'mtls', metricsAuth: 'api', maxJsonDepth: 32 });
    expect(mtls.security).toEqual([{ mutualTLS: [] }]);
    expect((mtls.paths['/scxml/session/start'].post.responses as Record<string, unknown>)['403']).toBeDefined();
    expect(mtls.paths['/metrics'].get.security).toEqual([{ mutualTLS: [] }]);
  });

  it('a live runtime answers a plain call of every operation with a documented status', async () => {
    const dir = await strategyDir({ 'toggle.json': JSON.stringify({ initial: 'idle', transitions: { idle: { go: 'busy' } }, respond: ['ask'] }) });
    const node = await startTestRuntime(new TableEngine(), { 'strategies-dir': dir, applications: 'toggle=toggle.json' });
    try {
      const served = (await (await fetch(`${node.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, Operation>> };
      const started = await fetch(`${node.url}/scxml/session/start`, { method: 'POST', body: new URLSearchParams({ src: 'toggle' }) });
      const id = ((await started.json()) as { sessionid: string }).sessionid;
      for (const [p, ops] of Object.entries(served.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const target = p.replace('{sessionId}', id).replace('{name}', 'ask');
          const response = await fetch(node.url + target, {
            method: method.toUpperCase(),
            redirect: 'manual',
            ...(method === 'post' ? { body: new URLSearchParams(p.endsWith('start') ? { src: 'toggle' } : {}) } : {}),
          });
          expect(Object.keys(op.responses), `${method} ${p} answered ${response.status}`).toContain(String(response.status));
          const type = response.headers.get('content-type') ?? '';
          expect(type, `${method} ${p}`).toMatch(p === '/metrics' ? /^text\/plain/ : /^application\/json/);
        }
      }
    } finally {
      await node.stop();
    }
  });
});

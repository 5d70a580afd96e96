import { Script } from 'node:vm';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthServer } from '../../../operator/controller/health-server.ts';
import { buildStatusPage, StatusPageSchema, type StatusPage } from '../../../operator/status-page/page-model.ts';
import type { StatusSource } from '../../../operator/status-page/status-routes.ts';

const page: StatusPage = buildStatusPage({
  source: 'kubernetes',
  clusters: [{ apiVersion: 'ors.dev/v1alpha1', kind: 'OrsCluster', metadata: { name: 'c', namespace: 'ns' }, spec: { nodes: 1 } }],
  pods: [], leases: [], events: [], now: new Date('2026-01-01T00:00:00Z'),
});

describe('status routes on the operator health server', () => {
  let base = '';
  let failing = false;
  let close = () => {};
  beforeAll(async () => {
    const source: StatusSource = { snapshot: async () => (failing ? Promise.reject(new Error('apiserver away')) : page) };
    const { server, port } = await startHealthServer('127.0.0.1', 0, { registry: new Registry(), ready: () => true, describe: () => ({}), status: source });
    base = `http://127.0.0.1:${port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  it('GET /status is the HTML page whose script polls status.json', async () => {
    const response = await fetch(`${base}/status`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('<title>ORS status</title>');
    expect(html).toContain("fetch('status.json'");
    // The inline script at least parses (Chromium runs it: test/integration/status-page/).
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    expect(() => new Script(script)).not.toThrow();
  });

  it('GET /status.json is the model, valid against its schema', async () => {
    const response = await fetch(`${base}/status.json`);
    expect(response.status).toBe(200);
    expect(StatusPageSchema.parse(await response.json())).toEqual(page);
  });

  it('the page is read-only, and a source that fails is a 503 with the reason', async () => {
    expect((await fetch(`${base}/status.json`, { method: 'POST' })).status).toBe(405);
    failing = true;
    const response = await fetch(`${base}/status.json`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: 'status_unavailable', message: 'apiserver away' });
    failing = false;
  });

  it('/metrics, /healthz and /readyz still answer beside it', async () => {
    for (const path of ['/metrics', '/healthz', '/readyz']) expect((await fetch(`${base}${path}`)).status).toBe(200);
  });
});

// Where a backup sends a client (307): to the address its primary is bound to, or, when the
// primary is bound to every address (0.0.0.0, as in a pod), to the node's external-url,
// which the load balancer routes to the current primary. Before, a pod's backup sent
// clients to "http://0.0.0.0:<port>" (through an Ingress: a 404 from no route).
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { cliFlags, spawnOrs, tempDir, type OrsProcess } from '../../support/ors-processes.ts';
import { strategyDir } from '../../support/runtime-harness.ts';

const processes: OrsProcess[] = [];
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
});

const scxml = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="a"><state id="a"/></scxml>';

it('a backup of a primary bound to every address redirects to the node’s external-url', { timeout: 60_000 }, async () => {
  const dir = tempDir('ors-redirect-target-');
  const strategies = await strategyDir({ 'idle.scxml': scxml });
  const start = (identity: string) => {
    const flags = {
      'node-id': 'node-0', identity, 'http-host': '0.0.0.0', 'http-port': 0, 'sync-port': 0, 'sync-host': '127.0.0.1',
      'external-url': 'http://node-0.ors.example/', lease: 'file', 'lease-dir': path.join(dir, 'lease'),
      'session-store': 'file', 'session-store-dir': path.join(dir, 'store'), 'sync-key': 'test sync key, shared by the pair',
      'strategies-dir': strategies, auth: 'none', 'log-level': 'info',
    };
    const child = spawnOrs(['runtime', ...cliFlags(flags)]);
    processes.push(child);
    return child;
  };
  const a = start('a');
  await a.line(/"role":"primary".*"msg":"role changed"/);
  const b = start('b');
  const [, port] = await b.line(/"url":"http:\/\/0\.0\.0\.0:(\d+)".*"msg":"ors runtime listening"/);
  let location: string | null = null;
  for (let i = 0; i < 100 && !location; i++) {
    const answer = await fetch(`http://127.0.0.1:${port}/scxml/session/start`, { method: 'POST', body: new URLSearchParams({ src: 'idle.scxml' }), redirect: 'manual' });
    if (answer.status === 307) location = answer.headers.get('location');
    else await new Promise((r) => setTimeout(r, 100));
  }
  expect(location).toBe('http://node-0.ors.example/scxml/session/start');
});

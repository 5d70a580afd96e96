// A lone primary (its backup is down) that misses its renew deadline — frozen, or starved
// of CPU — steps down, drops its sessions and wins its Lease back a moment later under a
// new epoch, recovering its persisted sessions from the store. Under load, requests it
// was in the middle of when it stepped down must not leave a wrong answer behind: every
// event acknowledged before stays counted, and no session started before is gone. Found
// by the chaos suite at a contact center's load (a count one below the acknowledged one,
// a session answering 409 "deposed" for good).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { cliFlags, spawnOrs, tempDir, type OrsProcess } from '../../support/ors-processes.ts';
import { strategyDir } from '../../support/runtime-harness.ts';

const counter = readFileSync(path.resolve(import.meta.dirname, '../../e2e/fixtures/counter.scxml'), 'utf8');
const LOOPS = 16;

let runtime: OrsProcess | undefined;
afterEach(async () => {
  runtime?.child.kill('SIGCONT');
  await runtime?.stop('SIGKILL');
  runtime = undefined;
});

/** A real `ors runtime`, the only process of its node: file Lease, file store. */
async function lonePrimary(): Promise<{ url: string; process: OrsProcess }> {
  const dir = tempDir('ors-lease-won-back-');
  const flags = {
    'node-id': 'node-0', identity: 'a', 'http-host': '127.0.0.1', 'http-port': 0, 'sync-port': 0,
    lease: 'file', 'lease-dir': path.join(dir, 'lease'), 'lease-duration': 1500, 'lease-renew-deadline': 1000, 'lease-retry-period': 150,
    'session-store': 'file', 'session-store-dir': path.join(dir, 'store'), 'sync-key': 'test sync key, shared by the pair',
    'strategies-dir': await strategyDir({ 'counter.scxml': counter }), auth: 'none', 'log-level': 'info',
  };
  runtime = spawnOrs(['runtime', ...cliFlags(flags)]);
  const [, url] = await runtime.line(/"url":"([^"]+)".*"msg":"ors runtime listening"/);
  await runtime.line(/"role":"primary".*"msg":"role changed"/);
  return { url: url!, process: runtime };
}

interface Answer { status: number; body: Record<string, unknown> }

async function post(url: string, form?: Record<string, string>): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    signal: AbortSignal.timeout(10_000),
    ...(form ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
}

/** Retries until an answer passes `ok` (a client's retry loop); the last answer otherwise. */
async function until(send: () => Promise<Answer>, ok: (a: Answer) => boolean, attempts = 40): Promise<Answer> {
  let last: Answer = { status: 0, body: {} };
  for (let i = 0; i < attempts; i++) {
    last = await send().catch((e: Error) => ({ status: 0, body: { error: e.message } }));
    if (ok(last)) return last;
    await sleep(100);
  }
  return last;
}

it('a lone primary that loses its Lease to a freeze and wins it back keeps every acknowledged event of its persisted sessions', { timeout: 120_000 }, async () => {
  const { url, process: a } = await lonePrimary();
  const wrong: string[] = [];
  let running = true;
  let acknowledgedTotal = 0;

  async function loop(index: number): Promise<void> {
    while (running) {
      const started = await until(() => post(`${url}/scxml/session/start`, { src: 'counter.scxml' }), (r) => r.status === 200);
      if (started.status !== 200) {
        wrong.push(`start #${index}: ${started.status} ${JSON.stringify(started.body)}`);
        return;
      }
      const id = String(started.body.sessionid);
      let acknowledged = 0;
      for (let step = 0; step < 12 && running; step++) {
        if (step % 4 === 3) {
          const got = await until(() => post(`${url}/scxml/session/${id}/request/get`), (r) => r.status === 200);
          if (got.status !== 200) {
            wrong.push(`get ${id}: ${got.status} ${JSON.stringify(got.body)}`);
            return;
          }
          const count = Number(got.body.count);
          if (count < acknowledged) wrong.push(`${id}: count ${count} after ${acknowledged} acknowledged events`);
          acknowledged = count;
        } else {
          const sent = await until(() => post(`${url}/scxml/session/${id}/event/inc`), (r) => r.status === 200);
          if (sent.status !== 200) {
            wrong.push(`inc ${id}: ${sent.status} ${JSON.stringify(sent.body)}`);
            return;
          }
          acknowledged++;
          acknowledgedTotal++;
        }
      }
    }
  }

  const loops = Array.from({ length: LOOPS }, (_, i) => loop(i));
  for (let freeze = 0; freeze < 4; freeze++) {
    await sleep(1500);
    a.child.kill('SIGSTOP');
    await sleep(1250); // past the 1000 ms renew deadline, within the 1500 ms lease: nobody else could take it
    a.child.kill('SIGCONT');
  }
  await sleep(1500);
  running = false;
  await Promise.all(loops);
  const tenures = a.output().match(/"role":"primary","epoch":\d+,"msg":"role changed"/g) ?? [];
  expect(new Set(tenures).size, 'it stepped down and won its Lease back').toBeGreaterThan(1);
  expect(wrong).toEqual([]);
  expect(acknowledgedTotal).toBeGreaterThan(0);
});

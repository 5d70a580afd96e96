// The ORS REST API over real HTTP on a loopback port, with the session host and a
// table-driven test double of the interpreter (test/support/table-engine.ts).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticRoleSource } from '../../../runtime/ha/static-role-source.ts';
import type { RuntimeProcess } from '../../../runtime/runtime-process.ts';
import { get, post, startTestRuntime, strategyDir } from '../../support/runtime-harness.ts';
import { TableEngine, type TableDocument } from '../../support/table-engine.ts';

const toggle: TableDocument = {
  parameters: ['customer', 'priority'],
  initial: 'idle',
  transitions: { idle: { go: 'busy', stop: 'final' }, busy: { back: 'idle', stop: 'final' } },
  respond: ['ask'],
};
const looper: TableDocument = { initial: 'spin', loopState: 'spin' };

let dir: string;
let node: RuntimeProcess;
let other: RuntimeProcess;

beforeAll(async () => {
  dir = await strategyDir({
    'toggle.json': JSON.stringify(toggle),
    'looper.json': JSON.stringify(looper),
    'kept.json': JSON.stringify({ ...toggle, persist: true }),
    'broken.json': '{ not json',
  });
  other = await startTestRuntime(new TableEngine(), { 'node-id': 'node-b', 'strategies-dir': dir });
  node = await startTestRuntime(new TableEngine(), {
    'node-id': 'node-a',
    'strategies-dir': dir,
    applications: 'toggle=toggle.json',
    'node-urls': `node-b=${other.url}/`,
    'max-body-size': 1024,
    'max-queue-length': 3,
    'max-sessions': 50,
    'request-timeout': 300,
  });
});
afterAll(async () => {
  await node?.stop();
  await other?.stop();
});

async function start(params: Record<string, unknown>, json = false) {
  return post(node.url, '/scxml/session/start', params, json ? 'application/json' : undefined);
}

describe('session lifecycle over HTTP', () => {
  it('starts with a form body, delivers events, answers query and terminate, sets the cookie', async () => {
    const started = await start({ src: 'toggle', customer: 'alice', priority: '3' });
    expect(started.status).toBe(200);
    const id = started.json.sessionid as string;
    expect(id).toMatch(/^[a-z2-7]{20}\.node-a$/);
    expect(started.headers.get('set-cookie')).toBe(`ORSSESSIONID=${id}; Path=/`);

    const event = await post(node.url, `/scxml/session/${id}/event/go?via=query`, { reason: 'test' });
    expect(event.status).toBe(200);
    expect(event.headers.get('set-cookie')).toContain(`ORSSESSIONID=${id}`);

    const query = await get(node.url, `/scxml/session/${id}/query`);
    expect(query.status).toBe(200);
    expect(query.json.configuration).toEqual(['busy']);
    const datamodel = query.json.datamodel as Record<string, unknown>;
    expect(datamodel.customer).toBe('alice');
    expect(datamodel.priority).toBe('3');
    expect(datamodel.lastEvent).toEqual({ name: 'go', data: { via: 'query', reason: 'test' } });
    expect((query.json.metadata as Record<string, unknown>).state).toBe('running');
    expect(query.headers.get('set-cookie')).toContain(id);

    const terminated = await post(node.url, `/scxml/session/${id}/terminate`);
    expect(terminated.status).toBe(200);
    expect(terminated.json.state).toBe('finished');
    const after = await post(node.url, `/scxml/session/${id}/event/go`);
    expect(after.status).toBe(409);
    expect(after.json.error).toBe('session-finished');
  });

  it('takes JSON bodies for start, event and request; request is answered by the session', async () => {
    const started = await start({ src: 'toggle.json', customer: { name: 'bob', vip: true } }, true);
    expect(started.status).toBe(200);
    const id = started.json.sessionid as string;
    const query = await get(node.url, `/scxml/session/${id}/query`);
    expect((query.json.datamodel as Record<string, unknown>).customer).toEqual({ name: 'bob', vip: true });

    const event = await post(node.url, `/scxml/session/${id}/event/go`, { n: 1, list: [1, 2] }, 'application/json');
    expect(event.status).toBe(200);
    const answer = await post(node.url, `/scxml/session/${id}/request/ask`, { q: 'state?' }, 'application/json');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ state: 'busy', data: { q: 'state?' }, events: ['go', 'ask'] });
    expect(answer.headers.get('set-cookie')).toContain(id);
  });

  it('a request the session never answers times out as 504 JSON', async () => {
    const id = (await start({ src: 'toggle' })).json.sessionid as string;
    const answer = await post(node.url, `/scxml/session/${id}/request/unanswered`, { a: '1' });
    expect(answer.status).toBe(504);
    expect(answer.json.error).toBe('no-response');
  });

  it('a session reaching its final state is finished (409 afterwards)', async () => {
    const id = (await start({ src: 'toggle' })).json.sessionid as string;
    expect((await post(node.url, `/scxml/session/${id}/event/stop`)).status).toBe(200);
    await expect.poll(async () => (await get(node.url, `/scxml/session/${id}/query`)).status).toBe(409);
  });

  it('tells stable-point listeners when a session queue drains (the HA snapshot hook)', async () => {
    const seen: string[] = [];
    const stop = node.host.onStablePoint((point) => {
      seen.push(point.sessionId);
      return undefined;
    });
    try {
      const id = (await start({ src: 'toggle' })).json.sessionid as string;
      await post(node.url, `/scxml/session/${id}/event/go`);
      await expect.poll(() => seen.filter((s) => s === id).length).toBeGreaterThanOrEqual(2);
    } finally {
      stop();
    }
  });

  it('idealtime schedules the start; events wait for it', async () => {
    const at = new Date(Date.now() + 400).toISOString();
    const started = await start({ src: 'toggle', idealtime: at });
    const id = started.json.sessionid as string;
    expect(started.json.state).toBe('scheduled');
    expect(started.json.startAt).toBe(at);
    expect((await post(node.url, `/scxml/session/${id}/event/go`)).status).toBe(200);
    const before = await get(node.url, `/scxml/session/${id}/query`);
    expect(before.json.configuration).toEqual([]);
    expect((before.json.metadata as Record<string, unknown>).state).toBe('scheduled');
    await expect
      .poll(async () => (await get(node.url, `/scxml/session/${id}/query`)).json.configuration, { timeout: 3000 })
      .toEqual(['busy']);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(at));
  });
});

describe('routing between nodes and roles', () => {
  it('answers 307 to the owning node external-url, same path and query, with the cookie', async () => {
    const owned = await post(other.url, '/scxml/session/start', { src: 'toggle.json' });
    const id = owned.json.sessionid as string;
    expect(id.endsWith('.node-b')).toBe(true);
    const redirected = await post(node.url, `/scxml/session/${id}/event/go?x=1`, { a: 'b' });
    expect(redirected.status).toBe(307);
    expect(redirected.headers.get('location')).toBe(`${other.url}/scxml/session/${id}/event/go?x=1`);
    expect(redirected.headers.get('set-cookie')).toContain(id);
    const q = await get(node.url, `/scxml/session/${id}/query`);
    expect(q.status).toBe(307);
    // fetch follows a 307 with the same method and body
    const followed = await fetch(`${node.url}/scxml/session/${id}/event/go`, { method: 'POST' });
    expect(followed.status).toBe(200);
    expect((await get(other.url, `/scxml/session/${id}/query`)).json.configuration).toEqual(['busy']);
  });

  it('a backup reports heartbeat-backup-status and sends every session route to its primary', async () => {
    const backup = await startTestRuntime(
      new TableEngine(),
      { 'node-id': 'node-a', 'heartbeat-backup-status': 418, 'strategies-dir': dir },
      new StaticRoleSource({ role: 'backup', epoch: 3, primaryUrl: node.url }),
    );
    try {
      const hb = await get(backup.url, '/heartbeat');
      expect(hb.status).toBe(418);
      expect(hb.json.role).toBe('backup');
      expect((await get(node.url, '/heartbeat')).status).toBe(200);

      const start = await post(backup.url, '/scxml/session/start?a=1', { src: 'toggle' });
      expect(start.status).toBe(307);
      expect(start.headers.get('location')).toBe(`${node.url}/scxml/session/start?a=1`);
      const id = 'node-a.aaaaaaaaaaaaaaaaaaaa';
      for (const [method, p] of [
        ['POST', `/scxml/session/${id}/event/e`],
        ['POST', `/scxml/session/${id}/request/r`],
        ['GET', `/scxml/session/${id}/query`],
        ['POST', `/scxml/session/${id}/terminate`],
      ] as const) {
        const r = await fetch(backup.url + p, { method, redirect: 'manual' });
        expect(r.status).toBe(307);
        expect(r.headers.get('location')).toBe(node.url + p);
      }
    } finally {
      await backup.stop();
    }
  });

  it('the default backup heartbeat is 503, and a backup without a known primary answers 503 JSON', async () => {
    const backup = await startTestRuntime(new TableEngine(), { 'node-id': 'node-c', role: 'backup' });
    try {
      expect((await get(backup.url, '/heartbeat')).status).toBe(503);
      const r = await post(backup.url, '/scxml/session/start', { src: 'x' });
      expect(r.status).toBe(503);
      expect(r.json.error).toBe('no-primary');
      expect(r.headers.get('retry-after')).toBe('1');
    } finally {
      await backup.stop();
    }
  });
});

describe('a session handed over to the next primary', () => {
  it('is answered 503 with Retry-After on every route, never 409 finished or 404 (it lives on at the successor)', async () => {
    const deposed = await startTestRuntime(new TableEngine(), { 'node-id': 'node-c', 'strategies-dir': dir });
    try {
      const id = (await post(deposed.url, '/scxml/session/start', { src: 'toggle.json' })).json.sessionid as string;
      deposed.host.abandonAll('deposed');
      for (const answer of [
        await post(deposed.url, `/scxml/session/${id}/event/go`),
        await post(deposed.url, `/scxml/session/${id}/request/ask`),
        await get(deposed.url, `/scxml/session/${id}/query`),
        await post(deposed.url, `/scxml/session/${id}/terminate`),
      ]) {
        expect(answer.status).toBe(503);
        expect(answer.json.error).toBe('not-durable');
        expect(answer.headers.get('retry-after')).toBe('1');
      }
      const ended = (await post(deposed.url, '/scxml/session/start', { src: 'toggle.json' })).json.sessionid as string;
      await post(deposed.url, `/scxml/session/${ended}/terminate`);
      expect((await post(deposed.url, `/scxml/session/${ended}/event/go`)).status).toBe(409);
    } finally {
      await deposed.stop();
    }
  });
});

describe('errors are JSON {error, message} with the right status', () => {
  const expectError = (r: { status: number; json: Record<string, unknown> }, status: number, code: string) => {
    expect(r.status).toBe(status);
    expect(r.json.error).toBe(code);
    expect(typeof r.json.message).toBe('string');
  };

  it('400: missing src, unknown src, invalid document, bad idealtime, malformed JSON', async () => {
    expectError(await start({ customer: 'x' }), 400, 'missing-src');
    expectError(await start({ src: 'nope.json' }), 400, 'bad-src');
    expectError(await start({ src: 'broken.json' }), 400, 'invalid-document');
    expectError(await start({ src: 'toggle', idealtime: 'tomorrow-ish' }), 400, 'invalid-parameter');
    expectError(await post(node.url, '/scxml/session/start', '{"src":', 'application/json'), 400, 'invalid-json');
    expectError(await post(node.url, '/scxml/session/start', '[1]', 'application/json'), 400, 'invalid-json');
  });

  it('404: unknown session, malformed id, unknown route', async () => {
    expectError(await post(node.url, '/scxml/session/bbbbbbbbbbbbbbbbbbbb.node-a/event/x'), 404, 'session-not-found');
    expectError(await post(node.url, '/scxml/session/node-a.bbbbbbbbbbbbbbbbbbbb/event/x'), 404, 'session-not-found');
    expectError(await post(node.url, '/scxml/session/garbage/event/x'), 404, 'session-not-found');
    expectError(await get(node.url, '/scxml/session/bbbbbbbbbbbbbbbbbbbb.node-z/query'), 404, 'session-not-found');
    expectError(await get(node.url, '/no/such/route'), 404, 'not-found');
  });

  it('405 for a wrong method', async () => {
    expectError(await get(node.url, '/scxml/session/start'), 405, 'method-not-allowed');
  });

  it('413: body larger than max-body-size; 415: unsupported content type', async () => {
    const id = (await start({ src: 'toggle' })).json.sessionid as string;
    expectError(await post(node.url, `/scxml/session/${id}/event/go`, { big: 'x'.repeat(2000) }), 413, 'body-too-large');
    expectError(await post(node.url, '/scxml/session/start', '<x/>', 'application/xml'), 415, 'unsupported-media-type');
    expectError(await post(node.url, `/scxml/session/${id}/event/go`, 'hi', 'text/plain'), 415, 'unsupported-media-type');
  });

  it('429 when a session queue is full; 503 when max-sessions is reached', async () => {
    const idealtime = String(Date.now() + 60_000);
    const id = (await start({ src: 'toggle', idealtime })).json.sessionid as string;
    for (let i = 0; i < 3; i++) expect((await post(node.url, `/scxml/session/${id}/event/e${i}`)).status).toBe(200);
    const full = await post(node.url, `/scxml/session/${id}/event/e3`);
    expectError(full, 429, 'queue-full');
    expect(full.headers.get('retry-after')).toBe('1');
    await post(node.url, `/scxml/session/${id}/terminate`);

    const limited = await startTestRuntime(new TableEngine(), { 'node-id': 'node-d', 'strategies-dir': dir, 'max-sessions': 2 });
    try {
      for (let i = 0; i < 2; i++) expect((await post(limited.url, '/scxml/session/start', { src: 'toggle.json' })).status).toBe(200);
      expectError(await post(limited.url, '/scxml/session/start', { src: 'toggle.json' }), 503, 'too-many-sessions');
    } finally {
      await limited.stop();
    }
  });
});

describe('the runtime stays responsive', () => {
  it('a drained node answers session starts with 503 draining, keeps its running sessions, and takes new ones once undrained', async () => {
    const running = (await start({ src: 'toggle' })).json.sessionid as string;
    node.host.setDraining(true);
    try {
      const refused = await start({ src: 'toggle' });
      expect(refused.status).toBe(503);
      expect(refused.json).toMatchObject({ error: 'draining', message: 'node node-a is drained: it takes no new sessions (its running sessions go on)' });
      expect((await post(node.url, `/scxml/session/${running}/event/go`, {})).status).toBe(200);
      expect((await get(node.url, '/metrics')).text).toMatch(/ors_rejections_total\{reason="draining",node="node-a"\} 1/);
    } finally {
      node.host.setDraining(false);
    }
    expect((await start({ src: 'toggle' })).status).toBe(200);
  });

  it('a session that loops forever does not stall other sessions', async () => {
    const loop = (await start({ src: 'looper.json' })).json.sessionid as string;
    const id = (await start({ src: 'toggle' })).json.sessionid as string;
    for (let i = 0; i < 20; i++) {
      expect((await post(node.url, `/scxml/session/${id}/event/${i % 2 ? 'back' : 'go'}`)).status).toBe(200);
      const answer = await post(node.url, `/scxml/session/${id}/request/ask`);
      expect(answer.status).toBe(200);
      expect(answer.json.state).toBe(i % 2 ? 'idle' : 'busy');
    }
    const spun = (await get(node.url, `/scxml/session/${loop}/query`)).json.datamodel as Record<string, number>;
    expect(spun.loopTurns).toBeGreaterThan(100);
    await post(node.url, `/scxml/session/${loop}/terminate`);
  });

  it('serves /heartbeat, /metrics, /ors/help and /openapi.json', async () => {
    const metrics = await get(node.url, '/metrics');
    expect(metrics.status).toBe(200);
    for (const name of ['ors_active_sessions', 'ors_sessions_created_total', 'ors_create_session_seconds', 'ors_event_queue_seconds']) {
      expect(metrics.text).toContain(name);
    }
    const help = await get(node.url, '/ors/help');
    const routes = help.json.routes as { path: string }[];
    expect(routes.map((r) => r.path)).toContain('/scxml/session/<sessionId>/event/<name>');
    const openapi = await get(node.url, '/openapi.json');
    expect(openapi.json.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.json.paths as object)).toContain('/scxml/session/start');
  });

  it('recompiles a strategy file when it changes, and caches it otherwise', async () => {
    const engine = new TableEngine();
    const rt = await startTestRuntime(engine, { 'node-id': 'node-e', 'strategies-dir': dir });
    try {
      await post(rt.url, '/scxml/session/start', { src: 'toggle.json' });
      await post(rt.url, '/scxml/session/start', { src: 'toggle.json' });
      expect(engine.compiled).toBe(1);
      await new Promise((r) => setTimeout(r, 1100)); // files are re-checked at most once a second
      await writeFile(path.join(dir, 'toggle.json'), JSON.stringify({ ...toggle, initial: 'busy' }));
      const id = (await post(rt.url, '/scxml/session/start', { src: 'toggle.json' })).json.sessionid as string;
      expect(engine.compiled).toBe(2);
      await expect.poll(async () => (await get(rt.url, `/scxml/session/${id}/query`)).json.configuration).toEqual(['busy']);
    } finally {
      await rt.stop();
      await writeFile(path.join(dir, 'toggle.json'), JSON.stringify(toggle));
    }
  });
});

describe('persisted sessions are answered once their state is durable', () => {
  /** Stands in for HA: each stable point of a persisted session waits for `release`. */
  function holdStablePoints() {
    const held: { sessionId: string; settle: (error?: Error) => void }[] = [];
    const stop = node.host.onStablePoint((point) => {
      if (!point.persist) return undefined;
      return new Promise<void>((resolve, reject) => {
        held.push({ sessionId: point.sessionId, settle: (error) => (error ? reject(error) : resolve()) });
      });
    });
    return { held, stop };
  }

  it('start, event and request wait for the snapshot to be confirmed', async () => {
    const { held, stop } = holdStablePoints();
    try {
      let answered = false;
      const starting = start({ src: 'kept.json' }).then((r) => ((answered = true), r));
      await expect.poll(() => held.length).toBe(1);
      await new Promise((r) => setTimeout(r, 50));
      expect(answered).toBe(false);
      held.shift()!.settle();
      const started = await starting;
      expect(started.status).toBe(200);
      const id = started.json.sessionid as string;

      answered = false;
      const event = post(node.url, `/scxml/session/${id}/event/go`).then((r) => ((answered = true), r));
      await expect.poll(() => held.length).toBe(1);
      await new Promise((r) => setTimeout(r, 50));
      expect(answered).toBe(false);
      held.shift()!.settle();
      expect((await event).status).toBe(200);

      const request = post(node.url, `/scxml/session/${id}/request/ask`);
      await expect.poll(() => held.length).toBe(1);
      held.shift()!.settle();
      expect((await request).status).toBe(200);
    } finally {
      stop();
    }
  });

  it('answers 503 not-durable when the snapshot is refused or not confirmed in time, and the session lives on', async () => {
    const { held, stop } = holdStablePoints();
    try {
      const starting = start({ src: 'kept.json' });
      await expect.poll(() => held.length).toBe(1);
      held.shift()!.settle();
      const id = (await starting).json.sessionid as string;

      const refused = post(node.url, `/scxml/session/${id}/event/go`);
      await expect.poll(() => held.length).toBe(1);
      held.shift()!.settle(new Error('write for node node-a with epoch 1 refused'));
      const answer = await refused;
      expect(answer.status).toBe(503);
      expect(answer.json).toMatchObject({ error: 'not-durable' });
      expect(String(answer.json.message)).toContain('refused');

      // Nobody confirms: the request timeout (300 ms here) answers.
      const unconfirmed = await post(node.url, `/scxml/session/${id}/event/back`);
      expect(unconfirmed.status).toBe(503);
      expect(String(unconfirmed.json.message)).toContain('not confirmed durable within 300 ms');
      expect((await get(node.url, `/scxml/session/${id}/query`)).status).toBe(200);
    } finally {
      stop();
    }
  });

  it('sessions that do not persist are answered without waiting', async () => {
    const { held, stop } = holdStablePoints();
    try {
      const started = await start({ src: 'toggle' });
      expect(started.status).toBe(200);
      expect((await post(node.url, `/scxml/session/${started.json.sessionid as string}/event/go`)).status).toBe(200);
      expect(held).toEqual([]);
    } finally {
      stop();
    }
  });
});

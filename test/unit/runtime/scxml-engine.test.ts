// The StrategyEngine binding to runtime/scxml, without HTTP: parameters, the scheduler
// hook, snapshot and restore (what HA recovers persisted sessions with).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createScxmlEngine } from '../../../runtime/sessions/scxml-engine.ts';
import type { SessionHostServices, SessionInit, StrategySession } from '../../../runtime/sessions/strategy-engine.ts';

const routing = path.resolve(import.meta.dirname, '../../../examples/strategies/call-routing.scxml');

function init(sessionId: string, parameters: Record<string, unknown>, session: () => StrategySession | undefined): SessionInit {
  const responses: unknown[] = [];
  const services: SessionHostServices = {
    startSession: async () => 'child',
    terminateSession: () => {},
    fetch: async () => ({ status: 200, contentType: 'text/plain', body: '' }),
    respond: (_id, _request, response) => responses.push(response) > 0,
    deliver: () => false,
  };
  // The host's job in miniature: run the session when it announces work.
  return { sessionId, parameters, services, onWork: () => setImmediate(() => session()?.runPending()) };
}

describe('createScxmlEngine', () => {
  it('fills only <data _type="parameter"> items and reports finished sessions', async () => {
    const compiled = createScxmlEngine().compile(await readFile(routing, 'utf8'), routing);
    const s: StrategySession = compiled.createSession(init('n.a', { ani: '42', route: 'hacked', queueTimeout: '10s' }, () => s));
    s.start();
    expect(s.datamodel()).toMatchObject({ ani: '42', route: null, queueTimeout: '10s' });
    s.send({ name: 'call.released' });
    expect(s.finished).toBe(true);
  });

  it('restores a snapshot with its pending delayed send in another engine', async () => {
    const text = await readFile(routing, 'utf8');
    const compiled = createScxmlEngine().compile(text, routing);
    const s: StrategySession = compiled.createSession(init('n.b', { ani: '7', queueTimeout: '300ms' }, () => s));
    s.start();
    await expect.poll(() => s.configuration()).toContain('queued');
    const snapshot = JSON.parse(JSON.stringify(s.snapshot()));
    s.cancel();

    const other = createScxmlEngine().compile(text, routing);
    expect(other.restoreSession).toBeDefined();
    const r: StrategySession = other.restoreSession!(init('n.b', {}, () => r), snapshot);
    expect(r.configuration()).toContain('queued');
    expect(r.datamodel()).toMatchObject({ ani: '7' });
    await expect.poll(() => r.datamodel().route, { timeout: 3000 }).toBe('overflow');
    expect(r.configuration()).toContain('routed');
  });
});

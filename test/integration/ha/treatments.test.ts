// A treatment (e.g. a prompt being played) that ends after a switchover still yields
// dialog.<kind>.done in the recovered session, at the time the old primary expected.
// Two runtime processes of one node in this test process (file lease, file store, sync).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../runtime/config/load-config.ts';
import { startRuntime, type RuntimeProcess } from '../../../runtime/runtime-process.ts';
import { strategyDir } from '../../support/runtime-harness.ts';
import { TimerTableEngine } from '../../support/timer-table-engine.ts';

const running: RuntimeProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const runtime of running) await runtime.stop().catch(() => {});
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Two runtime processes of node-0 (a leads, b its backup), each with its own directory of state. */
async function startPair(): Promise<{ a: RuntimeProcess; b: RuntimeProcess }> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'ors-treatment-'));
  dirs.push(base);
  const strategies = await strategyDir({ 'call.json': JSON.stringify({ initial: 'playing', persist: true, transitions: { playing: { 'dialog.playsound.done': 'done' } } }) });
  const start = async (identity: string) => {
    const config = resolveConfig({
      flags: {
        'node-id': 'node-0', auth: 'none', 'http-host': '127.0.0.1', 'http-port': 0, 'sync-port': 0, identity,
        lease: 'file', 'lease-dir': path.join(base, 'lease'), 'lease-duration': 1500, 'lease-renew-deadline': 1000, 'lease-retry-period': 100,
        'session-store': 'file', 'session-store-dir': path.join(base, 'store'), 'sync-key': 'treatment test sync key', 'strategies-dir': strategies, 'log-level': 'silent',
      },
    });
    const runtime = await startRuntime({ config, engine: new TimerTableEngine(), logger: pino({ level: 'silent' }) });
    running.push(runtime);
    return runtime;
  };
  const a = await start('a');
  await until(() => (a.roles.current().role === 'primary' ? true : undefined), 'a to lead');
  const b = await start('b');
  await until(() => (b.roles.current().primarySyncAddress ? true : undefined), 'b to see a');
  return { a, b };
}

/** The session as b recovered it, once b has taken over. */
async function recoveredOn(b: RuntimeProcess, sessionId: string) {
  await until(() => (b.roles.current().role === 'primary' ? true : undefined), 'b to take over');
  return until(async () => {
    try {
      return await b.host.query(sessionId);
    } catch {
      return undefined;
    }
  }, 'the session on b');
}

/** The session on b once dialog.playsound.done took it to `done`. */
function doneOn(b: RuntimeProcess, sessionId: string) {
  return until(async () => {
    const q = await b.host.query(sessionId);
    return q.configuration[0] === 'done' ? q : undefined;
  }, 'dialog.playsound.done', 10_000);
}

/** A pair whose primary (a) runs a call's session playing treatment t1, due to end in `endsInMs`, synced and persisted. */
async function pairPlaying(interactionId: string, endsInMs: number) {
  const { a, b } = await startPair();
  const { sessionId } = await a.host.createSession('call.json', { interactionid: interactionId });
  const expectedEndAt = Date.now() + endsInMs;
  a.ha!.treatmentStarted({ sessionId, interactionId, treatmentId: 't1', kind: 'playsound', startedAt: Date.now(), expectedEndAt });
  await new Promise((r) => setTimeout(r, 300)); // synced and persisted
  return { a, b, sessionId, expectedEndAt };
}

describe('treatments across a switchover', () => {
  it('the new primary completes a treatment that the old one started', async () => {
    const { a, b, sessionId, expectedEndAt } = await pairPlaying('call-7', 2500);

    await a.stop(); // releases the lease: b takes over at once
    const recovered = await recoveredOn(b, sessionId);
    expect(recovered.configuration).toEqual(['playing']);
    const done = await doneOn(b, sessionId);
    expect(Date.now()).toBeGreaterThanOrEqual(expectedEndAt);
    expect((done.datamodel as { events: string[] }).events).toContain('dialog.playsound.done');
    expect((done.datamodel as { lastData: unknown }).lastData).toMatchObject({ treatmentid: 't1', interactionid: 'call-7' });
  });

  it('an end the old primary told a persisted session, dying before the session’s next snapshot, is told again by the new primary (issue 22)', async () => {
    const { a, b, sessionId } = await pairPlaying('call-8', 1000);
    // The treatment ends on a: its end is completed there (the voice agent's ledger tells
    // HA, then the session), and a is gone before the session reaches its next stable
    // point, so no snapshot after the end exists anywhere.
    a.ha!.treatmentEnded(sessionId, 't1');
    await new Promise((r) => setTimeout(r, 300)); // what a published has reached b
    await a.stop();
    const recovered = await recoveredOn(b, sessionId);
    expect(recovered.configuration).toEqual(['playing']);
    // Recovered from before the end, the session still hears it (else it would wait forever).
    const done = await doneOn(b, sessionId);
    expect((done.datamodel as { lastData: unknown }).lastData).toMatchObject({ treatmentid: 't1', interactionid: 'call-8' });
  });
});

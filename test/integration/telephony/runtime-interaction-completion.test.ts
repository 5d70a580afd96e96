// A real runtime (in this process, HA with a file lease and a file store) and the
// simulator: while the interaction server cannot be reached, the completions of sessions
// that end are kept and their persisted records stay in the store (so a successor would
// recover those sessions rather than lose track of them); once it is back, every
// completion is sent again, acknowledged, and only then are the records deleted.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSim } from './sim-helpers.ts';
import { startTestRuntime, strategyDir } from '../../support/runtime-harness.ts';
import { waitFor } from '../../support/voice-test-cluster.ts';
import { createScxmlEngine } from '../../../runtime/sessions/scxml-engine.ts';
import { FileSessionStore } from '../../../runtime/store/file-session-store.ts';
import type { RuntimeProcess } from '../../../runtime/runtime-process.ts';

// Persisted; works until told to finish.
const strategy = `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="working" _persist="true">
  <datamodel><data id="InteractionId" _type="parameter" expr="''"/></datamodel>
  <state id="working"><transition event="finish" target="done"/></state>
  <final id="done"/>
</scxml>`;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function storedIds(storeDir: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of new FileSessionStore({ directory: storeDir }).listByNode('node-0')) ids.push(s.sessionId);
  return ids;
}

describe('interaction completion on a real runtime', () => {
  it('keeps completions and persisted records while the server is unreachable, and settles both once it is back', async () => {
    const s = await startSim({ queues: [{ name: 'chat', strategy: 'hold.scxml' }] });
    cleanup.push(() => s.sim.close());
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-mm-completion-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const storeDir = path.join(dir, 'store');
    const runtime: RuntimeProcess = await startTestRuntime(createScxmlEngine(), {
      'node-id': 'node-0',
      lease: 'file',
      'lease-dir': path.join(dir, 'lease'),
      'lease-duration': 2000,
      'lease-renew-deadline': 1500,
      'lease-retry-period': 200,
      'session-store': 'file',
      'session-store-dir': storeDir,
      'sync-key': 'test sync key, at least 16 bytes',
      'sync-port': 0,
      'strategies-dir': await strategyDir({ 'hold.scxml': strategy }),
      'telephony-url': s.url,
      'multimedia-pull-interval': 50,
    });
    cleanup.push(() => runtime.stop());
    const puller = runtime.telephony!.puller;

    await s.api('POST', '/interactions', { queue: 'chat', count: 5 });
    await waitFor(async () => (await storedIds(storeDir)).length === 5, 20_000, 'five persisted sessions');
    const sessions = await storedIds(storeDir);

    // The server goes away: the connection drops and reconnecting fails.
    s.sim.refuseConnections(true);
    expect(s.sim.dropConnections(`node-0-${process.pid}`)).toBe(1);
    await waitFor(() => !runtime.telephony!.connection.isReady, 5_000, 'the connection to drop');
    for (const id of sessions) runtime.host.sendEvent(id, { name: 'finish' });
    await waitFor(() => runtime.host.size === 0, 5_000, 'the sessions to end');
    await new Promise((r) => setTimeout(r, 500));
    expect(puller.pendingCompletions()).toBe(5);
    expect((await storedIds(storeDir)).sort()).toEqual([...sessions].sort());
    expect(s.sim.report().interactions).toMatchObject({ completed: 0, inProgress: 5 });

    // Back: every completion is sent again and acknowledged, then the records go.
    s.sim.refuseConnections(false);
    await waitFor(() => puller.pendingCompletions() === 0, 20_000, 'every completion to be acknowledged');
    expect(s.sim.report().interactions).toMatchObject({ enqueued: 5, pulled: 5, completed: 5, inProgress: 0, completionsRefused: 0 });
    await waitFor(async () => (await storedIds(storeDir)).length === 0, 5_000, 'the records to be deleted');
    const metrics = await (await fetch(`${runtime.url}/metrics`)).text();
    expect(metrics).toMatch(/^ors_interactions_completed_total\{node="node-0"\} 5$/m);
    expect(metrics).toMatch(/^ors_interactions_pulled_total\{node="node-0"\} 5$/m);
    expect(metrics).toMatch(/^ors_interaction_completions_pending\{node="node-0"\} 0$/m);
  }, 60_000);
});

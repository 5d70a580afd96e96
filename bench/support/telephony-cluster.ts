// For the voice and multimedia benchmarks: an `ors sim` simulator in this process, real
// `ors runtime` processes (N nodes x primary + backup) connected to it, and a bare
// protocol client as the same-run baseline (what the simulator and the protocol cost
// with no ORS logic at all: claim and route every call at once, pull and complete).
import path from 'node:path';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { TelephonySimulator } from '../../runtime/sim/telephony-simulator.ts';
import { SimConfigSchema } from '../../runtime/sim/sim-config.ts';
import type { SimConfigInput } from '../../runtime/sim/sim-config.ts';
import { spawnOrs, tempDir, writeRole } from '../../test/support/ors-processes.ts';
import type { OrsProcess } from '../../test/support/ors-processes.ts';

const strategies = path.resolve(import.meta.dirname, '../../examples/strategies');

export async function startBenchSim(input: SimConfigInput): Promise<{ sim: TelephonySimulator; url: string }> {
  const sim = new TelephonySimulator(SimConfigSchema.parse(input), pino({ level: 'silent' }));
  const { url } = await sim.listen();
  return { sim, url };
}

export async function startRuntimeCluster(url: string, nodes: string[], extra: string[] = []): Promise<{ stop: () => Promise<void> }> {
  const dir = tempDir('ors-bench-');
  const processes: OrsProcess[] = [];
  for (const nodeId of nodes) {
    for (const role of ['primary', 'backup'] as const) {
      const file = path.join(dir, `${nodeId}-${role}.json`);
      writeRole(file, role, role === 'primary' ? 1 : 0);
      processes.push(
        spawnOrs(['runtime', '--auth', 'none', '--node-id', nodeId, '--http-port', '0', '--role-file', file, '--telephony-url', url, '--cluster-nodes', nodes.join(','), '--strategies-dir', strategies, '--log-level', 'error', ...extra]),
      );
    }
  }
  await Promise.all(processes.map((p) => p.line(/listening on/, 60_000)));
  return { stop: async () => void (await Promise.all(processes.map((p) => p.stop('SIGKILL')))) };
}

export async function waitUntil(predicate: () => boolean, timeoutMs: number, state?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`benchmark timed out${state ? `: ${state()}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The baseline: one bare connection that claims and routes every ringing call, and pulls/completes interactions. */
export async function startBareClient(url: string, options: { route: boolean; pull: boolean; maxPerPull: number }): Promise<{ close: () => void }> {
  const ws = new WebSocket(url);
  await new Promise((r) => ws.once('open', r));
  // Ready only once welcomed: the server sends calls only to processes it has welcomed,
  // so a call offered before would never reach this client (and never be routed).
  let welcomed!: () => void;
  const ready = new Promise<void>((resolve) => (welcomed = resolve));
  let n = 0;
  const pending = new Map<string, (result: { interactions?: { interactionId: string }[] }) => void>();
  const request = (m: object) =>
    new Promise<{ interactions?: { interactionId: string }[] }>((resolve) => {
      const requestId = `b${n++}`;
      pending.set(requestId, resolve);
      ws.send(JSON.stringify({ ...m, requestId }));
    });
  let pulling = false;
  const pullLoop = async () => {
    if (pulling) return;
    pulling = true;
    for (;;) {
      const r = await request({ type: 'interactions.pull', queues: ['chat'], max: options.maxPerPull });
      const items = r.interactions ?? [];
      if (items.length === 0) break;
      await Promise.all(items.map((i) => request({ type: 'interaction.complete', interactionId: i.interactionId })));
    }
    pulling = false;
  };
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { type: string; requestId?: string; result?: { interactions?: { interactionId: string }[] }; callId?: string };
    if (m.type === 'response' && m.requestId) {
      pending.get(m.requestId)?.(m.result ?? {});
      pending.delete(m.requestId);
    } else if (m.type === 'welcome') {
      welcomed();
      if (options.pull) setInterval(() => void pullLoop(), 20).unref();
    } else if (m.type === 'call.ringing' && options.route) {
      const sessionId = `bare-${m.callId}`;
      void request({ type: 'call.session.attach', callId: m.callId, sessionId, nodeId: 'bare' });
      void request({ type: 'call.route', callId: m.callId, target: 'agent-1', sessionId });
    }
  });
  ws.send(JSON.stringify({ type: 'hello', protocol: 'ors-telephony', versions: [1], nodeId: 'bare', processId: 'bare', role: 'primary', capabilities: ['voice', 'multimedia'] }));
  await ready;
  return { close: () => ws.close() };
}

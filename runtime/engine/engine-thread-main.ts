// The entry of an engine thread (node:worker_threads): builds the strategy engine named by
// its thread entry, runs an EngineCore and marks in shared memory which session it is
// running and since when, so the I/O thread's watchdog can tell a runaway macrostep from
// a busy thread, and name the session to end when the thread has to be terminated.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { EngineCore } from './engine-core.ts';
import type { BusyMarker, LaneBatch } from './engine-protocol.ts';
import { decodeHostBatch, encodeLaneBatch } from './engine-wire.ts';
import { collectGarbage } from './collect-garbage.ts';
import type { MessagePort } from 'node:worker_threads';
import type { EngineThreadFactory } from './thread-entry.ts';
import { busyViews, type EngineThreadData } from './engine-thread-data.ts';

const data = workerData as EngineThreadData;

// The I/O thread (heartbeat, lease renewal, sync) goes first when cores are scarce: on
// Linux the nice value is per thread, and priority 0 names the calling thread.
try {
  setPriority(0, data.nice);
} catch {
  // Not permitted here: the engine thread keeps the process's priority.
}
const port = parentPort!;
const views = busyViews(data.busy);

const busy: BusyMarker = {
  enter(slot, at) {
    views.since[0] = performance.timeOrigin + (at ?? performance.now());
    views.slots[1] = slot;
    // Published last: the watchdog reads the slot first, then since when.
    Atomics.store(views.slots, 0, slot);
  },
  leave() {
    Atomics.store(views.slots, 0, 0);
  },
};

const module = (await import(data.entry.module)) as Record<string, EngineThreadFactory>;
const factory = module[data.entry.export];
if (typeof factory !== 'function') throw new Error(`${data.entry.module} has no engine factory ${data.entry.export}`);

const core: EngineCore = new EngineCore({
  engine: factory({
    evaluationTimeLimitMs: data.evaluationTimeLimitMs,
    call: (sessionId, method, args) => core.call(sessionId, method, args),
    deliverElsewhere: (target, event) => core.deliverElsewhere(target, event),
  }),
  recoverySnapshots: true,
  sliceMs: data.sliceMs,
  fetchTimeoutMs: data.fetchTimeoutMs,
  busy,
  send: (batch: LaneBatch) => port.postMessage(encodeLaneBatch(batch)),
});

// Whatever escapes a macrostep (a callback run by the engine outside one) must not end the
// thread and with it every session on it: report it and carry on.
const report = (error: unknown) =>
  port.postMessage(
    encodeLaneBatch({
      ack: 0,
      outcomes: [{ op: 'log', level: 'error', message: `engine thread: ${error instanceof Error ? error.message : String(error)}` }],
    }),
  );
process.on('uncaughtException', report);
process.on('unhandledRejection', report);

// Batches cross as JSON text (everything in them is JSON data: events, snapshots, answers);
// the one other message asks for a full collection before the I/O thread reads the heap.
port.on('message', (message: string | { collect: MessagePort }) => {
  if (typeof message === 'string') {
    decodeHostBatch(message, core);
    return;
  }
  collectGarbage();
  message.collect.postMessage('collected');
  message.collect.close();
});
port.postMessage(encodeLaneBatch({ ack: 0, outcomes: [] }));

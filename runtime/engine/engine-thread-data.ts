// What an engine thread is started with, and the shared memory of its busy marker:
// Int32 [0] the slot of the session running now (0: none), [1] the last one that ran;
// Float64 [1] when the current one began (ms, performance.timeOrigin-based, so both
// threads read the same clock).
import type { EngineThreadEntry } from './thread-entry.ts';

export interface EngineThreadData {
  entry: EngineThreadEntry;
  evaluationTimeLimitMs: number;
  sliceMs: number;
  fetchTimeoutMs: number;
  /** The engine thread's nice value (above the I/O thread's: it yields the core first). */
  nice: number;
  busy: SharedArrayBuffer;
}

export function newBusyMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(16);
}

export function busyViews(memory: SharedArrayBuffer): { slots: Int32Array; since: Float64Array } {
  return { slots: new Int32Array(memory, 0, 2), since: new Float64Array(memory, 8, 1) };
}

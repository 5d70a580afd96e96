// An engine thread as the I/O thread sees it, and its watchdog. The thread marks in
// shared memory which session it runs and since when; the watchdog reads that every few
// ms and, when one piece of a session's work has run past the hard limit (the in-realm
// time limit, the first line, did not stop it: a built-in that never returns, a macrostep
// that keeps re-entering a slow guard...), terminates the thread and starts a fresh one.
// A thread that ran out of its V8 heap (resourceLimits) or crashed is replaced the same
// way. The listener (the session host) then ends the session that was running and
// re-opens the thread's other sessions on the fresh thread.
//
// A thread that stops receiving batches (stuck outside any session's work) is replaced
// too. `worker.terminate()` cannot interrupt some V8 built-ins; such a thread keeps its
// core until the process ends, but no session waits for it any more.
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { BatchingLane, type LaneListener, type LaneLossReason } from './engine-lane.ts';
import type { HostCommand, LaneBatch, LaneDocument } from './engine-protocol.ts';
import { busyViews, newBusyMemory, type EngineThreadData } from './engine-thread-data.ts';
import type { EngineThreadEntry } from './thread-entry.ts';
import type { CompiledStrategy } from '../sessions/strategy-engine.ts';

export interface WorkerLaneOptions {
  entry: EngineThreadEntry;
  /** The in-realm limit of one script or expression. */
  evaluationTimeLimitMs: number;
  /** How long one piece of a session's work may run before the thread is terminated. */
  hardLimitMs: number;
  /** V8 old-generation heap of the thread (MB). */
  heapMb: number;
  sliceMs: number;
  fetchTimeoutMs: number;
  logger: Logger;
}

const ENGINE_THREAD_MAIN = new URL('./engine-thread-main.ts', import.meta.url);
/** Engine threads run 5 nice levels below the I/O thread (see engine-thread-main.ts): a third of its CPU share when they compete. */
const ENGINE_THREAD_NICE = 5;

export class WorkerLane extends BatchingLane {
  readonly recoverable = true;
  readonly #listener: LaneListener;
  readonly #options: WorkerLaneOptions;
  #worker: Worker | undefined;
  #views!: ReturnType<typeof busyViews>;
  /** Batches posted and not yet received by the thread: [batch number, posted at]. */
  #unacked: [number, number][] = [];
  readonly #watch: NodeJS.Timeout;
  #closed = false;
  /** Whether the current thread has finished loading (its first message). */
  #ready = false;
  /** Threads terminated whose exit has not been seen (possibly stuck in a built-in). */
  #terminating = 0;

  constructor(index: number, listener: LaneListener, options: WorkerLaneOptions) {
    super(index);
    this.#listener = listener;
    this.#options = options;
    this.#spawn();
    const every = Math.max(5, Math.min(100, Math.floor(options.hardLimitMs / 10)));
    this.#watch = setInterval(() => this.#check(), every);
    this.#watch.unref();
  }

  /** Threads told to terminate that have not exited yet. */
  get terminating(): number {
    return this.#terminating;
  }

  #spawn(): void {
    const busy = newBusyMemory();
    this.#views = busyViews(busy);
    const data: EngineThreadData = {
      entry: this.#options.entry,
      evaluationTimeLimitMs: this.#options.evaluationTimeLimitMs,
      sliceMs: this.#options.sliceMs,
      fetchTimeoutMs: this.#options.fetchTimeoutMs,
      nice: ENGINE_THREAD_NICE,
      busy,
    };
    const worker = new Worker(ENGINE_THREAD_MAIN, {
      workerData: data,
      name: `engine-${this.index}`,
      resourceLimits: {
        maxOldGenerationSizeMb: this.#options.heapMb,
        maxYoungGenerationSizeMb: Math.max(4, Math.min(64, Math.floor(this.#options.heapMb / 8))),
      },
      stdout: false,
      stderr: false,
    });
    this.#worker = worker;
    this.#unacked = [];
    this.#ready = false;
    worker.on('message', (message: string) => {
      if (worker !== this.#worker) return;
      const batch = JSON.parse(message) as LaneBatch;
      if (!this.#ready) {
        // Batches posted while the thread was loading wait from now on.
        this.#ready = true;
        const now = performance.now();
        for (const entry of this.#unacked) entry[1] = now;
      }
      if (batch.ack > 0) while (this.#unacked.length > 0 && this.#unacked[0]![0] <= batch.ack) this.#unacked.shift();
      this.#listener.onBatch(this, batch);
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (worker !== this.#worker) return;
      const reason: LaneLossReason = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out-of-memory' : 'crashed';
      this.#replace(reason, this.#offender(), error.message);
    });
    worker.on('exit', (code) => {
      if (worker !== this.#worker) {
        if (!this.#closed) this.#terminating--;
        return;
      }
      if (!this.#closed) this.#replace('crashed', this.#offender(), `engine thread exited with code ${code}`);
    });
  }

  /** The session running now or, when none is, the last that ran. */
  #offender(): number {
    return Atomics.load(this.#views.slots, 0) || Atomics.load(this.#views.slots, 1);
  }

  #check(): void {
    if (this.#closed || !this.#worker) return;
    const now = performance.timeOrigin + performance.now();
    const slot = Atomics.load(this.#views.slots, 0);
    const limit = this.#options.hardLimitMs;
    if (slot !== 0 && now - this.#views.since[0]! > limit) {
      this.#replace('watchdog', slot, `a macrostep ran longer than ${limit} ms`);
      return;
    }
    // Stuck outside any session's work (nothing to blame): replaced, no session ended. The
    // longer limit leaves room for a thread that a loaded machine merely starves.
    const oldest = this.#unacked[0];
    if (slot === 0 && this.#ready && oldest && performance.now() - oldest[1] > 3 * limit) {
      this.#replace('stalled', 0, `the engine thread received nothing for ${3 * limit} ms`);
    }
  }

  #replace(reason: LaneLossReason, slot: number, message: string): void {
    const lost = this.#worker;
    if (!lost || this.#closed) return;
    this.#worker = undefined;
    this.#terminating++;
    void lost.terminate();
    this.discardPending();
    this.#spawn();
    this.#options.logger.warn({ lane: this.index, reason, message }, 'engine thread replaced');
    this.#listener.onLost(this, { reason, slot, message });
  }

  protected document(id: number, compiled: CompiledStrategy): LaneDocument {
    if (!compiled.source) throw new Error(`document ${id} has no source for an engine thread to compile`);
    return { id, source: compiled.source.text, origin: compiled.source.origin, includes: compiled.source.includes };
  }

  protected deliver(batch: number, commands: HostCommand[]): void {
    if (!this.#worker) return;
    this.#unacked.push([batch, performance.now()]);
    // JSON text: one string to copy instead of a structured clone of thousands of small objects.
    this.#worker.postMessage(JSON.stringify({ batch, commands }));
  }

  async heapUsed(): Promise<number> {
    return this.#worker ? (await this.#worker.getHeapStatistics()).used_heap_size : 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#watch);
    const worker = this.#worker;
    this.#worker = undefined;
    if (!worker) return;
    // A thread stuck in a built-in never acknowledges terminate(): do not wait for it.
    this.#terminating++;
    const ended = await Promise.race([
      worker.terminate().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref()),
    ]);
    if (ended) this.#terminating--;
  }
}

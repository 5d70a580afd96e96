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
// too.
//
// Flow control: one batch in flight at a time, and the next leaves only once the thread
// has acknowledged it (with the outcomes of the slice that ran it) and has fewer than
// BACKLOG_LIMIT events left to run. A flood of events then waits on the
// I/O thread, where the next batch gathers it, instead of in the thread's session queues,
// where every queued event survives the thread's young-generation collections (copying
// them is what made a flooded engine thread cost twice the CPU per event). The limit is
// a few slices' work, so the thread never waits for the I/O thread while there is work;
// a session that runs for long does not stop the others' events (the limit counts events
// queued, not time).
//
// `worker.terminate()` cannot interrupt some V8 built-ins; such a thread keeps its core
// until the process ends, but no session waits for it any more.
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { BatchingLane, type LaneListener, type LaneLossReason } from './engine-lane.ts';
import type { HostCommand, LaneDocument } from './engine-protocol.ts';
import { decodeLaneBatch, encodeHostBatch } from './engine-wire.ts';
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
/**
 * The young generation of an engine thread (MB). Small on purpose: the per-event garbage
 * of the interpreter dies young, and a young generation of 4-8 MB stays in cache. At the
 * former 64 MB (an eighth of the heap) an engine thread spent a third more CPU per event
 * (bench/isolation.bench.ts, events per CPU-second: 0.6x of in-thread at 64 MB, 0.8x at 8).
 */
const ENGINE_THREAD_YOUNG_MB = 8;
/** Events a thread may have left to run when the next batch leaves for it. */
const BACKLOG_LIMIT = 4096;

export class WorkerLane extends BatchingLane {
  readonly recoverable = true;
  protected override readonly gathersATurn = true;
  readonly #listener: LaneListener;
  readonly #options: WorkerLaneOptions;
  #worker: Worker | undefined;
  #views!: ReturnType<typeof busyViews>;
  /** Batches posted and not yet received by the thread: [batch number, posted at]. */
  #unacked: [number, number][] = [];
  /** Events the thread had left to run at its last report, and when that report came. */
  #backlog = 0;
  #reportedAt = performance.now();
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
        maxYoungGenerationSizeMb: ENGINE_THREAD_YOUNG_MB,
      },
      stdout: false,
      stderr: false,
    });
    this.#worker = worker;
    this.#unacked = [];
    this.#backlog = 0;
    this.#reportedAt = performance.now();
    this.#ready = false;
    worker.on('message', (message: string) => {
      if (worker !== this.#worker) return;
      const batch = decodeLaneBatch(message);
      if (!this.#ready) {
        // Batches posted while the thread was loading wait from now on.
        this.#ready = true;
        const now = performance.now();
        for (const entry of this.#unacked) entry[1] = now;
      }
      if (batch.ack > 0) while (this.#unacked.length > 0 && this.#unacked[0]![0] <= batch.ack) this.#unacked.shift();
      if (batch.backlog !== undefined) this.#backlog = batch.backlog;
      this.#reportedAt = performance.now();
      this.#listener.onBatch(this, batch);
      this.release();
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
    // Commands held back for a backlog that a silent thread no longer runs count the same.
    const oldest = this.#unacked[0];
    const waitingSince = oldest ? oldest[1] : this.holding ? this.#reportedAt : undefined;
    if (slot === 0 && this.#ready && waitingSince !== undefined && performance.now() - waitingSince > 3 * limit) {
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

  protected override mayDeliver(): boolean {
    return this.#worker !== undefined && this.#unacked.length === 0 && this.#backlog < BACKLOG_LIMIT;
  }

  protected deliver(batch: number, commands: HostCommand[]): void {
    if (!this.#worker) return;
    this.#unacked.push([batch, performance.now()]);
    // One string to copy instead of a structured clone of thousands of small objects.
    this.#worker.postMessage(encodeHostBatch(batch, commands));
  }

  async heapUsed(options: { collect?: boolean } = {}): Promise<number> {
    const worker = this.#worker;
    if (!worker) return 0;
    if (options.collect) {
      // The thread collects and answers on a port of its own (its batches port carries JSON text only).
      const { port1, port2 } = new MessageChannel();
      const collected = new Promise((resolve) => port1.once('message', resolve));
      worker.postMessage({ collect: port2 }, [port2]);
      await collected;
      port1.close();
    }
    return (await worker.getHeapStatistics()).used_heap_size;
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

// An engine lane as the I/O thread sees it: where a session's commands go, batched, and
// where its outcomes come from. Two kinds: WorkerLane (an engine thread, watched and
// replaced when lost) and InThreadLane (engines that cannot run on a thread: the test
// table engines and the bench's in-thread baseline).
import type { HostCommand, LaneBatch, LaneDocument } from './engine-protocol.ts';
import type { CompiledStrategy } from '../sessions/strategy-engine.ts';

export type LaneLossReason = 'watchdog' | 'out-of-memory' | 'stalled' | 'crashed';

export interface LaneLoss {
  reason: LaneLossReason;
  /** The slot of the session that was running when the thread was lost (0: none known). */
  slot: number;
  message: string;
}

export interface LaneListener {
  onBatch(lane: EngineLane, batch: LaneBatch): void;
  /** The lane's thread was lost and replaced by a fresh one that knows no session yet. */
  onLost(lane: EngineLane, loss: LaneLoss): void;
}

export interface EngineLane {
  readonly index: number;
  /** Whether the lane can be lost (then its sessions are journaled and snapshotted for restores). */
  readonly recoverable: boolean;
  /** Queues a command; every command of one event-loop turn leaves in one batch. */
  post(command: HostCommand): void;
  /** Makes the document known to the lane before a session of it is opened there. */
  ensureDocument(id: number, compiled: CompiledStrategy): void;
  /**
   * Bytes of V8 heap in use where the lane's sessions live; with `collect`, after a full
   * garbage collection there when the process allows one (`--expose-gc`: the bench).
   */
  heapUsed(options?: { collect?: boolean }): Promise<number>;
  close(): Promise<void>;
}

/**
 * Commands a batch gathers before it leaves without waiting a turn (gathersATurn). A batch
 * for an engine thread wakes it, and on a virtual machine a wake-up (an inter-processor
 * interrupt, a VM exit) costs more than running a dozen events: under HTTP load, batches
 * of two turns' requests cut the wake-ups by a third (bench/runtime-http.bench.ts).
 */
const GATHER_LIMIT = 64;

/** Batches commands per event-loop turn (or two) and keeps track of the documents the lane has. */
export abstract class BatchingLane implements EngineLane {
  abstract readonly recoverable: boolean;
  readonly index: number;
  #pending: HostCommand[] = [];
  #scheduled = false;
  /** The pending commands have waited one turn of the event loop already. */
  #gathered = false;
  #batch = 0;
  protected readonly knownDocuments = new Set<number>();

  constructor(index: number) {
    this.index = index;
  }

  post(command: HostCommand): void {
    this.#pending.push(command);
    this.release();
  }

  /** Delivers what is pending at the end of this turn, if the lane takes it now (mayDeliver). */
  protected release(): void {
    if (this.#scheduled || this.#pending.length === 0) return;
    this.#scheduled = true;
    setImmediate(this.#deliverPending);
  }

  readonly #deliverPending = (): void => {
    this.#scheduled = false;
    if (this.#pending.length === 0 || !this.mayDeliver()) return;
    if (this.gathersATurn && !this.#gathered && this.#pending.length < GATHER_LIMIT) {
      // One more turn of the event loop first: a busy I/O thread reads more requests in it,
      // and they leave in the same batch. An idle one spends microseconds on the turn.
      this.#gathered = true;
      this.#scheduled = true;
      setImmediate(this.#deliverPending);
      return;
    }
    this.#gathered = false;
    const commands = this.#pending;
    this.#pending = [];
    this.deliver(++this.#batch, commands);
  };

  /** Whether a small batch waits one more turn of the event loop (lanes on a thread of their own). */
  protected readonly gathersATurn: boolean = false;

  /** Commands are waiting for the lane to take them. */
  protected get holding(): boolean {
    return this.#pending.length > 0;
  }

  /** Whether a batch may leave now; a lane that says no calls release() when it may. */
  protected mayDeliver(): boolean {
    return true;
  }

  /** Drops what was queued for a lost thread (the host re-posts what the fresh one needs). */
  protected discardPending(): void {
    this.#pending = [];
    this.knownDocuments.clear();
  }

  ensureDocument(id: number, compiled: CompiledStrategy): void {
    if (this.knownDocuments.has(id)) return;
    this.knownDocuments.add(id);
    this.post({ op: 'doc', doc: this.document(id, compiled) });
  }

  protected abstract document(id: number, compiled: CompiledStrategy): LaneDocument;
  protected abstract deliver(batch: number, commands: HostCommand[]): void;
  abstract heapUsed(options?: { collect?: boolean }): Promise<number>;
  abstract close(): Promise<void>;
}

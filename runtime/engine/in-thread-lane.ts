// A lane whose EngineCore runs on the I/O thread: for engines without a thread entry
// (test table engines, which run no strategy code) and as the bench's in-thread baseline.
// Nothing to watch: the interpreter's own time limit is all there is.
import { EngineCore } from './engine-core.ts';
import { BatchingLane, type LaneListener } from './engine-lane.ts';
import { NOT_BUSY, type HostCommand, type LaneDocument } from './engine-protocol.ts';
import type { CompiledStrategy } from '../sessions/strategy-engine.ts';
import { collectGarbage } from './collect-garbage.ts';

export class InThreadLane extends BatchingLane {
  readonly recoverable = false;
  readonly #core: EngineCore;

  constructor(index: number, listener: LaneListener, options: { sliceMs: number; fetchTimeoutMs: number }) {
    super(index);
    this.#core = new EngineCore({
      recoverySnapshots: false,
      sliceMs: options.sliceMs,
      fetchTimeoutMs: options.fetchTimeoutMs,
      busy: NOT_BUSY,
      send: (batch) => listener.onBatch(this, batch),
    });
  }

  protected document(id: number, compiled: CompiledStrategy): LaneDocument {
    return { id, compiled };
  }

  protected deliver(batch: number, commands: HostCommand[]): void {
    this.#core.receive(batch, commands);
  }

  async heapUsed(options: { collect?: boolean } = {}): Promise<number> {
    if (options.collect) collectGarbage();
    return process.memoryUsage().heapUsed;
  }

  async close(): Promise<void> {}
}

// How a lane batches commands: every command of one event-loop turn leaves in one batch,
// and a lane on a thread of its own (gathersATurn) lets a small batch wait one more turn,
// so a busy I/O thread wakes its engine thread half as often. Pure logic: a lane that
// records what it would post.
import { describe, expect, it } from 'vitest';
import { BatchingLane } from '../../../runtime/engine/engine-lane.ts';
import type { HostCommand, LaneDocument } from '../../../runtime/engine/engine-protocol.ts';

class RecordingLane extends BatchingLane {
  readonly recoverable = false;
  readonly batches: HostCommand[][] = [];
  protected override readonly gathersATurn: boolean;

  constructor(gathers: boolean) {
    super(0);
    this.gathersATurn = gathers;
  }

  protected document(id: number): LaneDocument {
    return { id };
  }

  protected deliver(_batch: number, commands: HostCommand[]): void {
    this.batches.push(commands);
  }

  async heapUsed(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {}
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const event = (seq: number): HostCommand => ({ op: 'event', slot: 1, seq, event: { name: 'e' } });

describe('BatchingLane', () => {
  it('without gathering, each turn of commands leaves as a batch of its own', async () => {
    const lane = new RecordingLane(false);
    lane.post(event(1));
    await turn();
    lane.post(event(2));
    await turn();
    await turn();
    expect(lane.batches).toEqual([[event(1)], [event(2)]]);
  });

  it('a lane that gathers sends two turns of commands in one batch', async () => {
    const lane = new RecordingLane(true);
    lane.post(event(1));
    await turn();
    lane.post(event(2));
    await turn();
    await turn();
    expect(lane.batches).toEqual([[event(1), event(2)]]);
  });

  it('a lone command still leaves within two turns', async () => {
    const lane = new RecordingLane(true);
    lane.post(event(1));
    await turn();
    await turn();
    expect(lane.batches).toEqual([[event(1)]]);
  });

  it('a large batch leaves without waiting the extra turn', async () => {
    const lane = new RecordingLane(true);
    const many = Array.from({ length: 64 }, (_, i) => event(i + 1));
    for (const command of many) lane.post(command);
    await turn();
    expect(lane.batches).toEqual([many]);
  });
});

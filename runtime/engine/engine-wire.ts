// How a batch of host commands crosses to an engine thread (and a batch of outcomes back):
// one JSON text per batch, a flat array rather than an object per command. Events are most
// of the traffic, and what an object per event costs to encode and decode (its keys, the
// session's id) was most of the thread hop's price: events go as the session's slot, the
// sequence number of the first, and then each event as its bare name when a name is all it
// has. Consecutive events of one session share the slot and the sequence number (a run).
//
//   [batch, EVENTS, slot, firstSeq, count, event1 ... eventN, COMMAND, {command}, ...]
//
// Decoding hands each event to the sink as it goes, without a command object per event.
import type { HostCommand, LaneBatch, LaneOutcome } from './engine-protocol.ts';
import type { ExternalEvent } from '../sessions/strategy-engine.ts';

const EVENTS = 0;
const COMMAND = 1;

/** What a decoded batch is handed to (the engine thread's EngineCore). */
export interface HostBatchSink {
  acknowledge(batch: number): void;
  apply(command: HostCommand): void;
  event(slot: number, seq: number, event: ExternalEvent): void;
}

/** An event with a name and nothing else crosses as the name alone. */
function nameOnly(event: ExternalEvent): boolean {
  if (typeof event.name !== 'string') return false;
  for (const key in event) {
    if (key !== 'name' && (event as unknown as Record<string, unknown>)[key] !== undefined) return false;
  }
  return true;
}

export function encodeHostBatch(batch: number, commands: readonly HostCommand[]): string {
  const out: unknown[] = [batch];
  // Where the count of the open run of events is, and the run's slot and next sequence number.
  let countAt = -1;
  let runSlot = 0;
  let runSeq = 0;
  for (const command of commands) {
    if (command.op !== 'event') {
      out.push(COMMAND, command);
      countAt = -1;
      continue;
    }
    if (countAt < 0 || command.slot !== runSlot || command.seq !== runSeq) {
      out.push(EVENTS, command.slot, command.seq, 0);
      countAt = out.length - 1;
      runSlot = command.slot;
    }
    (out[countAt] as number)++;
    runSeq = command.seq + 1;
    out.push(nameOnly(command.event) ? command.event.name : command.event);
  }
  return JSON.stringify(out);
}

export function decodeHostBatch(text: string, sink: HostBatchSink): void {
  const items = JSON.parse(text) as unknown[];
  let i = 1;
  while (i < items.length) {
    if (items[i] === COMMAND) {
      sink.apply(items[i + 1] as HostCommand);
      i += 2;
      continue;
    }
    const slot = items[i + 1] as number;
    const seq = items[i + 2] as number;
    const count = items[i + 3] as number;
    i += 4;
    for (let k = 0; k < count; k++, i++) {
      const item = items[i] as string | ExternalEvent;
      sink.event(slot, seq + k, typeof item === 'string' ? { name: item } : item);
    }
  }
  // Last: the acknowledgement can then ride on the flush of the work the batch brought.
  sink.acknowledge(items[0] as number);
}

// The way back, a lane batch: [ack, backlog, PROGRESS, slot, seq, flags, events[, snapshot],
// OUTCOME, {outcome}, ...]. Progress is one per session that ran in a slice, so nearly one
// per event under HTTP load; as numbers it costs a fraction of an object's keys to write
// and to parse.
const PROGRESS = 0;
const OUTCOME = 1;
const STABLE = 1;
const WITH_SNAPSHOT = 2;

export function encodeLaneBatch(batch: LaneBatch): string {
  const out: unknown[] = [batch.ack, batch.backlog ?? -1];
  for (const outcome of batch.outcomes) {
    if (outcome.op !== 'progress') {
      out.push(OUTCOME, outcome);
      continue;
    }
    const flags = (outcome.stable ? STABLE : 0) | (outcome.snapshot !== undefined ? WITH_SNAPSHOT : 0);
    out.push(PROGRESS, outcome.slot, outcome.seq, flags, outcome.events);
    if (outcome.snapshot !== undefined) out.push(outcome.snapshot);
  }
  return JSON.stringify(out);
}

export function decodeLaneBatch(text: string): LaneBatch {
  const items = JSON.parse(text) as unknown[];
  const backlog = items[1] as number;
  const batch: LaneBatch = { ack: items[0] as number, outcomes: [], ...(backlog >= 0 ? { backlog } : {}) };
  let i = 2;
  while (i < items.length) {
    if (items[i] === OUTCOME) {
      batch.outcomes.push(items[i + 1] as LaneOutcome);
      i += 2;
      continue;
    }
    const flags = items[i + 3] as number;
    const progress: LaneOutcome = {
      op: 'progress',
      slot: items[i + 1] as number,
      seq: items[i + 2] as number,
      stable: (flags & STABLE) !== 0,
      events: items[i + 4] as number,
    };
    i += 5;
    if (flags & WITH_SNAPSHOT) progress.snapshot = items[i++] as string;
    batch.outcomes.push(progress);
  }
  return batch;
}

// The compact encoding of host batches for engine threads and of their outcome batches
// back: what is decoded is what was sent, in the same order, events of a run keep their
// own sequence numbers, an event with more than a name keeps all of it, and progress
// crosses as numbers with its snapshot when it has one.
import { describe, expect, it } from 'vitest';
import type { HostCommand, LaneBatch } from '../../../runtime/engine/engine-protocol.ts';
import { decodeHostBatch, decodeLaneBatch, encodeHostBatch, encodeLaneBatch, type HostBatchSink } from '../../../runtime/engine/engine-wire.ts';
import type { ExternalEvent } from '../../../runtime/sessions/strategy-engine.ts';

function decoded(text: string): { batch: number; commands: HostCommand[] } {
  let batch = 0;
  const commands: HostCommand[] = [];
  const sink: HostBatchSink = {
    acknowledge: (n) => (batch = n),
    apply: (command) => commands.push(command),
    event: (slot: number, seq: number, event: ExternalEvent) => commands.push({ op: 'event', slot, seq, event }),
  };
  decodeHostBatch(text, sink);
  return { batch, commands };
}

describe('engine wire', () => {
  it('decodes every command in order, events as runs per session', () => {
    const commands: HostCommand[] = [
      { op: 'doc', doc: { id: 1, source: '<scxml/>', origin: 'a.scxml' } },
      { op: 'create', sid: 'node-a-1', slot: 7, docId: 1, parameters: { x: 1 } },
      { op: 'start', slot: 7, seq: 1 },
      { op: 'event', slot: 7, seq: 2, event: { name: 'a' } },
      { op: 'event', slot: 7, seq: 3, event: { name: 'b', data: { deep: [1, 2] }, sendid: 'r1' } },
      { op: 'event', slot: 7, seq: 4, event: { name: 'c' } },
      { op: 'event', slot: 8, seq: 10, event: { name: 'a' } },
      // Not the next sequence number of the run: a run of its own.
      { op: 'event', slot: 8, seq: 12, event: { name: 'a' } },
      { op: 'query', slot: 7, qid: 3 },
      { op: 'event', slot: 7, seq: 5, event: { name: 'd', origin: '#_scxml_x', origintype: 'http://www.w3.org/TR/scxml/#SCXMLEventProcessor' } },
      { op: 'cancel', slot: 8 },
      { op: 'reply', callId: 4, ok: false, message: 'no' },
    ];
    const text = encodeHostBatch(42, commands);
    expect(decoded(text)).toEqual({ batch: 42, commands });
    // The session id crosses once (with its create), not with every event.
    expect(text.split('node-a-1').length - 1).toBe(1);
  });

  it('an event whose other fields are undefined crosses as its name', () => {
    const text = encodeHostBatch(1, [{ op: 'event', slot: 1, seq: 1, event: { name: 'n', data: undefined } }]);
    expect(text).toBe('[1,0,1,1,1,"n"]');
    expect(decoded(text).commands).toEqual([{ op: 'event', slot: 1, seq: 1, event: { name: 'n' } }]);
  });

  it('decodes a lane batch as it was sent: progress by slot, other outcomes whole', () => {
    const snapshot = JSON.stringify({ configuration: ['a'], datamodel: { n: '"quoted"' } });
    const batch: LaneBatch = {
      ack: 9,
      backlog: 17,
      outcomes: [
        { op: 'progress', slot: 3, seq: 12, stable: true, events: 2 },
        { op: 'respond', sid: 'node-a-1', requestId: 'r1', response: { status: 200, data: { ok: true } } },
        { op: 'progress', slot: 4, seq: 1, stable: false, snapshot, events: 0 },
        { op: 'finished', sid: 'node-a-2', reason: 'failed', message: 'boom' },
        { op: 'progress', slot: 5, seq: 7, stable: false, events: 1 },
      ],
    };
    expect(decodeLaneBatch(encodeLaneBatch(batch))).toEqual(batch);
    // A batch without a backlog (an engine thread's error report) has none after decoding.
    const report: LaneBatch = { ack: 0, outcomes: [{ op: 'log', level: 'error', message: 'x' }] };
    expect(decodeLaneBatch(encodeLaneBatch(report))).toEqual(report);
    // Progress carries no session id and no key names.
    expect(encodeLaneBatch({ ack: 1, backlog: 0, outcomes: [{ op: 'progress', slot: 3, seq: 12, stable: true, events: 2 }] })).toBe('[1,0,0,3,12,1,2]');
  });
});

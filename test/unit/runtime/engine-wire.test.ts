// The compact encoding of host batches for engine threads: what is decoded is what was
// sent, in the same order, events of a run keep their own sequence numbers, and an event
// with more than a name keeps all of it.
import { describe, expect, it } from 'vitest';
import type { HostCommand } from '../../../runtime/engine/engine-protocol.ts';
import { decodeHostBatch, encodeHostBatch, type HostBatchSink } from '../../../runtime/engine/engine-wire.ts';
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
});

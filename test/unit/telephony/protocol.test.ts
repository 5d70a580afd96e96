import { describe, expect, it } from 'vitest';
import { CLIENT_MESSAGE_TYPES, decodeClientMessage, decodeServerMessage, SERVER_MESSAGE_TYPES } from '../../../runtime/telephony/protocol.ts';
import { negotiateVersion } from '../../../runtime/telephony/connection-messages.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const hello = { type: 'hello', protocol: 'ors-telephony', versions: [1], nodeId: 'n0', processId: 'n0-a', role: 'primary', capabilities: ['voice'] };

describe('telephony protocol', () => {
  it('decodes a valid hello and applies defaults to call events', () => {
    expect(decodeClientMessage(JSON.stringify(hello))).toEqual({ ok: true, message: hello });
    const ringing = decodeServerMessage(JSON.stringify({ type: 'call.ringing', callId: 'c1', seq: 1, at: 5, routingPoint: '5000' }));
    expect(ringing).toEqual({ ok: true, message: { type: 'call.ringing', callId: 'c1', seq: 1, at: 5, routingPoint: '5000', callType: 'inbound', attachedData: {} } });
  });

  it('reports malformed frames without throwing', () => {
    for (const raw of ['{', '', '42', '[1,2]', 'null', '{"no":"type"}', '{"type":7}']) {
      const d = decodeServerMessage(raw);
      expect(d.ok).toBe(false);
      if (!d.ok) expect(d.code).toBe('malformed');
    }
  });

  it('reports unknown types, keeping the request id for the answer', () => {
    const d = decodeClientMessage('{"type":"call.teleport","requestId":"r9"}');
    expect(d).toEqual({ ok: false, code: 'unknown-type', message: 'unknown message type "call.teleport"', requestId: 'r9' });
    // A server message type is not a client message type.
    expect(decodeClientMessage('{"type":"call.ringing","callId":"c","seq":1,"at":1,"routingPoint":"r"}')).toMatchObject({ ok: false, code: 'unknown-type' });
  });

  it('names the bad field of an invalid message', () => {
    const d = decodeClientMessage(JSON.stringify({ type: 'interactions.pull', requestId: 'r1', queues: [], max: 0 }));
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.code).toBe('invalid');
      expect(d.message).toMatch(/queues/);
      expect(d.message).toMatch(/max/);
      expect(d.requestId).toBe('r1');
    }
  });

  it('negotiates the highest common version, or none', () => {
    expect(negotiateVersion([1, 2, 3], [1, 2])).toBe(2);
    expect(negotiateVersion([1])).toBe(1);
    expect(negotiateVersion([7, 8])).toBeUndefined();
  });

  it('documents every message type in PROTOCOL.md', () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../../runtime/telephony/PROTOCOL.md'), 'utf8');
    for (const type of [...CLIENT_MESSAGE_TYPES, ...SERVER_MESSAGE_TYPES]) expect(doc).toContain(`\`${type}\``);
  });
});

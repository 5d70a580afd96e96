import { describe, expect, it } from 'vitest';
import { decodeRecords, encodeRecord } from '../../../runtime/store/log-record-codec.ts';

const log = Buffer.concat([encodeRecord({ a: 1 }), encodeRecord({ b: 'two' }), encodeRecord({ c: [3] })]);

describe('log record codec', () => {
  it('decodes what it encodes', () => {
    expect(decodeRecords(log)).toEqual({ kind: 'ok', records: [{ a: 1 }, { b: 'two' }, { c: [3] }], validBytes: log.length });
  });

  it('reports a record cut anywhere in its last bytes as a torn tail, keeping the records before it', () => {
    const lastStart = log.length - encodeRecord({ c: [3] }).length;
    for (let cut = lastStart + 1; cut < log.length; cut++) {
      const result = decodeRecords(log.subarray(0, cut));
      expect(result.kind).toBe('torn-tail');
      expect(result.records).toEqual([{ a: 1 }, { b: 'two' }]);
      expect(result.validBytes).toBe(lastStart);
    }
  });

  it('treats a garbled last record (size written, data not) as a torn tail', () => {
    const torn = Buffer.from(log);
    torn.fill(0, log.length - 3);
    expect(decodeRecords(torn).kind).toBe('torn-tail');
  });

  it('reports a flipped bit in the middle as corruption with its offset', () => {
    const bad = Buffer.from(log);
    const secondStart = encodeRecord({ a: 1 }).length;
    bad[secondStart + 10] ^= 0x01;
    const result = decodeRecords(bad);
    expect(result).toMatchObject({ kind: 'corrupt', offset: secondStart, records: [{ a: 1 }] });
  });

  it('reports an impossible length as corruption', () => {
    const bad = Buffer.concat([encodeRecord({ a: 1 }), Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), encodeRecord({ b: 1 })]);
    expect(decodeRecords(bad).kind).toBe('corrupt');
  });
});

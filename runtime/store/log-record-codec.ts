// The framing of the file store's append-only logs: [u32 length][u32 crc32][JSON], big
// endian. Decoding tells a torn tail (a write cut short by a crash: the last record is
// incomplete or fails its checksum) from corruption in the middle (a bad record followed
// by more data), because the first is expected after kill -9 and the second is not.
import { crc32 } from 'node:zlib';

const HEADER_BYTES = 8;
/** Larger than any snapshot we write; a bigger declared length means a garbled header. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export function encodeRecord(value: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(value), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(payload.length, 0);
  header.writeUInt32BE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

export type DecodeResult =
  | { kind: 'ok'; records: unknown[]; validBytes: number }
  | { kind: 'torn-tail'; records: unknown[]; validBytes: number; reason: string }
  | { kind: 'corrupt'; records: unknown[]; validBytes: number; offset: number; reason: string };

export function decodeRecords(data: Buffer): DecodeResult {
  const records: unknown[] = [];
  let offset = 0;
  while (offset < data.length) {
    const remaining = data.length - offset;
    if (remaining < HEADER_BYTES) return { kind: 'torn-tail', records, validBytes: offset, reason: 'incomplete header' };
    const length = data.readUInt32BE(offset);
    const checksum = data.readUInt32BE(offset + 4);
    const end = offset + HEADER_BYTES + length;
    if (length > MAX_RECORD_BYTES) {
      return { kind: 'corrupt', records, validBytes: offset, offset, reason: `record length ${length} is impossible` };
    }
    if (end > data.length) return { kind: 'torn-tail', records, validBytes: offset, reason: 'incomplete record' };
    const payload = data.subarray(offset + HEADER_BYTES, end);
    let problem: string | undefined;
    if (crc32(payload) !== checksum) problem = 'checksum mismatch';
    let value: unknown;
    if (!problem) {
      try {
        value = JSON.parse(payload.toString('utf8'));
      } catch {
        problem = 'payload is not JSON';
      }
    }
    if (problem) {
      if (end === data.length) return { kind: 'torn-tail', records, validBytes: offset, reason: problem };
      return { kind: 'corrupt', records, validBytes: offset, offset, reason: problem };
    }
    records.push(value);
    offset = end;
  }
  return { kind: 'ok', records, validBytes: offset };
}

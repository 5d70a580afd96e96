// Length-prefixed frames on a byte stream: [u32 big-endian length][UTF-8 JSON]. The
// decoder is fed whatever chunks TCP delivers and returns whole frames; a length over the
// limit or bytes that are not JSON make it fail for good (the caller closes the socket).
export function encodeFrame(value: unknown): Buffer {
  return encodeFrameText(JSON.stringify(value));
}

/** A frame around JSON text the caller already has. */
export function encodeFrameText(json: string): Buffer {
  const length = Buffer.byteLength(json, 'utf8');
  const frame = Buffer.allocUnsafe(4 + length);
  frame.writeUInt32BE(length, 0);
  frame.write(json, 4, 'utf8');
  return frame;
}

export type DecodeOutcome = { ok: true; frames: unknown[] } | { ok: false; reason: string };

export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);
  private failed: string | undefined;
  /** May be lowered (before authentication) or raised (after). */
  maxFrameBytes: number;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  push(chunk: Buffer): DecodeOutcome {
    if (this.failed) return { ok: false, reason: this.failed };
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: unknown[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (length > this.maxFrameBytes) return this.fail(`frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`);
      if (this.buffered.length < 4 + length) break;
      const payload = this.buffered.subarray(4, 4 + length);
      this.buffered = this.buffered.subarray(4 + length);
      try {
        frames.push(JSON.parse(payload.toString('utf8')));
      } catch {
        return this.fail('frame payload is not JSON');
      }
    }
    return { ok: true, frames };
  }

  private fail(reason: string): DecodeOutcome {
    this.failed = reason;
    this.buffered = Buffer.alloc(0);
    return { ok: false, reason };
  }
}

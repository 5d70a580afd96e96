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
  /** Bytes received and not decoded yet, as they came: joined only once a whole frame is there. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private failed: string | undefined;
  /** May be lowered (before authentication) or raised (after). */
  maxFrameBytes: number;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  push(chunk: Buffer): DecodeOutcome {
    if (this.failed) return { ok: false, reason: this.failed };
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: unknown[] = [];
    while (this.pendingBytes >= 4) {
      // A frame's bytes may span many chunks (a snapshot of megabytes arrives in 64 KiB
      // reads): concatenating on every chunk copied it over and over.
      if (this.pending[0]!.length < 4) this.join();
      const length = this.pending[0]!.readUInt32BE(0);
      if (length > this.maxFrameBytes) return this.fail(`frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`);
      if (this.pendingBytes < 4 + length) break;
      if (this.pending[0]!.length < 4 + length) this.join();
      const first = this.pending[0]!;
      const payload = first.subarray(4, 4 + length);
      if (first.length === 4 + length) this.pending.shift();
      else this.pending[0] = first.subarray(4 + length);
      this.pendingBytes -= 4 + length;
      try {
        frames.push(JSON.parse(payload.toString('utf8')));
      } catch {
        return this.fail('frame payload is not JSON');
      }
    }
    return { ok: true, frames };
  }

  private join(): void {
    this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
  }

  private fail(reason: string): DecodeOutcome {
    this.failed = reason;
    this.pending = [];
    this.pendingBytes = 0;
    return { ok: false, reason };
  }
}

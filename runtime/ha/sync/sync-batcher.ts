// When the primary sends what it has buffered: at once when the link is idle (so a quiet
// system has no added latency), and otherwise as soon as the buffer reaches
// backup-synch-max-buffer bytes or its oldest event backup-synch-max-age ms.
export interface BatchLimits {
  maxBufferBytes: number;
  maxAgeMs: number;
}

export interface BufferState {
  bytes: number;
  /** When the oldest buffered event was added; undefined when empty. */
  oldestAt: number | undefined;
  /** Whether the socket still has unsent data (write() returned false and no 'drain' yet). */
  linkBusy: boolean;
}

export type FlushDecision = { flush: true } | { flush: false; recheckInMs: number | undefined };

export function decideFlush(buffer: BufferState, limits: BatchLimits, now: number): FlushDecision {
  if (buffer.oldestAt === undefined) return { flush: false, recheckInMs: undefined };
  if (!buffer.linkBusy) return { flush: true };
  if (buffer.bytes >= limits.maxBufferBytes) return { flush: true };
  const age = now - buffer.oldestAt;
  if (age >= limits.maxAgeMs) return { flush: true };
  return { flush: false, recheckInMs: limits.maxAgeMs - age };
}

/** Reconnect delays: doubling from `initialMs` up to `maxMs`, with up to 20% jitter. */
export function reconnectDelay(attempt: number, initialMs: number, maxMs: number, random: number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 + 0.2 * random));
}

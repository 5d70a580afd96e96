// Completions a runtime owes the interaction server: a session ended, its interaction
// must be reported complete, and the report may be lost in transit (connection down,
// no answer). Each stays here until the server acknowledges it (completion is
// idempotent on the server, so sending one twice is harmless) or refuses it for good.
import type { TelephonyRequestError } from './telephony-connection.ts';

export interface PendingCompletion {
  interactionId: string;
  sessionId: string;
  /** A request for it is on the wire. */
  inFlight: boolean;
  attempts: number;
}

/** Whether a failed completion is worth sending again: only when it may not have arrived. */
export function isTransientFailure(code: TelephonyRequestError['code']): boolean {
  return code === 'disconnected' || code === 'timeout';
}

export class PendingCompletions {
  private readonly pending = new Map<string, PendingCompletion>();

  get size(): number {
    return this.pending.size;
  }

  has(interactionId: string): boolean {
    return this.pending.has(interactionId);
  }

  add(interactionId: string, sessionId: string): void {
    if (!this.pending.has(interactionId)) this.pending.set(interactionId, { interactionId, sessionId, inFlight: false, attempts: 0 });
  }

  /** Those to send now (not already on the wire); marks them in flight. */
  takeDue(): PendingCompletion[] {
    const due = [...this.pending.values()].filter((c) => !c.inFlight);
    for (const c of due) {
      c.inFlight = true;
      c.attempts++;
    }
    return due;
  }

  /** The server acknowledged it, or refused it for good: forget it. */
  settle(interactionId: string): PendingCompletion | undefined {
    const c = this.pending.get(interactionId);
    this.pending.delete(interactionId);
    return c;
  }

  /** It may not have arrived: send it again at the next opportunity. */
  retryLater(interactionId: string): void {
    const c = this.pending.get(interactionId);
    if (c) c.inFlight = false;
  }
}

// Answers during a takeover (runtime/ha/FAILOVER.md): a promoted backup answers /heartbeat
// with 200 from the moment it holds the lease, while it is still bringing its node's
// sessions back. A request for a session it does not have yet must not get 404 (a client
// that trusts a 404 drops a live session): it waits for the recovery, at most
// `request-timeout`, and otherwise gets 503 with Retry-After.
import { HttpError } from '../http/http-error.ts';

export interface TakeoverGate {
  /** Resolves once a request for `sessionId` may be answered from what this process has; throws HttpError 503 if recovery outlasts the wait. */
  awaitSession(sessionId: string): Promise<void>;
}

export interface RecoveryInProgress {
  /** Whether the session is here already (live or recently finished). */
  has(sessionId: string): boolean;
  /** The running promotion's recovery, settled when it is done; undefined when none runs. */
  pending(): Promise<void> | undefined;
}

export function takeoverGate(recovery: RecoveryInProgress, waitMs: number): TakeoverGate {
  return {
    async awaitSession(sessionId) {
      const pending = recovery.pending();
      if (!pending || recovery.has(sessionId)) return;
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        pending.then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), waitMs);
        }),
      ]);
      clearTimeout(timer);
      if (finished || recovery.has(sessionId)) return;
      throw new HttpError(503, 'recovering', `this process just became primary and is still recovering its node's sessions; ${sessionId} may be among them: retry shortly`, {
        headers: { 'retry-after': '1' },
      });
    },
  };
}

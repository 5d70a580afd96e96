// The runtime's SessionHost seen through CallSessionPort, the narrow interface the voice
// agent and the interaction puller use.
import type { SessionHost } from '../sessions/session-host.ts';
import type { CallSessionPort, ExternalEventLike, PreparedSession } from './call-session-port.ts';

/** A prepared session starts by itself after this long if nobody starts or drops it (a lost claim response). */
const PREPARED_START_LIMIT_MS = 60_000;

export class SessionHostPort implements CallSessionPort {
  private readonly host: SessionHost;

  constructor(host: SessionHost) {
    this.host = host;
  }

  async prepare(strategy: string, parameters: Record<string, unknown>): Promise<PreparedSession> {
    const summary = await this.host.createSession(strategy, parameters, { startAt: Date.now() + PREPARED_START_LIMIT_MS });
    const sessionId = summary.sessionId;
    // The host may have ended the session meanwhile (a deposed primary drops every
    // session at once): starting or dropping it is then nothing to do, never an error.
    return {
      sessionId,
      start: () => {
        if (this.host.isLive(sessionId)) this.host.startNow(sessionId);
      },
      discard: () => {
        if (this.host.isLive(sessionId)) this.host.terminate(sessionId, 'call claimed by another session');
      },
    };
  }

  deliver(sessionId: string, event: ExternalEventLike): boolean {
    if (!this.host.isLive(sessionId)) return false;
    try {
      this.host.sendEvent(sessionId, { name: event.name, data: event.data });
      return true;
    } catch {
      return false; // full queue or finished meanwhile: the host has counted it
    }
  }

  isAlive(sessionId: string): boolean {
    return this.host.isLive(sessionId);
  }

  liveSessions(): number {
    return this.host.size;
  }

  onSessionCreated(listener: (sessionId: string) => void): () => void {
    return this.host.onLifecycle((change) => {
      if (change.kind === 'created') listener(change.sessionId);
    });
  }

  onSessionEnded(listener: (sessionId: string, reason?: string) => void): () => void {
    return this.host.onLifecycle((change) => {
      if (change.kind === 'finished') listener(change.sessionId, change.reason);
    });
  }
}

// What the voice and multimedia agents need from the node's session host. The runtime's
// SessionHost is adapted to it (session-host-port.ts); keeping it this narrow lets the
// agents be driven by any host that can create, feed and end sessions.
export interface ExternalEventLike {
  name: string;
  data?: unknown;
}

export interface PreparedSession {
  sessionId: string;
  /** Starts the session (its first macrostep runs). */
  start(): void;
  /** Drops a session that was prepared but lost the claim on its call. */
  discard(): void;
}

export interface CallSessionPort {
  /**
   * Creates a session for `strategy` without starting it, so that the call can be
   * claimed (attached) before the strategy does anything.
   */
  prepare(strategy: string, parameters: Record<string, unknown>): Promise<PreparedSession>;
  deliver(sessionId: string, event: ExternalEventLike): boolean;
  isAlive(sessionId: string): boolean;
  liveSessions(): number;
  /** `reason`: why it ended ('done', 'terminated', ...; 'deposed' / 'shutdown' hand it over to the next primary). */
  onSessionEnded(listener: (sessionId: string, reason?: string) => void): () => void;
  /** Sessions created by anyone (HA recovery included), so a recovered session finds its call. */
  onSessionCreated?(listener: (sessionId: string) => void): () => void;
}

// A session host for the voice and multimedia agents that runs small scripted
// "strategies" written in TypeScript instead of SCXML: enough to drive the telephony
// protocol end to end (claim, treatment, route, complete) in integration tests and
// benchmarks while the SCXML-backed host is wired separately. Every session records the
// events it received, so tests can check what a strategy saw.
import { randomUUID } from 'node:crypto';
import type { CallSessionPort, ExternalEventLike, PreparedSession } from '../../runtime/telephony/call-session-port.ts';

export interface ScriptedSession {
  id: string;
  strategy: string;
  parameters: Record<string, unknown>;
  events: ExternalEventLike[];
  started: boolean;
  ended: boolean;
  /** Set on a session HA recovered here after a switchover (it continues, it is not new). */
  recovered?: boolean;
  /** Ends the session (as a final state would). */
  end(): void;
}

/** Reacts to a session's start (event undefined) and to each event it receives. */
export type Script = (session: ScriptedSession, event: ExternalEventLike | undefined) => void;

export class ScriptedSessionPort implements CallSessionPort {
  readonly sessions = new Map<string, ScriptedSession>();
  readonly all: ScriptedSession[] = [];
  private readonly endedListeners = new Set<(sessionId: string) => void>();
  private readonly createdListeners = new Set<(sessionId: string) => void>();
  private readonly nodeId: string;
  private readonly script: Script;
  private dead = false;

  constructor(nodeId: string, script: Script) {
    this.nodeId = nodeId;
    this.script = script;
  }

  async prepare(strategy: string, parameters: Record<string, unknown>, sessionId?: string): Promise<PreparedSession> {
    if (this.dead) throw new Error('the process is dead');
    const id = sessionId ?? `${randomUUID()}@${this.nodeId}`;
    const session: ScriptedSession = {
      id,
      strategy,
      parameters,
      events: [],
      started: false,
      ended: false,
      end: () => {
        if (session.ended) return;
        session.ended = true;
        this.sessions.delete(id);
        // Asynchronous, as a real host reports the end after the macrostep.
        queueMicrotask(() => {
          if (!this.dead) for (const l of this.endedListeners) l(id);
        });
      },
    };
    this.sessions.set(id, session);
    this.all.push(session);
    return {
      sessionId: id,
      start: () => {
        if (session.started || session.ended || this.dead) return;
        session.started = true;
        this.script(session, undefined);
      },
      discard: () => {
        session.ended = true;
        this.sessions.delete(id);
      },
    };
  }

  /** What HA recovery does after a switchover: the session exists again here, same id. */
  adoptRecovered(session: Pick<ScriptedSession, 'id' | 'strategy' | 'parameters'>): ScriptedSession {
    const copy: ScriptedSession = { ...session, events: [], started: true, ended: false, recovered: true, end: () => undefined };
    copy.end = () => {
      if (copy.ended) return;
      copy.ended = true;
      this.sessions.delete(copy.id);
      queueMicrotask(() => {
        for (const l of this.endedListeners) l(copy.id);
      });
    };
    this.sessions.set(copy.id, copy);
    this.all.push(copy);
    for (const l of this.createdListeners) l(copy.id);
    return copy;
  }

  deliver(sessionId: string, event: ExternalEventLike): boolean {
    const session = this.sessions.get(sessionId);
    if (!session || this.dead) return false;
    session.events.push(event);
    if (session.started) this.script(session, event);
    return true;
  }

  isAlive(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  liveSessions(): number {
    return this.sessions.size;
  }

  onSessionCreated(listener: (sessionId: string) => void): () => void {
    this.createdListeners.add(listener);
    return () => this.createdListeners.delete(listener);
  }

  onSessionEnded(listener: (sessionId: string) => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  /** The process dies: its sessions vanish without ending. */
  kill(): void {
    this.dead = true;
    this.sessions.clear();
  }
}

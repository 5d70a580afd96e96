// The narrow seam between the session host and the SCXML interpreter: everything the
// host needs from an interpreter, and everything an interpreter (through the ORS
// extension elements) needs from the host. The binding to runtime/scxml lives in
// scxml-engine.ts; nothing else in the runtime imports the interpreter.

import type { EngineThreadEntry } from '../engine/thread-entry.ts';

/** An event delivered into a session's external queue. */
export interface ExternalEvent {
  name: string;
  data?: unknown;
  /** `_event.sendid`: for /request events, the id a `<response requestid>` answers. */
  sendid?: string;
  /** `_event.origin` / `_event.origintype` when the event came from another session. */
  origin?: string;
  origintype?: string;
  invokeid?: string;
}

/** What a session asks of its host, through ORS extension elements and I/O processors. */
export interface SessionHostServices {
  /** `<session:start>`: starts a child session on this node; resolves with its id. */
  startSession(parentId: string, src: string, parameters: Record<string, unknown>): Promise<string>;
  /** `<session:terminate>`: terminates a session (any on this node; by default the caller). */
  terminateSession(sessionId: string): void;
  /** `<session:fetch>`: an HTTP request on the session's behalf. */
  fetch(request: FetchRequest): Promise<FetchResult>;
  /** `<response>`: answers a pending /request of `sessionId` identified by its sendid. */
  respond(sessionId: string, requestId: string, response: RequestResponse): boolean;
  /** `<send target="#_scxml_<id>">` and the like: delivers an event to another session. */
  deliver(targetSessionId: string, event: ExternalEvent): boolean;
}

export interface FetchRequest {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

export interface FetchResult {
  status: number;
  contentType: string;
  /** Parsed JSON when the response is JSON, the text otherwise. */
  body: unknown;
}

export interface RequestResponse {
  /** HTTP status for the waiting client (default 200). */
  status?: number;
  data: unknown;
}

export interface SessionInit {
  sessionId: string;
  /** Values for the document's `<data _type="parameter">` items (and `_event`-less start data). */
  parameters: Record<string, unknown>;
  services: SessionHostServices;
  /**
   * Called when the session gets work of its own while idle (a delayed send fell due, an
   * asynchronous extension enqueued its result); the host then calls `runPending()`.
   */
  onWork: () => void;
}

/** One running session, as the host sees it. All calls are synchronous macrosteps. */
export interface StrategySession {
  readonly id: string;
  /** Enters the initial configuration (the first macrostep). */
  start(): void;
  /** Delivers one external event and runs the macrostep it triggers. */
  send(event: ExternalEvent): void;
  /** Runs the work announced through `onWork`. */
  runPending(): void;
  /** True once the session reached a top-level final state or was cancelled. */
  readonly finished: boolean;
  /** The active state ids. */
  configuration(): string[];
  /** A JSON-friendly view of the datamodel. */
  datamodel(): Record<string, unknown>;
  /** The interpreter's JSON snapshot at a stable point (for persistence by HA). */
  snapshot(): unknown;
  /** Stops the session at once: cancels delayed sends and children; no more macrosteps. */
  cancel(): void;
}

/** A compiled SCXML document; compiled once, many sessions. */
export interface CompiledStrategy {
  /** The `name` attribute of `<scxml>`, if any. */
  readonly name?: string;
  /** `<scxml _persist="true">`: snapshots go to the session store at stable points. */
  readonly persist: boolean;
  /** `<scxml _sendSessionRecovered="true">`: a recovered session gets `session.recovered`. */
  readonly sendSessionRecovered?: boolean;
  createSession(init: SessionInit): StrategySession;
  /**
   * Re-creates a session from `snapshot()` taken in this or another process: same state,
   * datamodel and pending delayed sends (re-armed at their remaining delay). Engines
   * without it cannot recover persisted sessions (HA then restarts or drops them).
   */
  restoreSession?(init: SessionInit, snapshot: unknown): StrategySession;
  /** The document's text, for engine threads to compile it themselves (engines with a threadEntry). */
  readonly source?: { text: string; origin: string; includes?: [string, string][] };
}

export class StrategyCompileError extends Error {
  readonly line?: number;
  readonly column?: number;
  constructor(message: string, line?: number, column?: number) {
    super(line === undefined ? message : `${message} (line ${line}, column ${column ?? 0})`);
    this.name = 'StrategyCompileError';
    this.line = line;
    this.column = column;
  }
}

export interface StrategyEngine {
  /**
   * Compiles SCXML text; throws StrategyCompileError on a bad document. `includes` holds
   * the text of each `<script src>` / `<data src>` by its src, as listed by externalSources.
   */
  compile(source: string, origin: string, includes?: ReadonlyMap<string, string>): CompiledStrategy;
  /** The srcs of the document's `<script>` and `<data>` elements (loaded by the host before compile). */
  externalSources?(source: string): string[];
  /**
   * How an engine thread builds the same engine (runtime/engine/thread-entry.ts). Engines
   * without one (test table engines) run their sessions on the I/O thread.
   */
  readonly threadEntry?: EngineThreadEntry;
}

// The public contract of the SCXML interpreter: what a host (the ORS runtime, the
// conformance runner, the benchmark) injects and what it gets back. Everything with
// side effects — time, randomness, logging, event transport, host services — comes in
// through these interfaces, so the interpreter stays a pure, deterministic library.
import type { ScxmlDocument } from './document.ts';

/** An event as the host hands it to a session (external queue) or as executable content raises it. */
export interface EventInput {
  name: string;
  data?: unknown;
  /** Filled by I/O processors: where a reply can be sent. */
  origin?: string;
  origintype?: string;
  sendid?: string;
  invokeid?: string;
  /** The raw message as received (Basic HTTP: the HTTP request text). */
  raw?: string;
}

/** The `_event` a session sees (SCXML 5.10.1). */
export interface ScxmlEvent {
  name: string;
  type: 'platform' | 'internal' | 'external';
  sendid: string | undefined;
  origin: string | undefined;
  origintype: string | undefined;
  invokeid: string | undefined;
  data: unknown;
  raw?: string;
}

/**
 * The injected clock. Delayed `<send>`s are kept by the session with their due time
 * (`now() + delay`, so a snapshot can carry them); the clock only has to call back at
 * that time. A fake clock makes runs reproducible.
 */
export interface Clock {
  now(): number;
  setTimer(dueTime: number, fire: () => void): unknown;
  clearTimer(handle: unknown): void;
}

/** Receives `<log>` output. */
export type Logger = (label: string | undefined, value: unknown, sessionId: string) => void;

/** What a `<send>` asks an I/O processor to deliver. */
export interface OutgoingEvent {
  name: string;
  data: unknown;
  target: string | undefined;
  type: string;
  sendid: string | undefined;
  /** The sending session, as `#_scxml_<id>`-addressable id. */
  sourceSessionId: string;
}

/**
 * An Event I/O processor (SCXML appendix C). The SCXML processor
 * (`http://www.w3.org/TR/scxml/#SCXMLEventProcessor`) is built in; others (Basic HTTP,
 * ORS-specific ones) are injected by type URI. `send` throws (or rejects) to signal
 * `error.communication`.
 */
export interface IoProcessor {
  /** The `location` published in `_ioprocessors[type].location` for a session. */
  location(sessionId: string): string;
  send(event: OutgoingEvent, session: SessionHandle): void | Promise<void>;
}

/** Looks sessions up by id for `#_scxml_<id>` targets; the host may share one between many sessions. */
export interface SessionRegistry {
  get(sessionId: string): SessionHandle | undefined;
  add(session: SessionHandle): void;
  delete(sessionId: string): void;
}

/** The slice of a session that I/O processors and registries need. */
export interface SessionHandle {
  readonly id: string;
  /** Puts an event on the session's external queue (any time, from any callback). */
  enqueue(event: EventInput): void;
}

/** One microstep, as observers see it: for logs, metrics and replay checks. */
export interface StepInfo {
  sessionId: string;
  /** The event that triggered the microstep; undefined for eventless transitions and the initial step. */
  event: string | undefined;
  exited: string[];
  entered: string[];
  /** The configuration after the microstep (state ids, document order). */
  configuration: string[];
}

export interface SessionObserver {
  step?(step: StepInfo): void;
  /** The session reached a top-level final state or was cancelled. */
  done?(sessionId: string, doneData: unknown): void;
  /** A run-time error that became `error.execution` / `error.communication`. */
  error?(sessionId: string, eventName: string, error: unknown): void;
}

/** A parsed element, as extension handlers receive it at compile time. */
export interface XmlElement {
  namespace: string;
  localName: string;
  /** Attributes by local name (namespaced attributes as `prefix:local` too). */
  attributes: Record<string, string>;
  children: XmlNode[];
  line: number;
  column: number;
}
export type XmlNode = XmlElement | string;

/** An expression compiled once per document; evaluate it through an ExecutionContext. */
export interface CompiledExpression {
  readonly source: string;
}

/** Given to extension handlers while a document compiles. */
export interface CompileTools {
  /** Compiles an ECMAScript expression of the document; throws a ScxmlCompileError when it is invalid. */
  expression(source: string, at: XmlElement): CompiledExpression;
  /** Compiles the element's children as SCXML executable content (for extensions that contain some). */
  executable(children: XmlNode[], parent: XmlElement): CompiledBlock;
  /** Makes a compile error pointing at the element. */
  error(message: string, at: XmlElement): Error;
}

export interface CompiledBlock {
  readonly length: number;
}

/** What an extension action gets when it runs inside a session's macrostep. */
export interface ExecutionContext {
  readonly sessionId: string;
  /** The event being processed (`_event`), if any. */
  readonly event: ScxmlEvent | undefined;
  /** Host services given in SessionOptions.services (e.g. the ORS interaction layer). */
  readonly services: unknown;
  /** Evaluates a compiled expression in the session's datamodel. Throws on error (→ error.execution). */
  evaluate(expression: CompiledExpression): unknown;
  /** Assigns to a datamodel location, like `<assign>`. */
  assign(location: string, value: unknown): void;
  /** Runs compiled executable content. */
  execute(block: CompiledBlock): void;
  /** Internal event (`<raise>`): processed in this macrostep. */
  raise(event: EventInput): void;
  /** External event: safe to call later, e.g. when an asynchronous host service completes. */
  enqueue(event: EventInput): void;
}

/** An extension element's compiled form: runs when the containing executable content runs. */
export type ExtensionAction = (context: ExecutionContext) => void;

export interface ExtensionElementHandler {
  compile(element: XmlElement, tools: CompileTools): ExtensionAction;
}

/** Extension handlers by namespace URI, then by local element name. */
export type ExtensionRegistry = Record<string, Record<string, ExtensionElementHandler>>;

export interface CompileOptions {
  /** Used in error messages (e.g. the strategy URL). */
  sourceName?: string;
  extensions?: ExtensionRegistry;
  /**
   * Loads `<data src>` / `<script src>` content at compile time. Without it such
   * elements are a compile error.
   */
  loadSource?: (src: string) => string;
  /**
   * What an expression or script that does not parse does: 'runtime' (default, as the
   * W3C tests require) compiles it into something that raises error.execution when
   * evaluated and lists it in `document.warnings`; 'reject' makes it a compile error.
   */
  invalidExpressions?: 'runtime' | 'reject';
  /** Make a <history> without a default transition a compile error (SCXML 1.0 requires one). */
  requireHistoryDefault?: boolean;
}

export interface SessionOptions {
  /** Defaults to a counter-based id from `random`. */
  sessionId?: string;
  /** Defaults to the system clock with setTimeout. */
  clock?: Clock;
  /** Defaults to Math.random; inject a seeded source for determinism. */
  random?: () => number;
  logger?: Logger;
  /** Extra I/O processors by type URI (e.g. the Basic HTTP one). */
  ioProcessors?: Record<string, IoProcessor>;
  /** For `#_scxml_<id>` targets; a fresh one is shared with invoked children when omitted. */
  registry?: SessionRegistry;
  observer?: SessionObserver;
  /**
   * Called when the session goes from idle to having work (an external event or a
   * fired timer). The host then calls `session.run()` when it has a free slot. Defaults
   * to running on the next microtask.
   */
  scheduler?: (session: SessionHandle & { run(): void }) => void;
  /** Initial values for top-level `<data>` items by id (e.g. HTTP parameters); override `expr`/`src`/content. */
  data?: Record<string, unknown>;
  /** Wall-clock bound for one script or expression evaluation (default 1000 ms). */
  evaluationTimeLimitMs?: number;
  /** Host services that extension actions receive. */
  services?: unknown;
  /**
   * Resolves `<invoke src>` of SCXML type to a compiled document (e.g. from a strategy
   * cache), synchronously or asynchronously. Without it, the document's `loadSource`
   * compile option is used.
   */
  loadDocument?: (src: string) => ScxmlDocument | Promise<ScxmlDocument>;
}

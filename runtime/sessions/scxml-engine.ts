// Binds the StrategyEngine seam to the SCXML interpreter of runtime/scxml: compiles with
// the ORS extensions, fills `<data _type="parameter">` items from start parameters, and
// lets the session host schedule each session's run() (the interpreter's scheduler hook).
import {
  compile,
  createSession,
  externalSources,
  prepareRealm,
  restoreSession,
  ScxmlCompileError,
  type ScxmlDocument,
  type ExtensionRegistry,
  type Session,
  type SessionHandle,
  type SessionOptions,
  type SessionRegistry,
  type SessionSnapshot,
} from '../scxml/index.ts';
import { orsExtensions } from './ors-extensions.ts';
import { extractParameterData } from './parameter-data.ts';
import {
  StrategyCompileError,
  type CompiledStrategy,
  type ExternalEvent,
  type SessionInit,
  type StrategyEngine,
  type StrategySession,
} from './strategy-engine.ts';

/** One registry per engine: `#_scxml_<id>` targets reach any session of this node. */
class NodeRegistry implements SessionRegistry {
  readonly #sessions = new Map<string, SessionHandle>();
  readonly #remote: ((id: string) => SessionHandle | undefined) | undefined;
  constructor(remote?: (id: string) => SessionHandle | undefined) {
    this.#remote = remote;
  }
  get(id: string) {
    return this.#sessions.get(id) ?? this.#remote?.(id);
  }
  add(session: SessionHandle) {
    this.#sessions.set(session.id, session);
  }
  delete(id: string) {
    this.#sessions.delete(id);
  }
}

function plain(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return String(value);
  }
}

/** Makes the interpreter session, fresh or restored, given the options the adapter needs. */
type SessionFactory = (options: SessionOptions) => Session;

class ScxmlStrategySession implements StrategySession {
  readonly id: string;
  readonly #session: Session;
  readonly #document: ScxmlDocument;
  readonly #onWork: () => void;
  #hostIsRunning = false;

  constructor(
    document: ScxmlDocument,
    init: SessionInit,
    registry: SessionRegistry,
    make: SessionFactory,
    evaluationTimeLimitMs: number | undefined,
    logger?: (line: string) => void,
  ) {
    this.#document = document;
    this.id = init.sessionId;
    this.#onWork = init.onWork;
    this.#session = make({
      sessionId: init.sessionId,
      registry,
      services: init.services,
      // Work announced while the host itself runs this session is done by that run.
      scheduler: () => {
        if (!this.#hostIsRunning) init.onWork();
      },
      logger: logger ? (label, value) => logger(`${label ?? 'log'}: ${JSON.stringify(plain(value))}`) : undefined,
      ...(evaluationTimeLimitMs === undefined ? {} : { evaluationTimeLimitMs }),
    });
  }

  get finished(): boolean {
    return this.#session.done;
  }

  start(): void {
    this.#hostRun(() => this.#session.start());
  }

  send(event: ExternalEvent): void {
    this.#hostRun(() => {
      this.#session.enqueue(event);
      this.#session.run();
    });
  }

  runPending(): void {
    this.#hostRun(() => this.#session.run());
  }

  configuration(): string[] {
    return this.#session.configuration;
  }

  datamodel(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const { id } of this.#document.data) out[id] = plain(this.#session.getData(id));
    return out;
  }

  snapshot(): unknown {
    return this.#session.snapshot();
  }

  cancel(): void {
    this.#session.terminate();
  }

  #hostRun(work: () => void): void {
    this.#hostIsRunning = true;
    try {
      work();
    } finally {
      this.#hostIsRunning = false;
    }
    // The interpreter's fairness budget may leave events queued: ask for another turn.
    if (this.#session.hasWork) this.#onWork();
  }
}

/** The engine threads' module (runtime/engine/scxml-thread-engine.ts), named without importing it. */
const SCXML_THREAD_ENTRY = { module: new URL('../engine/scxml-thread-engine.ts', import.meta.url).href, export: 'createThreadEngine' };

export interface ScxmlEngineOptions {
  log?: (sessionId: string, line: string) => void;
  /**
   * More extension namespaces. An engine thread builds the runtime's standard set (ORS
   * session and telephony elements): extensions beyond it work only in-thread.
   */
  extensions?: ExtensionRegistry;
  /** The interpreter's limit for one script or expression (default 1000 ms). */
  evaluationTimeLimitMs?: number;
  /** `#_scxml_<id>` targets that are not sessions of this engine (on an engine thread: other lanes' sessions). */
  remoteSession?: (id: string) => SessionHandle | undefined;
}

/**
 * Compiles a strategy as the engine does: ORS's `<data _type="parameter">` marks taken out
 * first, the given extension elements known. Throws StrategyCompileError (with line and
 * column) on a bad document. Shared with checks away from a runtime (the operator's).
 */
export function compileStrategyDocument(
  source: string,
  origin: string,
  extensions: ExtensionRegistry,
  loadSource: (src: string) => string,
): { document: ScxmlDocument; parameterIds: Set<string> } {
  const marked = extractParameterData(source);
  const parameterIds = new Set(marked.parameterIds);
  try {
    const document = compile(marked.source, { sourceName: origin, extensions, loadSource });
    for (const d of document.data) if (d.attributes._type === 'parameter') parameterIds.add(d.id);
    return { document, parameterIds };
  } catch (error) {
    if (error instanceof ScxmlCompileError) throw new StrategyCompileError(error.message);
    throw error;
  }
}

export function createScxmlEngine(options: ScxmlEngineOptions = {}): StrategyEngine {
  const registry = new NodeRegistry(options.remoteSession);
  const limit = options.evaluationTimeLimitMs;
  // The realm is built before the runtime listens: built with the first session it took
  // up to 1.7 s under load, long enough for the other node to claim calls meanwhile.
  prepareRealm();
  // More extension namespaces (the telephony module's dialog/interaction elements) join ORS's session ones.
  const extensions: ExtensionRegistry = { ...orsExtensions(), ...(options.extensions ?? {}) };
  return {
    threadEntry: SCXML_THREAD_ENTRY,
    externalSources(source: string): string[] {
      try {
        return externalSources(source, 'strategy');
      } catch {
        return []; // compile reports the XML error with its position
      }
    },
    compile(source: string, origin: string, includes?: ReadonlyMap<string, string>): CompiledStrategy {
      const { document, parameterIds } = compileStrategyDocument(source, origin, extensions, (src) => {
        const text = includes?.get(src);
        if (text === undefined) throw new Error(`${src} was not loaded`);
        return text;
      });
      const logFor = (sessionId: string) => (options.log ? (line: string) => options.log!(sessionId, line) : undefined);
      return {
        source: { text: source, origin, includes: includes ? [...includes] : undefined },
        name: document.name,
        persist: document.attributes._persist === 'true',
        sendSessionRecovered: document.attributes._sendSessionRecovered === 'true',
        createSession(init: SessionInit): StrategySession {
          // Only `<data _type="parameter">` items take start parameters.
          const data: Record<string, unknown> = {};
          for (const [key, value] of Object.entries(init.parameters)) if (parameterIds.has(key)) data[key] = value;
          const make: SessionFactory = (sessionOptions) => createSession(document, { ...sessionOptions, data });
          return new ScxmlStrategySession(document, init, registry, make, limit, logFor(init.sessionId));
        },
        restoreSession(init: SessionInit, snapshot: unknown): StrategySession {
          const make: SessionFactory = (sessionOptions) =>
            restoreSession(document, snapshot as SessionSnapshot, sessionOptions);
          return new ScxmlStrategySession(document, init, registry, make, limit, logFor(init.sessionId));
        },
      };
    },
  };
}

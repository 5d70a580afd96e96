// A test double of the SCXML interpreter for the session host and HTTP tests: a
// "document" is a JSON state table, not SCXML. It exercises exactly the seam of
// runtime/sessions/strategy-engine.ts (parameters, events in order, requests answered
// through `respond`, work of its own through `onWork`, finishing, cancelling), so the
// runtime's own behaviour is tested independently of the interpreter.
import {
  StrategyCompileError,
  type CompiledStrategy,
  type ExternalEvent,
  type SessionInit,
  type StrategyEngine,
  type StrategySession,
} from '../../runtime/sessions/strategy-engine.ts';

export interface TableDocument {
  /** Datamodel items filled from start parameters (like `<data _type="parameter">`). */
  parameters?: string[];
  initial: string;
  /** state -> event name -> target state; the target "final" finishes the session. */
  transitions?: Record<string, Record<string, string>>;
  /** Events answered through `respond` with {state, parameters, data}. */
  respond?: string[];
  /** When entering this state, the session keeps giving itself work forever (a busy loop of self-events). */
  loopState?: string;
  /** `_persist="true"`: the host reports its stable points as to be persisted. */
  persist?: boolean;
}

export class TableEngine implements StrategyEngine {
  compiled = 0;
  compile(source: string): CompiledStrategy {
    let doc: TableDocument;
    try {
      doc = JSON.parse(source) as TableDocument;
    } catch (error) {
      throw new StrategyCompileError(`not a table document: ${(error as Error).message}`, 1, 1);
    }
    if (typeof doc.initial !== 'string') throw new StrategyCompileError('initial state missing', 1, 1);
    this.compiled++;
    return { persist: doc.persist === true, createSession: (init) => new TableSession(doc, init) };
  }
}

class TableSession implements StrategySession {
  readonly id: string;
  readonly #doc: TableDocument;
  readonly #init: SessionInit;
  readonly #data: Record<string, unknown> = {};
  #state = '';
  #finished = false;
  loopTurns = 0;

  constructor(doc: TableDocument, init: SessionInit) {
    this.#doc = doc;
    this.#init = init;
    this.id = init.sessionId;
    for (const name of doc.parameters ?? []) this.#data[name] = init.parameters[name] ?? null;
    this.#data.events = [];
  }

  get finished(): boolean {
    return this.#finished;
  }

  start(): void {
    this.#enter(this.#doc.initial);
  }

  send(event: ExternalEvent): void {
    if (this.#finished) return;
    (this.#data.events as string[]).push(event.name);
    this.#data.lastEvent = { name: event.name, data: event.data };
    if (this.#doc.respond?.includes(event.name) && event.sendid) {
      this.#init.services.respond(this.id, event.sendid, {
        data: { state: this.#state, data: event.data, events: this.#data.events },
      });
    }
    const target = this.#doc.transitions?.[this.#state]?.[event.name];
    if (target) this.#enter(target);
  }

  runPending(): void {
    if (this.#state === this.#doc.loopState && !this.#finished) {
      this.loopTurns++;
      this.#data.loopTurns = this.loopTurns;
      this.#init.onWork();
    }
  }

  configuration(): string[] {
    return this.#finished ? [] : [this.#state];
  }

  datamodel(): Record<string, unknown> {
    return structuredClone(this.#data);
  }

  snapshot(): unknown {
    return { state: this.#state, data: this.#data };
  }

  cancel(): void {
    this.#finished = true;
  }

  #enter(state: string): void {
    if (state === 'final') {
      this.#finished = true;
      return;
    }
    this.#state = state;
    if (state === this.#doc.loopState) this.#init.onWork();
  }
}

// A test double of the SCXML interpreter for HA tests: the table engine's idea (a JSON
// state table instead of SCXML) plus what HA needs from an engine — `_persist`,
// `_sendSessionRecovered`, a delayed event per state (a timer), and snapshot/restore that
// re-arms a pending timer at its remaining delay. Every event a session sees is appended
// to its datamodel's `events`, so tests can tell exactly what a recovered or restarted
// session received.
import {
  StrategyCompileError,
  type CompiledStrategy,
  type ExternalEvent,
  type SessionInit,
  type StrategyEngine,
  type StrategySession,
} from '../../runtime/sessions/strategy-engine.ts';

export interface TimerTableDocument {
  initial: string;
  persist?: boolean;
  sendSessionRecovered?: boolean;
  /** state -> event -> target; the target "final" finishes the session. */
  transitions?: Record<string, Record<string, string>>;
  /** Entering `state` arms a timer that raises `event` after `afterMs`. */
  timers?: Record<string, { afterMs: number; event: string }>;
}

interface Snapshot {
  state: string;
  data: { events: string[]; params: Record<string, unknown>; lastData?: unknown };
  timer?: { dueAt: number; event: string };
}

export class TimerTableEngine implements StrategyEngine {
  compile(source: string): CompiledStrategy {
    let doc: TimerTableDocument;
    try {
      doc = JSON.parse(source) as TimerTableDocument;
    } catch (error) {
      throw new StrategyCompileError(`not a timer table document: ${(error as Error).message}`, 1, 1);
    }
    if (typeof doc.initial !== 'string') throw new StrategyCompileError('initial state missing', 1, 1);
    return {
      persist: doc.persist === true,
      sendSessionRecovered: doc.sendSessionRecovered === true,
      createSession: (init) => new TimerTableSession(doc, init),
      restoreSession: (init, snapshot) => new TimerTableSession(doc, init, snapshot as Snapshot),
    };
  }
}

class TimerTableSession implements StrategySession {
  readonly id: string;
  readonly #doc: TimerTableDocument;
  readonly #init: SessionInit;
  #state = '';
  #data: Snapshot['data'];
  #finished = false;
  #timer?: { dueAt: number; event: string; handle: NodeJS.Timeout };
  #due: string[] = [];

  constructor(doc: TimerTableDocument, init: SessionInit, snapshot?: Snapshot) {
    this.#doc = doc;
    this.#init = init;
    this.id = init.sessionId;
    this.#data = snapshot ? structuredClone(snapshot.data) : { events: [], params: { ...init.parameters } };
    if (snapshot) {
      this.#state = snapshot.state;
      if (snapshot.timer) this.#arm(snapshot.timer.event, snapshot.timer.dueAt);
    }
  }

  get finished(): boolean {
    return this.#finished;
  }

  start(): void {
    this.#enter(this.#doc.initial);
  }

  send(event: ExternalEvent): void {
    this.#handle(event.name, event.data);
  }

  runPending(): void {
    for (const name of this.#due.splice(0)) this.#handle(name, undefined);
  }

  configuration(): string[] {
    return this.#finished ? [] : [this.#state];
  }

  datamodel(): Record<string, unknown> {
    return structuredClone({ ...this.#data, timerDueAt: this.#timer?.dueAt });
  }

  snapshot(): Snapshot {
    return {
      state: this.#state,
      data: structuredClone(this.#data),
      ...(this.#timer ? { timer: { dueAt: this.#timer.dueAt, event: this.#timer.event } } : {}),
    };
  }

  cancel(): void {
    this.#finished = true;
    if (this.#timer) clearTimeout(this.#timer.handle);
    this.#timer = undefined;
  }

  #handle(name: string, data: unknown): void {
    if (this.#finished) return;
    this.#data.events.push(name);
    if (data !== undefined) this.#data.lastData = data;
    const target = this.#doc.transitions?.[this.#state]?.[name];
    if (target) this.#enter(target);
  }

  #enter(state: string): void {
    if (this.#timer) clearTimeout(this.#timer.handle);
    this.#timer = undefined;
    if (state === 'final') {
      this.#finished = true;
      return;
    }
    this.#state = state;
    const timer = this.#doc.timers?.[state];
    if (timer) this.#arm(timer.event, Date.now() + timer.afterMs);
  }

  #arm(event: string, dueAt: number): void {
    const handle = setTimeout(() => {
      this.#timer = undefined;
      this.#due.push(event);
      this.#init.onWork();
    }, Math.max(0, dueAt - Date.now()));
    this.#timer = { dueAt, event, handle };
  }
}

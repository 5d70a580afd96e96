// One running state machine: its state (the fields) and the host's API. The algorithm is
// W3C SCXML 1.0 Appendix D, one part per file, with the spec's procedure names, so it can
// be read with the spec open:
//   main-event-loop.ts       interpret, mainEventLoop (inner loop: macrostep), exitInterpreter
//   transition-selection.ts  selectEventlessTransitions, selectTransitions, removeConflictingTransitions
//   microstep.ts             microstep, exitStates, executeTransitionContent, enterStates
//   entry-exit-sets.ts       computeExitSet, computeEntrySet, addDescendant/AncestorStatesToEnter,
//                            isInFinalState, getTransitionDomain, getEffectiveTargetStates
//   executable-content.ts    executable content and the datamodel's evaluation (SCXML 4, 5.9)
//   datamodel.ts             data initialisation, system variables, <content>/<param>/<donedata>
//   send.ts                  <send>/<cancel> and the SCXML Event I/O Processor
//   invoke.ts                <invoke>, finalize, autoforward, cancellation
//   snapshot.ts              snapshot and restore
// The fields are the interpreter's state, read and written by those files; hosts use the
// methods only.
import type { Snippet } from '../datamodel/ecmascript.ts';
import { getRealm } from '../datamodel/realm.ts';
import type { RealmApi } from '../datamodel/realm.ts';
import type { ScxmlDocument } from '../document.ts';
import type { Action, ForeachSpec, Runner, SendSpec, StateModel, XmlTree } from '../model.ts';
import { systemClock } from '../system-clock.ts';
import type { Clock, EventInput, ExtensionAction, Logger, SessionHandle, SessionObserver, SessionOptions, SessionRegistry } from '../types.ts';
import { assignLocation, condition, evaluate, executeBlock, foreach, raiseInternal, runExtension } from './executable-content.ts';
import { exitInterpreter, finishQuietly, interpret, mainEventLoop, notify } from './main-event-loop.ts';
import { cancel, sendAction } from './send.ts';
import { restoreSnapshot, takeSnapshot } from './snapshot.ts';
import type { SessionSnapshot } from './snapshot.ts';
import type { Invocation, ParentLink, PendingSend, QueuedEvent } from './state.ts';

function randomId(random: () => number): string {
  let s = '';
  for (let i = 0; i < 4; i++) s += Math.floor(random() * 0x10000).toString(16).padStart(4, '0');
  return s;
}

export class Session implements SessionHandle, Runner {
  readonly id: string;
  readonly document: ScxmlDocument;
  readonly model: ScxmlDocument['model'];
  readonly states: StateModel[];
  readonly realm: RealmApi;
  readonly scope: object;
  readonly data: Record<string, unknown>;
  readonly active: Uint8Array;
  readonly initialised: Uint8Array;
  // Created on first use: most sessions never need them, and each Map costs ~100 bytes.
  historyValue: Map<number, StateModel[]> | undefined;
  internalQueue: QueuedEvent[] = [];
  externalQueue: QueuedEvent[] = [];
  statesToInvoke: StateModel[] = [];
  pendingSends: Map<string, PendingSend> | undefined;
  invoked: Map<string, Invocation> | undefined;
  /** Invoked children that announced work; they run in this session's run(). */
  childrenWithWork: Set<Session> | undefined;
  running = false;
  started = false;
  inRun = false;
  starting = false;
  scheduled = false;
  finished = false;
  doneDataValue: unknown = undefined;
  counter = 0;
  currentEvent: QueuedEvent | undefined;
  readonly options: SessionOptions;
  readonly clock: Clock;
  readonly random: () => number;
  /** Shared with invoked children; created on first need when the host gives none. */
  registry: SessionRegistry | undefined;
  readonly observer: SessionObserver | undefined;
  readonly parent: ParentLink | undefined;
  readonly timeLimit: number;
  readonly logger: Logger | undefined;

  constructor(document: ScxmlDocument, options: SessionOptions = {}, parent?: ParentLink) {
    this.document = document;
    this.model = document.model;
    this.states = this.model.states;
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.id = options.sessionId ?? randomId(this.random);
    this.registry = options.registry;
    this.observer = options.observer;
    this.parent = parent;
    this.timeLimit = options.evaluationTimeLimitMs ?? 1000;
    this.logger = options.logger;
    this.realm = getRealm();
    const [scope, data] = this.realm.createScope((id) => this.isActiveId(id));
    this.scope = scope;
    this.data = data;
    // One allocation for both flag sets: [0, n) active, [n, 2n) initialised (late binding).
    const flags = new Uint8Array(this.states.length * 2);
    this.active = flags.subarray(0, this.states.length);
    this.initialised = flags.subarray(this.states.length);
    this.registry?.add(this);
  }


  /** Runs the initial macrostep (Appendix D `interpret`). */
  start(): void {
    interpret(this);
  }

  /** Puts an event on the external queue; the scheduler is told the session has work. */
  enqueue(event: EventInput): void {
    if (this.finished) return;
    this.externalQueue.push({
      name: event.name,
      type: 'external',
      sendid: event.sendid,
      origin: event.origin,
      origintype: event.origintype,
      invokeid: event.invokeid,
      data: event.data === undefined ? undefined : this.realm.importValue(event.data),
      raw: event.raw,
    });
    notify(this);
  }

  /** Alias of enqueue for hosts: an external event. */
  send(event: EventInput): void {
    this.enqueue(event);
  }

  /** True when external events wait for run(). */
  get hasWork(): boolean {
    return this.started && !this.finished && (this.externalQueue.length > 0 || (this.childrenWithWork?.size ?? 0) > 0);
  }

  /** Processes queued external events until the queue is empty (or a fairness budget is used): Appendix D `mainEventLoop`. */
  run(): void {
    mainEventLoop(this);
  }

  /** The active states' ids in document order (the <scxml> root excluded). */
  get configuration(): string[] {
    const out: string[] = [];
    for (let i = 1; i < this.states.length; i++) if (this.active[i]) out.push(this.states[i]!.id);
    return out;
  }

  isActiveId(id: string): boolean {
    const s = this.model.stateById.get(id);
    return s !== undefined && this.active[s.index] === 1;
  }

  get done(): boolean {
    return this.finished;
  }

  get doneData(): unknown {
    return this.doneDataValue;
  }

  /** Reads a datamodel variable (a realm value; treat as read-only). */
  getData(id: string): unknown {
    return this.data[id];
  }

  /** Stops the session: exits all states (running onexit), cancels invocations and delayed sends, sends nothing to a parent. */
  terminate(): void {
    if (this.finished) return;
    if (!this.started) {
      finishQuietly(this);
      return;
    }
    this.realm.setSession(this.clock, this.random);
    this.running = false;
    exitInterpreter(this, false);
  }

  /** The JSON-serialisable state; only between macrosteps (when run() returned). */
  snapshot(): SessionSnapshot {
    return takeSnapshot(this);
  }

  /** @internal Used by restoreSession. */
  restoreFrom(snapshot: SessionSnapshot): void {
    restoreSnapshot(this, snapshot);
  }

  // ---- Runner: what compiled executable content calls --------------------------------

  executeBlock(block: Action[]): void {
    executeBlock(this, block);
  }

  evaluate(snippet: Snippet): unknown {
    return evaluate(this, snippet);
  }

  xmlValue(tree: XmlTree): unknown {
    return this.realm.makeDom(tree);
  }

  condition(snippet: Snippet): boolean {
    return condition(this, snippet);
  }

  runScript(snippet: Snippet): void {
    evaluate(this, snippet);
  }

  assignLocation(location: Snippet, value: unknown): void {
    assignLocation(this, location, value);
  }

  raiseInternal(name: string, data: unknown): void {
    raiseInternal(this, name, data);
  }

  log(label: string | undefined, value: unknown): void {
    this.logger?.(label, value, this.id);
  }

  foreach(spec: ForeachSpec): void {
    foreach(this, spec);
  }

  runExtension(action: ExtensionAction): void {
    runExtension(this, action);
  }

  sendAction(spec: SendSpec): void {
    sendAction(this, spec);
  }

  cancel(sendid: string): void {
    cancel(this, sendid);
  }
}

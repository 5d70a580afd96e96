// One running state machine. The algorithm follows the W3C SCXML Recommendation's
// Appendix D function by function, with the same names (interpret, mainEventLoop →
// run/macrostep, microstep, selectEventlessTransitions, selectTransitions,
// removeConflictingTransitions, computeExitSet, exitStates, enterStates, computeEntrySet,
// addDescendantStatesToEnter, addAncestorStatesToEnter, isInFinalState,
// getTransitionDomain, findLCCA, getEffectiveTargetStates, exitInterpreter), so it can be
// read with the spec open. Differences: the blocking `externalQueue.dequeue()` becomes
// "return and wait for the host to call run()", and the configuration is a flag per
// state index (document order is the index order, so sorting is iteration).
import { findLCCA } from './compile.ts';
import type { Snippet } from './datamodel/ecmascript.ts';
import { getRealm } from './datamodel/realm.ts';
import type { RealmApi } from './datamodel/realm.ts';
import { compile, ScxmlDocument } from './document.ts';
import type { XmlTree } from './model.ts';
import { serializeTree } from './xml.ts';
import { systemClock } from './system-clock.ts';
import type { Action, ContentSpec, ForeachSpec, InvokeSpec, ParamSpec, Runner, SendSpec, StateModel, TransitionModel } from './model.ts';
import type {
  Clock,
  EventInput,
  ExecutionContext,
  ExtensionAction,
  IoProcessor,
  Logger,
  ScxmlEvent,
  SessionHandle,
  SessionObserver,
  SessionOptions,
  SessionRegistry,
} from './types.ts';

export const SCXML_PROCESSOR = 'http://www.w3.org/TR/scxml/#SCXMLEventProcessor';
export const BASIC_HTTP_PROCESSOR = 'http://www.w3.org/TR/scxml/#BasicHTTPEventProcessor';
const SCXML_INVOKE_TYPES = new Set(['http://www.w3.org/TR/scxml/', 'http://www.w3.org/TR/scxml', 'scxml', SCXML_PROCESSOR]);
const SYSTEM_NAMES = new Set(['_event', '_sessionid', '_name', '_ioprocessors', 'In']);
/** Microsteps one macrostep may take before the session is considered stuck in an eventless loop. */
const MAX_MICROSTEPS_PER_MACROSTEP = 100_000;
/** External events processed per run() before yielding back to the host's scheduler. */
const MAX_EVENTS_PER_RUN = 1000;

/** Executable content failed: becomes error.execution. */
class ExecutionError extends Error {
  sendid: string | undefined;
}

interface QueuedEvent {
  name: string;
  type: 'platform' | 'internal' | 'external';
  sendid: string | undefined;
  origin: string | undefined;
  origintype: string | undefined;
  invokeid: string | undefined;
  /** A realm value. */
  data: unknown;
  raw?: string;
}

interface PendingSend {
  sendid: string;
  due: number;
  event: QueuedEvent;
  target: string | undefined;
  type: string;
  timer: unknown;
}

/** How a child document was obtained, so a snapshot can find it again. */
type ChildDocumentRef =
  | { kind: 'inline'; state: string; invoke: number }
  | { kind: 'src'; src: string }
  | { kind: 'text'; xml: string };

interface Invocation {
  invokeid: string;
  state: StateModel;
  spec: InvokeSpec;
  /** Undefined while an asynchronous `loadDocument` is still loading the child's document. */
  child: Session | undefined;
  documentRef: ChildDocumentRef;
  /** While loading: the data for the child, and events forwarded to it meanwhile. */
  params?: Record<string, unknown> | undefined;
  waiting?: EventInput[];
}

/** The JSON-serialisable state of a session at a stable point. */
export interface SessionSnapshot {
  version: 1;
  sessionId: string;
  configuration: string[];
  history: Record<string, string[]>;
  /** States whose late-bound data is initialised (['*']: all, early binding). */
  initialisedStates: string[];
  datamodel: Record<string, unknown>;
  internalQueue: unknown[];
  externalQueue: unknown[];
  pendingSends: Array<{ sendid: string; due: number; event: unknown; target: string | undefined; type: string }>;
  /** `child` is null for an invocation whose document was still loading (it is loaded again on restore). */
  invoked: Array<{
    invokeid: string;
    state: string;
    invoke: number;
    document: ChildDocumentRef;
    child: SessionSnapshot | null;
    params?: unknown;
  }>;
  counter: number;
  running: boolean;
  done: boolean;
  doneData: unknown;
  lastEvent: unknown;
}


class MapRegistry implements SessionRegistry {
  private readonly sessions = new Map<string, SessionHandle>();
  get(id: string) {
    return this.sessions.get(id);
  }
  add(s: SessionHandle) {
    this.sessions.set(s.id, s);
  }
  delete(id: string) {
    this.sessions.delete(id);
  }
}

function defaultScheduler(session: { run(): void }) {
  queueMicrotask(() => session.run());
}

function randomId(random: () => number): string {
  let s = '';
  for (let i = 0; i < 4; i++) s += Math.floor(random() * 0x10000).toString(16).padStart(4, '0');
  return s;
}

function nameMatch(descriptors: string[], name: string): boolean {
  for (const d of descriptors) {
    if (d === '*' || d === name) return true;
    if (name.length > d.length && name.charCodeAt(d.length) === 46 /* . */ && name.startsWith(d)) return true;
  }
  return false;
}

function isDescendant(s: StateModel, ancestor: StateModel | null | undefined): boolean {
  if (!ancestor) return true;
  return s.index > ancestor.index && s.index <= ancestor.lastDescendant;
}

/** System variables are rebuilt on restore, not stored. */
const NOT_SNAPSHOTTED = ['_sessionid', '_name', '_ioprocessors', '_event'];
const EMPTY_MAP: ReadonlyMap<never, never> = new Map<never, never>();

type DefaultHistoryContent = Array<{ state: StateModel; actions: Action[] }>;

const byDocumentOrder = (a: StateModel, b: StateModel) => a.index - b.index;

interface ParentLink {
  session: Session;
  invokeid: string;
}

export class Session implements SessionHandle, Runner {
  readonly id: string;
  readonly document: ScxmlDocument;
  private readonly model: ScxmlDocument['model'];
  private readonly states: StateModel[];
  private readonly realm: RealmApi;
  private readonly scope: object;
  private readonly data: Record<string, unknown>;
  private readonly active: Uint8Array;
  private readonly initialised: Uint8Array;
  // Created on first use: most sessions never need them, and each Map costs ~100 bytes.
  private historyValue: Map<number, StateModel[]> | undefined;
  private internalQueue: QueuedEvent[] = [];
  private externalQueue: QueuedEvent[] = [];
  private statesToInvoke: StateModel[] = [];
  private pendingSends: Map<string, PendingSend> | undefined;
  private invoked: Map<string, Invocation> | undefined;
  private running = false;
  private started = false;
  private inRun = false;
  private starting = false;
  private scheduled = false;
  private finished = false;
  private doneDataValue: unknown = undefined;
  private counter = 0;
  private currentEvent: QueuedEvent | undefined;
  private readonly options: SessionOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  /** Shared with invoked children; created on first need when the host gives none. */
  private registry: SessionRegistry | undefined;
  private readonly observer: SessionObserver | undefined;
  private readonly parent: ParentLink | undefined;
  private readonly timeLimit: number;
  private readonly logger: Logger | undefined;

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

  // ---- public API -------------------------------------------------------------------

  /** Runs the initial macrostep (Appendix D `interpret`). */
  start(): void {
    if (this.started) throw new Error(`session ${this.id} already started`);
    this.started = true;
    this.running = true;
    this.realm.setSession(this.clock, this.random);
    this.initSystemVariables();
    if (this.model.binding === 'early') {
      for (const d of this.model.allData) this.data[d.id] = undefined;
      this.initializeData(this.model.allData);
      for (const s of this.states) this.initialised[s.index] = 1;
    } else {
      for (const d of this.model.allData) this.data[d.id] = undefined;
      this.initializeData(this.model.root.data);
      this.initialised[0] = 1;
    }
    this.starting = true;
    try {
      if (this.model.script.length > 0) this.executeContent(this.model.script);
      this.enterStates([this.model.root.initial!]);
      if (this.observer?.step) {
        const configuration = this.configuration;
        this.observer.step({ sessionId: this.id, event: undefined, exited: [], entered: configuration, configuration });
      }
      this.macrostep();
    } finally {
      this.starting = false;
    }
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
    this.notify();
  }

  /** Alias of enqueue for hosts: an external event. */
  send(event: EventInput): void {
    this.enqueue(event);
  }

  /** True when external events wait for run(). */
  get hasWork(): boolean {
    return this.started && !this.finished && this.externalQueue.length > 0;
  }

  /** Processes queued external events until the queue is empty (or a fairness budget is used). */
  run(): void {
    this.scheduled = false;
    if (!this.started || this.finished || this.inRun) return;
    this.inRun = true;
    this.realm.setSession(this.clock, this.random);
    try {
      let budget = MAX_EVENTS_PER_RUN;
      while (this.running && this.externalQueue.length > 0 && budget-- > 0) {
        const event = this.externalQueue.shift()!;
        this.processExternalEvent(event);
        this.macrostep();
      }
    } finally {
      this.inRun = false;
    }
    if (this.externalQueue.length > 0 && !this.finished) this.notify();
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
      this.finishQuietly();
      return;
    }
    this.realm.setSession(this.clock, this.random);
    this.running = false;
    this.exitInterpreter(false);
  }

  // ---- Appendix D: main loop --------------------------------------------------------

  private notify(): void {
    if (this.scheduled || this.inRun || !this.started) return;
    this.scheduled = true;
    (this.options.scheduler ?? defaultScheduler)(this);
  }

  /** The inner part of mainEventLoop: eventless transitions and internal events until stable, then invokes. */
  private macrostep(): void {
    let steps = 0;
    for (;;) {
      while (this.running) {
        let enabled = this.selectEventlessTransitions();
        if (enabled.length === 0) {
          if (this.internalQueue.length === 0) break;
          const internalEvent = this.internalQueue.shift()!;
          this.setEvent(internalEvent);
          enabled = this.selectTransitions(internalEvent);
        }
        if (enabled.length > 0) this.microstep(enabled);
        if (++steps > MAX_MICROSTEPS_PER_MACROSTEP) {
          this.observer?.error?.(this.id, 'error.execution', new Error('macrostep does not terminate'));
          this.running = false;
        }
      }
      if (!this.running) {
        this.exitInterpreter(true);
        return;
      }
      if (this.statesToInvoke.length > 0) {
        const toInvoke = this.statesToInvoke.sort((a, b) => a.index - b.index);
        this.statesToInvoke = [];
        for (const state of toInvoke) {
          if (!this.active[state.index]) continue;
          for (const inv of state.invokes) this.invoke(inv, state);
        }
      }
      if (this.internalQueue.length === 0) return;
    }
  }

  private processExternalEvent(externalEvent: QueuedEvent): void {
    this.setEvent(externalEvent);
    for (const inv of (this.invoked ?? EMPTY_MAP).values()) {
      if (inv.invokeid === externalEvent.invokeid) this.applyFinalize(inv);
      if (inv.spec.autoforward && !inv.child?.done) {
        this.forwardToInvocation(inv, {
          name: externalEvent.name,
          data: externalEvent.data,
          sendid: externalEvent.sendid,
          origin: externalEvent.origin,
          origintype: externalEvent.origintype,
          invokeid: externalEvent.invokeid,
        });
      }
    }
    const enabled = this.selectTransitions(externalEvent);
    if (enabled.length > 0) this.microstep(enabled);
  }

  private setEvent(event: QueuedEvent): void {
    this.currentEvent = event;
    this.data._event = this.realm.makeEvent(
      event.name,
      event.type,
      event.sendid,
      event.origin,
      event.origintype,
      event.invokeid,
      event.data,
      event.raw,
    );
  }

  private exitInterpreter(notifyParent: boolean): void {
    for (let i = this.states.length - 1; i >= 0; i--) {
      if (!this.active[i]) continue;
      const s = this.states[i]!;
      for (const content of s.onexit) this.executeContent(content);
      for (const inv of s.invokes) this.cancelInvoke(inv, s);
      this.active[i] = 0;
      if (notifyParent && s.kind === 'final' && s.parent === this.model.root) {
        this.doneDataValue = this.evaluateDonedata(s);
      }
    }
    this.finishQuietly();
    if (notifyParent && this.parent) {
      this.parent.session.enqueue({
        name: 'done.invoke.' + this.parent.invokeid,
        data: this.doneDataValue,
        invokeid: this.parent.invokeid,
      });
    }
    this.observer?.done?.(this.id, this.doneDataValue);
  }

  private finishQuietly(): void {
    this.finished = true;
    this.running = false;
    for (const p of (this.pendingSends ?? EMPTY_MAP).values()) this.clock.clearTimer(p.timer);
    this.pendingSends = undefined;
    for (const inv of (this.invoked ?? EMPTY_MAP).values()) inv.child?.terminate();
    this.invoked = undefined;
    this.externalQueue = [];
    this.internalQueue = [];
    this.registry?.delete(this.id);
  }

  // ---- Appendix D: transition selection ----------------------------------------------

  private selectEventlessTransitions(): TransitionModel[] {
    return this.selectTransitions(undefined);
  }

  private selectTransitions(event: QueuedEvent | undefined): TransitionModel[] {
    const enabled: TransitionModel[] = [];
    const states = this.states;
    for (let i = 1; i < states.length; i++) {
      if (!this.active[i]) continue;
      const state = states[i]!;
      if (!state.atomic) continue;
      const t = this.firstEnabledTransition(state, event) ?? this.firstEnabledInAncestors(state, event);
      if (t && !enabled.includes(t)) enabled.push(t);
    }
    return enabled.length > 1 ? this.removeConflictingTransitions(enabled) : enabled;
  }

  private firstEnabledInAncestors(state: StateModel, event: QueuedEvent | undefined): TransitionModel | undefined {
    for (const anc of state.ancestors) {
      const t = this.firstEnabledTransition(anc, event);
      if (t) return t;
    }
    return undefined;
  }

  private firstEnabledTransition(state: StateModel, event: QueuedEvent | undefined): TransitionModel | undefined {
    for (const t of state.transitions) {
      if (event === undefined ? t.events.length !== 0 : t.events.length === 0 || !nameMatch(t.events, event.name)) continue;
      if (t.cond === undefined || this.condition(t.cond)) return t;
    }
    return undefined;
  }

  private removeConflictingTransitions(enabledTransitions: TransitionModel[]): TransitionModel[] {
    let filteredTransitions: TransitionModel[] = [];
    for (const t1 of enabledTransitions) {
      let t1Preempted = false;
      const transitionsToRemove = new Set<TransitionModel>();
      const exit1 = this.computeExitSet([t1]);
      for (const t2 of filteredTransitions) {
        const exit2 = this.computeExitSet([t2]);
        if (exit1.some((s) => exit2.includes(s))) {
          if (isDescendant(t1.source, t2.source)) transitionsToRemove.add(t2);
          else {
            t1Preempted = true;
            break;
          }
        }
      }
      if (!t1Preempted) {
        filteredTransitions = filteredTransitions.filter((t) => !transitionsToRemove.has(t));
        filteredTransitions.push(t1);
      }
    }
    return filteredTransitions;
  }

  // ---- Appendix D: microstep ---------------------------------------------------------

  private microstep(enabledTransitions: TransitionModel[]): void {
    const observe = this.observer?.step !== undefined;
    const before = observe ? this.configuration : undefined;
    this.exitStates(enabledTransitions);
    this.executeTransitionContent(enabledTransitions);
    this.enterStates(enabledTransitions);
    if (observe) {
      const after = this.configuration;
      this.observer!.step!({
        sessionId: this.id,
        event: this.currentEvent?.name,
        exited: before!.filter((s) => !after.includes(s)),
        entered: after.filter((s) => !before!.includes(s)),
        configuration: after,
      });
    }
  }

  private computeExitSet(transitions: TransitionModel[]): StateModel[] {
    const statesToExit: StateModel[] = [];
    for (const t of transitions) {
      if (!t.targets || t.targets.length === 0) continue;
      const domain = this.getTransitionDomain(t);
      const from = domain ? domain.index + 1 : 1;
      const to = domain ? domain.lastDescendant : this.states.length - 1;
      for (let i = from; i <= to; i++) {
        if (this.active[i]) {
          const s = this.states[i]!;
          if (!statesToExit.includes(s)) statesToExit.push(s);
        }
      }
    }
    return statesToExit;
  }

  private exitStates(enabledTransitions: TransitionModel[]): void {
    const statesToExit = this.computeExitSet(enabledTransitions);
    if (statesToExit.length === 0) return;
    if (this.statesToInvoke.length > 0) this.statesToInvoke = this.statesToInvoke.filter((s) => !statesToExit.includes(s));
    statesToExit.sort((a, b) => b.index - a.index);
    for (const s of statesToExit) {
      for (const h of s.historyChildren) {
        const recorded: StateModel[] = [];
        for (let i = s.index + 1; i <= s.lastDescendant; i++) {
          if (!this.active[i]) continue;
          const s0 = this.states[i]!;
          if (h.deep ? s0.atomic : s0.parent === s) recorded.push(s0);
        }
        (this.historyValue ??= new Map()).set(h.index, recorded);
      }
    }
    for (const s of statesToExit) {
      for (const content of s.onexit) this.executeContent(content);
      for (const inv of s.invokes) this.cancelInvoke(inv, s);
      this.active[s.index] = 0;
    }
  }

  private executeTransitionContent(enabledTransitions: TransitionModel[]): void {
    for (const t of enabledTransitions) if (t.actions.length > 0) this.executeContent(t.actions);
  }

  private enterStates(enabledTransitions: TransitionModel[]): void {
    const statesToEnter: StateModel[] = [];
    const statesForDefaultEntry: StateModel[] = [];
    const defaultHistoryContent: DefaultHistoryContent = [];
    this.computeEntrySet(enabledTransitions, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
    const ordered = statesToEnter.length > 1 ? statesToEnter.sort(byDocumentOrder) : statesToEnter;
    for (const s of ordered) {
      if (this.active[s.index]) continue;
      this.active[s.index] = 1;
      if (s.kind === 'scxml') continue;
      if (s.invokes.length > 0) this.statesToInvoke.push(s);
      if (!this.initialised[s.index]) {
        this.initialised[s.index] = 1;
        this.initializeData(s.data);
      }
      for (const content of s.onentry) this.executeContent(content);
      if (statesForDefaultEntry.includes(s) && s.initial && s.initial.actions.length > 0) this.executeContent(s.initial.actions);
      const historyContent = defaultHistoryContent.find((h) => h.state === s)?.actions;
      if (historyContent) this.executeContent(historyContent);
      if (s.kind === 'final') {
        const parent = s.parent!;
        if (parent.kind === 'scxml') this.running = false;
        else {
          const grandparent = parent.parent;
          this.pushPlatform('done.state.' + parent.id, this.evaluateDonedata(s));
          if (grandparent && grandparent.kind === 'parallel') {
            if (grandparent.properChildren.every((c) => this.isInFinalState(c))) {
              this.pushPlatform('done.state.' + grandparent.id, undefined);
            }
          }
        }
      }
    }
  }

  private computeEntrySet(
    transitions: TransitionModel[],
    statesToEnter: StateModel[],
    statesForDefaultEntry: StateModel[],
    defaultHistoryContent: DefaultHistoryContent,
  ): void {
    for (const t of transitions) {
      if (!t.targets || t.targets.length === 0) continue;
      for (const s of t.targets) this.addDescendantStatesToEnter(s, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
      const ancestor = this.getTransitionDomain(t);
      for (const s of this.getEffectiveTargetStates(t)) {
        this.addAncestorStatesToEnter(s, ancestor, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
      }
    }
  }

  private historyDefault(h: StateModel): StateModel[] {
    if (h.initial?.targets) return h.initial.targets;
    return h.parent!.initial?.targets ?? [];
  }

  private addDescendantStatesToEnter(
    state: StateModel,
    statesToEnter: StateModel[],
    statesForDefaultEntry: StateModel[],
    defaultHistoryContent: DefaultHistoryContent,
  ): void {
    if (state.kind === 'history') {
      const recorded = this.historyValue?.get(state.index);
      if (recorded) {
        for (const s of recorded) this.addDescendantStatesToEnter(s, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
        for (const s of recorded) {
          this.addAncestorStatesToEnter(s, state.parent!, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
        }
      } else {
        if (state.initial && state.initial.actions.length > 0) defaultHistoryContent.push({ state: state.parent!, actions: state.initial.actions });
        const targets = this.historyDefault(state);
        for (const s of targets) this.addDescendantStatesToEnter(s, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
        for (const s of targets) {
          this.addAncestorStatesToEnter(s, state.parent!, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
        }
      }
      return;
    }
    if (!statesToEnter.includes(state)) statesToEnter.push(state);
    if (state.compound) {
      if (!statesForDefaultEntry.includes(state)) statesForDefaultEntry.push(state);
      const targets = state.initial!.targets!;
      for (const s of targets) this.addDescendantStatesToEnter(s, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
      for (const s of targets) this.addAncestorStatesToEnter(s, state, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
    } else if (state.kind === 'parallel') {
      for (const child of state.properChildren) {
        if (!statesToEnter.some((s) => s === child || isDescendant(s, child))) {
          this.addDescendantStatesToEnter(child, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
        }
      }
    }
  }

  private addAncestorStatesToEnter(
    state: StateModel,
    ancestor: StateModel | null | undefined,
    statesToEnter: StateModel[],
    statesForDefaultEntry: StateModel[],
    defaultHistoryContent: DefaultHistoryContent,
  ): void {
    for (const anc of state.ancestors) {
      if (ancestor && anc === ancestor) break;
      if (!statesToEnter.includes(anc)) statesToEnter.push(anc);
      if (anc.kind === 'parallel') {
        for (const child of anc.properChildren) {
          if (!statesToEnter.some((s) => s === child || isDescendant(s, child))) {
            this.addDescendantStatesToEnter(child, statesToEnter, statesForDefaultEntry, defaultHistoryContent);
          }
        }
      }
    }
  }

  private isInFinalState(s: StateModel): boolean {
    if (s.compound) return s.properChildren.some((c) => c.kind === 'final' && this.active[c.index] === 1);
    if (s.kind === 'parallel') return s.properChildren.every((c) => this.isInFinalState(c));
    return false;
  }

  private getTransitionDomain(t: TransitionModel): StateModel | null | undefined {
    if (!t.hasHistoryTarget) return t.staticDomain;
    const tstates = this.getEffectiveTargetStates(t);
    if (tstates.length === 0) return undefined;
    if (t.internal && t.source.compound && tstates.every((s) => isDescendant(s, t.source))) return t.source;
    return findLCCA([t.source, ...tstates]) ?? null;
  }

  private getEffectiveTargetStates(t: TransitionModel): StateModel[] {
    if (!t.hasHistoryTarget) return t.targets ?? [];
    const targets: StateModel[] = [];
    for (const s of t.targets!) {
      if (s.kind === 'history') {
        const recorded = this.historyValue?.get(s.index);
        const list = recorded ?? this.historyDefault(s);
        for (const x of list) {
          if (x.kind === 'history') {
            for (const y of this.getEffectiveTargetStates(s.initial!)) if (!targets.includes(y)) targets.push(y);
          } else if (!targets.includes(x)) targets.push(x);
        }
      } else if (!targets.includes(s)) targets.push(s);
    }
    return targets;
  }

  // ---- events and executable content ------------------------------------------------

  private pushPlatform(name: string, data: unknown): void {
    this.internalQueue.push({
      name,
      type: 'platform',
      sendid: undefined,
      origin: undefined,
      origintype: undefined,
      invokeid: undefined,
      data,
    });
  }

  private raiseError(name: 'error.execution' | 'error.communication', error: unknown, sendid?: string): void {
    this.observer?.error?.(this.id, name, error);
    this.internalQueue.push({
      name,
      type: 'platform',
      sendid,
      origin: undefined,
      origintype: undefined,
      invokeid: undefined,
      data: error instanceof Error ? error.message : typeof error === 'string' ? error : undefined,
    });
  }

  /** Runs a block of executable content; an error stops the block and raises error.execution (SCXML 4.9). */
  private executeContent(block: Action[]): void {
    try {
      for (const action of block) action(this);
    } catch (e) {
      this.raiseError('error.execution', e, e instanceof ExecutionError ? e.sendid : undefined);
    }
  }

  executeBlock(block: Action[]): void {
    for (const action of block) action(this);
  }

  evaluate(snippet: Snippet): unknown {
    const fn = snippet.fn;
    if (fn === undefined) throw new ExecutionError(snippet.error ?? 'not compiled');
    const realm = this.realm;
    realm.setSession(this.clock, this.random);
    realm.setDeadline(this.timeLimit);
    try {
      return fn(this.scope, this.data, realm.runtime);
    } finally {
      realm.clearDeadline();
    }
  }

  xmlValue(tree: XmlTree): unknown {
    return this.realm.makeDom(tree);
  }

  condition(snippet: Snippet): boolean {
    try {
      return !!this.evaluate(snippet);
    } catch (e) {
      this.raiseError('error.execution', e);
      return false;
    }
  }

  runScript(snippet: Snippet): void {
    this.evaluate(snippet);
  }

  assignLocation(location: Snippet, value: unknown): void {
    const root = location.root;
    if (location.fn === undefined || root === undefined) throw new ExecutionError(location.error ?? 'invalid location');
    if (SYSTEM_NAMES.has(root)) throw new ExecutionError(`cannot assign to system variable ${root}`);
    if (!(root in this.data)) throw new ExecutionError(`location ${location.source} is not declared`);
    const realm = this.realm;
    realm.setSession(this.clock, this.random);
    realm.setDeadline(this.timeLimit);
    try {
      location.fn(this.scope, this.data, realm.runtime, value);
    } finally {
      realm.clearDeadline();
    }
  }

  raiseInternal(name: string, data: unknown): void {
    this.internalQueue.push({
      name,
      type: 'internal',
      sendid: undefined,
      origin: undefined,
      origintype: undefined,
      invokeid: undefined,
      data,
    });
  }

  log(label: string | undefined, value: unknown): void {
    this.logger?.(label, value, this.id);
  }

  foreach(spec: ForeachSpec): void {
    const array = this.evaluate(spec.array);
    if (array === null || typeof array !== 'object' || typeof (array as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new ExecutionError('foreach array is not iterable');
    }
    const items = Array.from(array as Iterable<unknown>);
    const declare = (loc: Snippet) => {
      if (loc.root === undefined || loc.fn === undefined) throw new ExecutionError(loc.error ?? 'invalid foreach variable');
      if (loc.root === loc.source.trim() && !(loc.root in this.data)) {
        if (SYSTEM_NAMES.has(loc.root)) throw new ExecutionError(`cannot assign to ${loc.root}`);
        this.data[loc.root] = undefined;
      }
    };
    declare(spec.item);
    if (spec.index) declare(spec.index);
    for (let i = 0; i < items.length; i++) {
      this.assignLocation(spec.item, items[i]);
      if (spec.index) this.assignLocation(spec.index, i);
      this.executeBlock(spec.body);
    }
  }

  runExtension(action: ExtensionAction): void {
    action(this.executionContext());
  }

  private executionContext(): ExecutionContext {
    const ev = this.currentEvent;
    return {
      sessionId: this.id,
      event: ev ? this.toScxmlEvent(ev) : undefined,
      services: this.options.services,
      evaluate: (e) => this.evaluate(e as Snippet),
      assign: (location, value) => {
        if (SYSTEM_NAMES.has(location)) throw new ExecutionError(`cannot assign to ${location}`);
        this.data[location] = this.realm.importValue(value);
      },
      execute: (block) => this.executeBlock(block as unknown as Action[]),
      raise: (e) => this.raiseInternal(e.name, e.data === undefined ? undefined : this.realm.importValue(e.data)),
      enqueue: (e) => this.enqueue(e),
    };
  }

  private toScxmlEvent(e: QueuedEvent): ScxmlEvent {
    return { ...e };
  }

  // ---- datamodel -------------------------------------------------------------------

  private initSystemVariables(): void {
    const d = this.data;
    d._sessionid = this.id;
    d._name = this.model.name;
    d._event = undefined;
    const extra = this.options.ioProcessors;
    if (!extra) d._ioprocessors = this.realm.makeIoProcessors(this.id, undefined);
    else {
      const io: Record<string, { location: string }> = {};
      for (const [type, p] of Object.entries(extra)) {
        io[type] = { location: p.location(this.id) };
        if (type === BASIC_HTTP_PROCESSOR) io.basichttp = io[type]!;
      }
      d._ioprocessors = this.realm.makeIoProcessors(this.id, io);
    }
  }

  private initializeData(items: StateModel['data']): void {
    const overrides = this.options.data;
    for (const item of items) {
      if (overrides && Object.hasOwn(overrides, item.id)) {
        this.data[item.id] = this.realm.importValue(overrides[item.id]);
        continue;
      }
      try {
        if (item.expr) this.data[item.id] = this.evaluate(item.expr);
        else if (item.content) this.data[item.id] = this.evaluate(item.content);
        else if (item.xml) this.data[item.id] = this.realm.makeDom(item.xml);
        else this.data[item.id] = item.text;
      } catch (e) {
        this.data[item.id] = undefined;
        this.raiseError('error.execution', e);
      }
    }
  }

  private evaluateDonedata(s: StateModel): unknown {
    if (!s.donedata) return undefined;
    try {
      if (s.donedata.content) return this.evaluateContent(s.donedata.content);
      return this.evaluateParams(s.donedata.params, [], []);
    } catch (e) {
      this.raiseError('error.execution', e);
      return undefined;
    }
  }

  private evaluateContent(content: ContentSpec): unknown {
    if (content.expr) return this.evaluate(content.expr);
    if (content.xml) return this.realm.makeDom(content.xml);
    return content.text;
  }

  private evaluateParams(params: ParamSpec[], namelist: Snippet[], names: string[]): unknown {
    if (params.length === 0 && names.length === 0) return undefined;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      const v = this.evaluate(namelist[i]!);
      out[names[i]!] = v;
    }
    for (const p of params) {
      const source = p.expr ?? p.location;
      out[p.name] = source ? this.evaluate(source) : undefined;
    }
    return this.realm.importValue(out);
  }

  // ---- <send>, <cancel> ---------------------------------------------------------------

  sendAction(spec: SendSpec): void {
    let sendid = spec.id;
    if (sendid === undefined) {
      sendid = `${this.id}.send.${++this.counter}`;
      if (spec.idlocation) this.assignLocation(spec.idlocation, sendid);
    }
    try {
      this.sendWithId(spec, sendid);
    } catch (e) {
      const error = e instanceof ExecutionError ? e : new ExecutionError(e instanceof Error ? e.message : String(e));
      error.sendid = sendid;
      throw error;
    }
  }

  private sendWithId(spec: SendSpec, sendid: string): void {
    const name = spec.eventexpr ? String(this.evaluate(spec.eventexpr)) : spec.event;
    const target = spec.targetexpr ? String(this.evaluate(spec.targetexpr)) : spec.target;
    const type = spec.typeexpr ? String(this.evaluate(spec.typeexpr)) : (spec.type ?? SCXML_PROCESSOR);
    let delay = spec.delay ?? 0;
    if (spec.delayexpr) {
      const raw = this.evaluate(spec.delayexpr);
      delay = typeof raw === 'number' ? raw : parseCssTime(String(raw));
      if (Number.isNaN(delay)) throw new ExecutionError(`invalid delay ${String(raw)}`);
    }
    const data = spec.content
      ? this.realm.importValue(this.evaluateContent(spec.content))
      : this.evaluateParams(spec.params, spec.namelist, spec.namelistNames);
    const isScxmlType = type === SCXML_PROCESSOR || type === 'scxml';
    if (!isScxmlType && !this.options.ioProcessors?.[type]) throw new ExecutionError(`unsupported send type ${type}`);
    if (isScxmlType && target !== undefined && !isScxmlTarget(target)) {
      throw new ExecutionError(`invalid target ${target} for the SCXML event processor`);
    }
    if (name === undefined && spec.content === undefined && isScxmlType) throw new ExecutionError('<send> without event');
    const event: QueuedEvent = {
      name: name ?? '',
      type: 'external',
      sendid: spec.id !== undefined || spec.idlocation ? sendid : undefined,
      origin: undefined,
      origintype: undefined,
      invokeid: undefined,
      data,
    };
    if (delay > 0) {
      if (target === '#_internal') throw new ExecutionError('delayed send to #_internal');
      const due = this.clock.now() + delay;
      const pending: PendingSend = { sendid, due, event, target, type: isScxmlType ? SCXML_PROCESSOR : type, timer: undefined };
      (this.pendingSends ??= new Map()).set(sendid, pending);
      this.armTimer(pending);
      return;
    }
    this.dispatch(event, target, isScxmlType ? SCXML_PROCESSOR : type, sendid);
  }

  private armTimer(pending: PendingSend): void {
    pending.timer = this.clock.setTimer(pending.due, () => {
      if (this.pendingSends?.get(pending.sendid) !== pending) return;
      this.pendingSends?.delete(pending.sendid);
      this.realm.setSession(this.clock, this.random);
      this.dispatch(pending.event, pending.target, pending.type, pending.sendid);
    });
  }

  private dispatch(event: QueuedEvent, target: string | undefined, type: string, sendid: string): void {
    if (type !== SCXML_PROCESSOR) {
      const processor: IoProcessor = this.options.ioProcessors![type]!;
      const fail = (e: unknown) => {
        this.observer?.error?.(this.id, 'error.communication', e);
        this.externalQueue.push({ ...event, name: 'error.communication', type: 'platform', sendid, data: undefined });
        this.notify();
      };
      try {
        const r = processor.send(
          { name: event.name, data: event.data, target, type, sendid: event.sendid, sourceSessionId: this.id },
          this,
        );
        if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(fail);
      } catch (e) {
        if (this.inMacrostepContext()) this.raiseError('error.communication', e, sendid);
        else fail(e);
      }
      return;
    }
    event.origin = '#_scxml_' + this.id;
    event.origintype = SCXML_PROCESSOR;
    if (target === undefined) {
      this.externalQueue.push(event);
      this.notify();
      return;
    }
    if (target === '#_internal') {
      this.internalQueue.push({ ...event, type: 'internal' });
      return;
    }
    let recipient: Session | SessionHandle | undefined;
    if (target === '#_parent') {
      recipient = this.parent?.session;
      if (this.parent) event.invokeid = this.parent.invokeid;
    } else if (target.startsWith('#_scxml_')) {
      const id = target.slice('#_scxml_'.length);
      recipient = id === this.id ? this : this.registry?.get(id);
    } else if (target.startsWith('#_')) {
      const inv = this.invoked?.get(target.slice(2));
      if (inv && !inv.child) {
        this.forwardToInvocation(inv, { ...event });
        return;
      }
      recipient = inv && !inv.child!.done ? inv.child : undefined;
    }
    if (!recipient) {
      const error = new Error(`target ${target} is unreachable`);
      if (this.inMacrostepContext()) this.raiseError('error.communication', error, sendid);
      else {
        this.externalQueue.push({ ...event, name: 'error.communication', type: 'platform', sendid, data: undefined });
        this.notify();
      }
      return;
    }
    if (recipient instanceof Session) recipient.deliver(event);
    else recipient.enqueue({ ...event, data: event.data });
  }

  /** Whether we are inside start()/run(), so errors can go to the internal queue. */
  private inMacrostepContext(): boolean {
    return this.running && (this.inRun || this.starting);
  }

  /** Delivery between sessions of this library (event data is already a realm value). */
  private deliver(event: QueuedEvent): void {
    if (this.finished) return;
    this.externalQueue.push({ ...event, data: event.data === undefined ? undefined : this.realm.importValue(event.data) });
    this.notify();
  }

  cancel(sendid: string): void {
    const pending = this.pendingSends?.get(sendid);
    if (!pending) return;
    this.clock.clearTimer(pending.timer);
    this.pendingSends?.delete(sendid);
  }

  // ---- <invoke> ------------------------------------------------------------------------

  private invoke(spec: InvokeSpec, state: StateModel): void {
    let invokeid = spec.id;
    try {
      if (invokeid === undefined) {
        invokeid = `${state.id}.${this.id}.${++this.counter}`;
        if (spec.idlocation) this.assignLocation(spec.idlocation, invokeid);
      }
      const type = spec.typeexpr ? String(this.evaluate(spec.typeexpr)) : (spec.type ?? 'http://www.w3.org/TR/scxml/');
      if (!SCXML_INVOKE_TYPES.has(type)) throw new ExecutionError(`unsupported invoke type ${type}`);
      let document: ScxmlDocument | Promise<ScxmlDocument>;
      let documentRef: ChildDocumentRef;
      if (spec.content?.document) {
        document = ScxmlDocument.fromModel(spec.content.document, this.document.options);
        documentRef = { kind: 'inline', state: state.id, invoke: state.invokes.indexOf(spec) };
      } else if (spec.content) {
        const value = this.evaluateContent(spec.content);
        const tree = this.realm.domTree(value);
        const xml = tree ? serializeTree(tree) : String(value);
        document = compile(xml, this.document.options);
        documentRef = { kind: 'text', xml };
      } else {
        const src = spec.srcexpr ? String(this.evaluate(spec.srcexpr)) : spec.src;
        if (src === undefined) throw new ExecutionError('<invoke> needs src, srcexpr or <content>');
        document = this.loadChildDocument(src);
        documentRef = { kind: 'src', src };
      }
      const params = this.evaluateParams(spec.params, spec.namelist, spec.namelistNames) as Record<string, unknown> | undefined;
      const id = invokeid;
      const inv: Invocation = { invokeid: id, state, spec, child: undefined, documentRef, params };
      (this.invoked ??= new Map()).set(id, inv);
      this.whenLoaded(inv, document, (doc) => {
        inv.child = this.createChild(doc, id, params);
        inv.child.start();
      });
    } catch (e) {
      this.raiseError('error.execution', e);
    }
  }

  /** Runs `attach` now for a loaded document, or when an asynchronous load completes (if the invocation is still active). */
  private whenLoaded(inv: Invocation, document: ScxmlDocument | Promise<ScxmlDocument>, attach: (doc: ScxmlDocument) => void): void {
    if (!(document instanceof Promise)) {
      attach(document);
      return;
    }
    document.then(
      (doc) => {
        if (this.invoked?.get(inv.invokeid) !== inv || this.finished) return;
        attach(doc);
        inv.params = undefined;
        for (const e of inv.waiting ?? []) inv.child!.enqueue(e);
        inv.waiting = undefined;
      },
      (error: unknown) => {
        if (this.invoked?.get(inv.invokeid) !== inv || this.finished) return;
        this.invoked.delete(inv.invokeid);
        this.observer?.error?.(this.id, 'error.execution', error);
        this.externalQueue.push({
          name: 'error.execution',
          type: 'platform',
          sendid: undefined,
          origin: undefined,
          origintype: undefined,
          invokeid: inv.invokeid,
          data: error instanceof Error ? error.message : String(error),
        });
        this.notify();
      },
    );
  }

  private forwardToInvocation(inv: Invocation, event: EventInput): void {
    if (inv.child) inv.child.enqueue(event);
    else (inv.waiting ??= []).push(event);
  }

  private loadChildDocument(src: string): ScxmlDocument | Promise<ScxmlDocument> {
    if (this.options.loadDocument) return this.options.loadDocument(src);
    const load = this.document.options.loadSource;
    if (!load) throw new ExecutionError(`cannot load ${src}: no loader`);
    return compile(load(src), this.document.options);
  }

  private createChild(document: ScxmlDocument, invokeid: string, params: Record<string, unknown> | undefined): Session {
    const childOptions: SessionOptions = {
      ...this.options,
      sessionId: `${this.id}.${invokeid}`,
      registry: this.sharedRegistry(),
      data: params ? Object.fromEntries(Object.entries(params).filter(([k]) => document.model.allData.some((d) => d.id === k))) : undefined,
    };
    return new Session(document, childOptions, { session: this, invokeid });
  }

  private sharedRegistry(): SessionRegistry {
    if (!this.registry) {
      this.registry = new MapRegistry();
      this.registry.add(this);
    }
    return this.registry;
  }

  private cancelInvoke(spec: InvokeSpec, state: StateModel): void {
    for (const inv of (this.invoked ?? EMPTY_MAP).values()) {
      if (inv.spec === spec && inv.state === state) {
        this.invoked?.delete(inv.invokeid);
        if (!inv.child) continue; // still loading: the load result is ignored
        if (inv.child.done) continue; // completed on its own: its events (done.invoke) still count
        inv.child.terminate();
        // Events the cancelled invocation already sent are not processed (SCXML 6.4).
        this.externalQueue = this.externalQueue.filter((e) => e.invokeid !== inv.invokeid);
      }
    }
  }

  private applyFinalize(inv: Invocation): void {
    if (inv.spec.finalize.length > 0) this.executeContent(inv.spec.finalize);
  }

  // ---- snapshot / restore -----------------------------------------------------------

  snapshot(): SessionSnapshot {
    if (this.inRun) throw new Error('snapshot() is only possible between macrosteps');
    const realm = this.realm;
    const datamodel = realm.encodeVariables(this.data, NOT_SNAPSHOTTED);
    const encodeEvent = (e: QueuedEvent) => ({ ...e, data: realm.encode(e.data) });
    const history: Record<string, string[]> = {};
    for (const [index, states] of this.historyValue ?? EMPTY_MAP) history[this.states[index]!.id] = states.map((s) => s.id);
    return {
      version: 1,
      sessionId: this.id,
      configuration: this.flaggedStateIds(this.active),
      history,
      // With early binding every state is initialised at start: nothing to record.
      initialisedStates: this.model.binding === 'early' ? ['*'] : this.flaggedStateIds(this.initialised),
      datamodel,
      internalQueue: this.internalQueue.map(encodeEvent),
      externalQueue: this.externalQueue.map(encodeEvent),
      pendingSends: [...(this.pendingSends ?? EMPTY_MAP).values()].map((p) => ({
        sendid: p.sendid,
        due: p.due,
        event: encodeEvent(p.event),
        target: p.target,
        type: p.type,
      })),
      invoked: [...(this.invoked ?? EMPTY_MAP).values()].map((inv) => ({
        invokeid: inv.invokeid,
        state: inv.state.id,
        invoke: inv.state.invokes.indexOf(inv.spec),
        document: inv.documentRef,
        child: inv.child ? inv.child.snapshot() : null,
        ...(inv.child ? {} : { params: realm.encode(inv.params) }),
      })),
      counter: this.counter,
      running: this.running,
      done: this.finished,
      doneData: realm.encode(this.doneDataValue),
      lastEvent: this.currentEvent ? encodeEvent(this.currentEvent) : null,
    };
  }

  /** Ids of the states whose flag is set ('' stands for the <scxml> root). */
  private flaggedStateIds(flags: Uint8Array): string[] {
    const out: string[] = [];
    for (let i = 0; i < flags.length; i++) if (flags[i]) out.push(i === 0 ? '' : this.states[i]!.id);
    return out;
  }

  /** @internal Used by restoreSession. */
  restoreFrom(snapshot: SessionSnapshot): void {
    if (snapshot.version !== 1) throw new Error(`unsupported snapshot version ${String(snapshot.version)}`);
    const realm = this.realm;
    const byId = (id: string): StateModel => {
      const s = id === '' ? this.model.root : this.model.stateById.get(id);
      if (!s) throw new Error(`snapshot names unknown state "${id}" (document changed?)`);
      return s;
    };
    this.started = true;
    this.running = snapshot.running;
    this.finished = snapshot.done;
    this.initSystemVariables();
    for (const id of snapshot.configuration) this.active[byId(id).index] = 1;
    if (snapshot.initialisedStates[0] === '*') this.initialised.fill(1);
    else for (const id of snapshot.initialisedStates) this.initialised[byId(id).index] = 1;
    for (const [id, states] of Object.entries(snapshot.history)) (this.historyValue ??= new Map()).set(byId(id).index, states.map(byId));
    for (const d of this.model.allData) if (!(d.id in this.data)) this.data[d.id] = undefined;
    realm.decodeVariables(snapshot.datamodel, this.scope, this.data);
    const decodeEvent = (e: unknown): QueuedEvent => {
      const q = e as QueuedEvent;
      return { ...q, data: realm.decode(q.data, this.scope, this.data) };
    };
    this.internalQueue = snapshot.internalQueue.map(decodeEvent);
    this.externalQueue = snapshot.externalQueue.map(decodeEvent);
    this.counter = snapshot.counter;
    this.doneDataValue = realm.decode(snapshot.doneData, this.scope, this.data);
    if (snapshot.lastEvent) this.setEvent(decodeEvent(snapshot.lastEvent));
    for (const p of snapshot.pendingSends) {
      const pending: PendingSend = { sendid: p.sendid, due: p.due, event: decodeEvent(p.event), target: p.target, type: p.type, timer: undefined };
      (this.pendingSends ??= new Map()).set(p.sendid, pending);
      this.armTimer(pending);
    }
    for (const inv of snapshot.invoked) {
      const state = byId(inv.state);
      const spec = state.invokes[inv.invoke];
      if (!spec) throw new Error(`snapshot names unknown invoke ${inv.invoke} of "${inv.state}"`);
      let document: ScxmlDocument | Promise<ScxmlDocument>;
      if (inv.document.kind === 'inline') document = ScxmlDocument.fromModel(spec.content!.document!, this.document.options);
      else if (inv.document.kind === 'text') document = compile(inv.document.xml, this.document.options);
      else document = this.loadChildDocument(inv.document.src);
      const childSnapshot = inv.child;
      const params = childSnapshot ? undefined : (realm.decode(inv.params, this.scope, this.data) as Record<string, unknown> | undefined);
      const invocation: Invocation = { invokeid: inv.invokeid, state, spec, child: undefined, documentRef: inv.document, params };
      (this.invoked ??= new Map()).set(inv.invokeid, invocation);
      this.whenLoaded(invocation, document, (doc) => {
        if (!childSnapshot) {
          invocation.child = this.createChild(doc, inv.invokeid, params);
          invocation.child.start();
          return;
        }
        const child = new Session(doc, { ...this.options, sessionId: childSnapshot.sessionId, registry: this.sharedRegistry() }, {
          session: this,
          invokeid: inv.invokeid,
        });
        child.restoreFrom(childSnapshot);
        invocation.child = child;
      });
    }
    if (this.finished) this.registry?.delete(this.id);
    if (this.externalQueue.length > 0) this.notify();
  }
}

function isScxmlTarget(target: string): boolean {
  return target === '#_internal' || target === '#_parent' || target.startsWith('#_scxml_') || target.startsWith('#_');
}

function parseCssTime(text: string): number {
  const m = /^\s*(\d*\.?\d+)\s*(ms|s)?\s*$/.exec(text);
  if (!m) return NaN;
  return m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
}

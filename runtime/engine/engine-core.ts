// The sessions of one engine lane and their scheduler: what runs strategy code. On an
// engine thread it is driven by engine-thread-main.ts; for engines without a thread entry
// (the runtime's table engines in tests, the bench's in-thread baseline) the I/O thread
// drives it directly (in-thread-lane.ts). It knows nothing of HTTP, HA or limits: it
// receives batches of commands and answers with batches of outcomes.
//
// Scheduling: sessions with pending work wait in one FIFO run queue; one macrostep of the
// session at the head runs, it goes back to the tail if it has more, and the lane yields
// to its event loop (setImmediate) every `sliceMs`, so a session that keeps sending itself
// events cannot starve the others, and new batches are received between slices.
//
// Flushes: outcomes leave at the end of every slice, with each session's progress (the
// last command it consumed, whether it is at a stable point). Persisted sessions at a
// stable point carry their snapshot (for HA). On recovery lanes (engine threads) the
// sessions that ran are also snapshotted for the watchdog's restores: every
// `recoverySnapshotMs`, busy or idle (a timer comes back for sessions that ran since the
// last round; snapshotting whenever the lane went idle took one snapshot per event under
// HTTP load, where the lane is idle between batches), and at once when the session had an
// effect that must not happen twice (an event to another session, a child session, a
// telephony action, a terminate): the effect and the snapshot covering it leave in the
// same message, so a thread lost before that message loses both and the session redoes
// the work once from its previous snapshot. `<response>`s may leave without a snapshot: a
// second answer to the same request finds it answered and is dropped.
import type { BusyMarker, HostCallMethod, HostCommand, LaneBatch, LaneDocument, LaneOutcome } from './engine-protocol.ts';
import type { HostBatchSink } from './engine-wire.ts';
import type {
  CompiledStrategy,
  ExternalEvent,
  FetchRequest,
  FetchResult,
  SessionHostServices,
  StrategyEngine,
  StrategySession,
} from '../sessions/strategy-engine.ts';

type Work =
  | { kind: 'start'; seq: number }
  | { kind: 'event'; seq: number; event: ExternalEvent }
  | { kind: 'pending' }
  /** A query answered in order, after the events sent before it. */
  | { kind: 'query'; qid: number };

interface CoreSession {
  sid: string;
  slot: number;
  compiled: CompiledStrategy;
  session: StrategySession;
  started: boolean;
  queue: Work[];
  inRunQueue: boolean;
  consumed: number;
  /** Progress to report at the next flush. */
  dirty: boolean;
  /** State changed since the last snapshot that left (recovery lanes). */
  unsnapshotted: boolean;
  /** An effect that must not be repeated left with this flush: snapshot now. */
  mustSnapshot: boolean;
  events: number;
}

export interface EngineCoreOptions {
  /** Compiles documents that arrive as source (engine threads). */
  engine?: StrategyEngine;
  /** Snapshot every session that ran at each flush (engine threads, for the watchdog's restores). */
  recoverySnapshots: boolean;
  /** How often a busy recovery lane snapshots the sessions that ran (ms). */
  recoverySnapshotMs?: number;
  sliceMs: number;
  fetchTimeoutMs: number;
  busy: BusyMarker;
  send(batch: LaneBatch): void;
}

export class EngineCore implements HostBatchSink {
  readonly #options: EngineCoreOptions;
  readonly #docs = new Map<number, CompiledStrategy>();
  /** By slot: what commands address a session by. */
  readonly #sessions = new Map<number, CoreSession>();
  readonly #runQueue: CoreSession[] = [];
  #runQueueHead = 0;
  /** Events received and not yet run, over all sessions (reported as the lane's backlog). */
  #queuedEvents = 0;
  #sliceScheduled = false;
  #flushScheduled = false;
  #outbox: LaneOutcome[] = [];
  #ack = 0;
  #ackPending = false;
  #nextCallId = 1;
  /** The session whose work is running now (its effects are its own). */
  #running: CoreSession | undefined;
  #lastRecoverySnapshot = -Infinity;
  #recoveryTimer: NodeJS.Timeout | undefined;
  /** Sessions with progress to report or a snapshot owed (a flush visits only these). */
  readonly #touched = new Set<CoreSession>();
  readonly #calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly #services: SessionHostServices;

  constructor(options: EngineCoreOptions) {
    this.#options = options;
    this.#services = {
      startSession: async (parentId, src, parameters) => String(await this.call(parentId, 'startSession', [parentId, src, parameters])),
      terminateSession: (target) => this.#effect(undefined, { op: 'terminate', target }),
      fetch: (request) => this.#fetch(request),
      respond: (sid, requestId, response) => {
        this.#push({ op: 'respond', sid, requestId, response });
        return true;
      },
      deliver: (target, event) => {
        this.#effect(undefined, { op: 'deliver', target, event });
        return true;
      },
    };
  }

  /** Asks the I/O thread for a host service (child sessions, telephony); settles with its reply. */
  call(sid: string, method: HostCallMethod, args: unknown[]): Promise<unknown> {
    const callId = this.#nextCallId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(callId, { resolve, reject });
      this.#effect(this.#bySid(sid), { op: 'call', callId, sid, method, args });
    });
  }

  /** An event for a session of another lane (`#_scxml_<id>`), routed by the I/O thread. */
  deliverElsewhere(target: string, event: ExternalEvent): void {
    this.#effect(undefined, { op: 'deliver', target, event });
  }

  /** An outcome that must not happen twice: its session's snapshot goes with it. */
  #effect(of: CoreSession | undefined, outcome: LaneOutcome): void {
    const core = of ?? this.#running;
    if (core) {
      core.mustSnapshot = true;
      this.#touched.add(core);
    }
    this.#push(outcome);
  }

  /** The session making a host call: the one running, as a rule (a search otherwise: calls are rare). */
  #bySid(sid: string): CoreSession | undefined {
    if (this.#running?.sid === sid) return this.#running;
    for (const core of this.#sessions.values()) if (core.sid === sid) return core;
    return undefined;
  }

  receive(batch: number, commands: HostCommand[]): void {
    for (const command of commands) this.apply(command);
    this.acknowledge(batch);
  }

  /**
   * A batch has been taken in: its number goes back with the next flush (the watchdog's
   * liveness signal, and what lets the next batch leave). When the batch gave the lane work,
   * that flush is the one at the end of the slice running it, so one message carries the
   * acknowledgement and the progress (a message of its own cost as much as the progress).
   */
  acknowledge(batch: number): void {
    this.#ack = batch;
    this.#ackPending = true;
    if (!this.#sliceScheduled) this.#scheduleFlush();
  }

  /** One event for a session (what most of a batch is; engine-wire.ts decodes them without a command object). */
  event(slot: number, seq: number, event: ExternalEvent): void {
    const core = this.#sessions.get(slot);
    if (!core) return;
    core.queue.push({ kind: 'event', seq, event });
    this.#queuedEvents++;
    if (core.started) this.#makeRunnable(core);
  }

  apply(command: HostCommand): void {
    switch (command.op) {
      case 'doc':
        this.#addDocument(command.doc);
        return;
      case 'create':
      case 'restore':
        this.#open(command);
        return;
      case 'start': {
        const core = this.#sessions.get(command.slot);
        if (!core) return;
        core.queue.unshift({ kind: 'start', seq: command.seq });
        core.started = true;
        this.#makeRunnable(core);
        return;
      }
      case 'event':
        this.event(command.slot, command.seq, command.event);
        return;
      case 'cancel': {
        const core = this.#sessions.get(command.slot);
        if (!core) return;
        this.#drop(core);
        this.#guard(core, () => core.session.cancel());
        return;
      }
      case 'query':
        this.#query(command.slot, command.qid);
        return;
      case 'reply': {
        const call = this.#calls.get(command.callId);
        if (!call) return;
        this.#calls.delete(command.callId);
        if (command.ok) call.resolve(command.value);
        else call.reject(new Error(command.message ?? 'failed'));
        return;
      }
    }
  }

  #addDocument(doc: LaneDocument): void {
    if (doc.compiled) {
      this.#docs.set(doc.id, doc.compiled);
      return;
    }
    if (!this.#options.engine || doc.source === undefined) throw new Error(`document ${doc.id} arrived without a way to compile it`);
    this.#docs.set(doc.id, this.#options.engine.compile(doc.source, doc.origin ?? `document-${doc.id}`, doc.includes && new Map(doc.includes)));
  }

  #open(command: Extract<HostCommand, { op: 'create' | 'restore' }>): void {
    const compiled = this.#docs.get(command.docId);
    if (!compiled) {
      this.#push({ op: 'finished', sid: command.sid, reason: 'failed', message: `document ${command.docId} unknown to this engine thread` });
      return;
    }
    const core: CoreSession = {
      sid: command.sid,
      slot: command.slot,
      compiled,
      session: undefined as unknown as StrategySession,
      started: command.op === 'restore',
      queue: [],
      inRunQueue: false,
      consumed: command.op === 'restore' ? command.seq : 0,
      dirty: false,
      unsnapshotted: false,
      mustSnapshot: false,
      events: 0,
    };
    const init = {
      sessionId: command.sid,
      parameters: command.op === 'create' ? command.parameters : {},
      services: this.#services,
      onWork: () => this.#onWork(core),
    };
    const made = this.#guard(core, () => {
      core.session =
        command.op === 'create' ? compiled.createSession(init) : compiled.restoreSession!(init, JSON.parse(command.snapshot));
    });
    if (!made) return;
    this.#sessions.set(command.slot, core);
  }

  #query(slot: number, qid: number): void {
    const core = this.#sessions.get(slot);
    if (!core) {
      this.#push({ op: 'query-result', qid, ok: false, message: `the session is not on this engine thread` });
      return;
    }
    if (core.started && core.queue.length > 0) {
      core.queue.push({ kind: 'query', qid });
      return;
    }
    this.#answer(core, qid);
  }

  #answer(core: CoreSession, qid: number): void {
    this.#options.busy.enter(core.slot);
    try {
      this.#push({
        op: 'query-result',
        qid,
        ok: true,
        result: { configuration: core.started ? core.session.configuration() : [], datamodel: core.session.datamodel() },
      });
    } catch (error) {
      this.#push({ op: 'query-result', qid, ok: false, message: messageOf(error) });
    } finally {
      this.#options.busy.leave();
    }
  }

  #onWork(core: CoreSession): void {
    if (this.#sessions.get(core.slot) !== core) return;
    if (core.queue.some((work) => work.kind === 'pending')) return;
    core.queue.push({ kind: 'pending' });
    if (core.started) this.#makeRunnable(core);
  }

  #makeRunnable(core: CoreSession): void {
    if (core.inRunQueue) return;
    core.inRunQueue = true;
    this.#runQueue.push(core);
    if (!this.#sliceScheduled) {
      this.#sliceScheduled = true;
      setImmediate(this.#runSlice);
    }
  }

  readonly #runSlice = (): void => {
    this.#sliceScheduled = false;
    let now = performance.now();
    const deadline = now + this.#options.sliceMs;
    const queue = this.#runQueue;
    while (this.#runQueueHead < queue.length) {
      const core = queue[this.#runQueueHead]!;
      queue[this.#runQueueHead++] = undefined as unknown as CoreSession;
      core.inRunQueue = false;
      if (this.#sessions.get(core.slot) === core) this.#runOne(core, now);
      now = performance.now();
      if (now >= deadline) break;
    }
    if (this.#runQueueHead === queue.length) {
      queue.length = 0;
      this.#runQueueHead = 0;
    } else if (this.#runQueueHead > 1024) {
      queue.splice(0, this.#runQueueHead);
      this.#runQueueHead = 0;
    }
    this.#flush();
    if (queue.length > this.#runQueueHead && !this.#sliceScheduled) {
      this.#sliceScheduled = true;
      setImmediate(this.#runSlice);
    }
  };

  #runOne(core: CoreSession, now: number): void {
    const work = core.queue.shift();
    if (!work) return;
    if (work.kind === 'event') this.#queuedEvents--;
    if (work.kind === 'query') {
      this.#answer(core, work.qid);
      if (core.queue.length > 0) this.#makeRunnable(core);
      return;
    }
    const ran = this.#guard(core, () => {
      if (work.kind === 'event') {
        core.session.send(work.event);
        core.events++;
      } else if (work.kind === 'start') {
        core.session.start();
      } else {
        core.session.runPending();
      }
    }, now);
    if (!ran) return;
    if (work.kind !== 'pending') core.consumed = work.seq;
    core.dirty = true;
    core.unsnapshotted = true;
    this.#touched.add(core);
    if (core.session.finished) {
      this.#drop(core);
      this.#push({ op: 'finished', sid: core.sid, reason: 'done' });
      return;
    }
    if (core.queue.length > 0) this.#makeRunnable(core);
  }

  /**
   * Runs strategy-facing work of a session under the watchdog's eye. The interpreter turns
   * strategy faults into error.* events; an exception here is an interpreter bug (or a
   * host object misused): contain it to this session.
   */
  #guard(core: CoreSession, work: () => void, now?: number): boolean {
    this.#options.busy.enter(core.slot, now);
    this.#running = core;
    try {
      work();
      return true;
    } catch (error) {
      this.#drop(core);
      try {
        core.session?.cancel();
      } catch {
        // Ending it is all that is left to do.
      }
      this.#push({ op: 'finished', sid: core.sid, reason: 'failed', message: messageOf(error) });
      return false;
    } finally {
      this.#running = undefined;
      this.#options.busy.leave();
    }
  }

  /** A session leaves the lane; what it had queued is no longer backlog. */
  #drop(core: CoreSession): void {
    if (this.#sessions.get(core.slot) !== core) return;
    this.#sessions.delete(core.slot);
    for (const work of core.queue) if (work.kind === 'event') this.#queuedEvents--;
  }

  #push(outcome: LaneOutcome): void {
    this.#outbox.push(outcome);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const now = performance.now();
    const idle = this.#runQueueHead >= this.#runQueue.length;
    const recoveryEvery = this.#options.recoverySnapshotMs ?? 50;
    const recoveryDue = this.#options.recoverySnapshots && now - this.#lastRecoverySnapshot >= recoveryEvery;
    if (recoveryDue) this.#lastRecoverySnapshot = now;
    for (const core of this.#touched) {
      if (this.#sessions.get(core.slot) !== core) {
        this.#touched.delete(core);
        continue;
      }
      if (!core.dirty && !(core.mustSnapshot || (recoveryDue && core.unsnapshotted))) continue;
      core.dirty = false;
      // An idle lane's drained queues let go of their grown backing stores (idle sessions
      // are most of a lane's memory; a busy lane keeps them, as it will fill them again).
      if (idle && core.queue.length === 0) core.queue = [];
      const stable = core.queue.every((work) => work.kind === 'query');
      const wantSnapshot =
        (stable && core.compiled.persist) ||
        (this.#options.recoverySnapshots && (core.mustSnapshot || (recoveryDue && core.unsnapshotted)));
      let snapshot: string | undefined;
      if (wantSnapshot) {
        core.mustSnapshot = false;
        core.unsnapshotted = false;
        this.#options.busy.enter(core.slot);
        try {
          snapshot = JSON.stringify(core.session.snapshot());
        } catch (error) {
          this.#outbox.push({ op: 'log', level: 'error', sid: core.sid, message: `snapshot failed: ${messageOf(error)}` });
        } finally {
          this.#options.busy.leave();
        }
      }
      this.#outbox.push({ op: 'progress', slot: core.slot, seq: core.consumed, stable, snapshot, events: core.events });
      core.events = 0;
      if (!core.mustSnapshot && !(this.#options.recoverySnapshots && core.unsnapshotted)) this.#touched.delete(core);
    }
    if (this.#outbox.length > 0 || this.#ackPending) {
      const outcomes = this.#outbox;
      this.#outbox = [];
      this.#ackPending = false;
      this.#options.send({ ack: this.#ack, outcomes, backlog: this.#queuedEvents });
    }
    // Sessions that ran since the last round get theirs when the next is due, busy or idle.
    if (this.#options.recoverySnapshots && this.#touched.size > 0 && !this.#recoveryTimer) {
      const wait = Math.max(0, recoveryEvery - (now - this.#lastRecoverySnapshot));
      this.#recoveryTimer = setTimeout(this.#recoveryRound, wait);
    }
  }

  readonly #recoveryRound = (): void => {
    this.#recoveryTimer = undefined;
    this.#flush();
  };

  async #fetch(request: FetchRequest): Promise<FetchResult> {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(request.timeoutMs ?? this.#options.fetchTimeoutMs),
    });
    const contentType = response.headers.get('content-type') ?? '';
    const text = await response.text();
    let body: unknown = text;
    if (/json/i.test(contentType)) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: response.status, contentType, body };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Hosts the sessions of one node on the I/O thread: creates them from compiled strategies,
// feeds each its events strictly in order, answers queries, terminates them, and enforces
// the limits. Strategy code does not run here: each session lives on one engine lane
// (runtime/engine/), an engine thread for engines that have a thread entry (the SCXML
// engine: `session-processing-threads` of them), or in-thread for engines without one
// (the test table engines; the bench's in-thread baseline). Commands reach a lane in
// batches, one message per event-loop turn, and outcomes (stable points with their
// snapshots, `<response>`s, child sessions, telephony actions) come back the same way.
//
// Child sessions are placed on their parent's lane; other sessions on the least loaded.
//
// Recovery: on engine threads every session is snapshotted whenever it ran (the lane
// reports it with the last command it consumed), and the commands sent since are kept.
// When the watchdog replaces a thread (a macrostep past `macrostep-hard-limit`, heap
// exhausted, a crash), the session that was running is ended with an error, remembered
// with its reason (its query answers 409 with it), and every other session of the thread
// is re-opened on the fresh one from that snapshot with the kept commands redelivered.
//
// Stable points: whenever a session's queue drains, listeners of `onStablePoint` are
// told — the hook where HA takes snapshots for persistence. A listener may return a
// promise that settles when the snapshot is durable; `settled(sessionId)` waits for that,
// so the API answers a persisted session's start, event or request only once the state it
// produced would survive the death of this process.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { HttpError } from '../http/http-error.ts';
import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import type { EngineLane, LaneListener, LaneLoss } from '../engine/engine-lane.ts';
import type { HostCallMethod, HostCommand, LaneBatch, LaneOutcome, QueryResult, SnapshotText } from '../engine/engine-protocol.ts';
import { InThreadLane } from '../engine/in-thread-lane.ts';
import type { EngineThreadEntry } from '../engine/thread-entry.ts';
import { WorkerLane } from '../engine/worker-lane.ts';
import type { TelephonyActions } from '../telephony/telephony-actions.ts';
import { newSessionId } from './session-id.ts';
import type { CompiledStrategy, ExternalEvent, RequestResponse } from './strategy-engine.ts';
import type { StrategyLoader } from './strategy-loader.ts';

export type SessionState = 'scheduled' | 'running' | 'finished';

interface PendingRequest {
  resolve: (response: RequestResponse) => void;
  reject: (error: HttpError) => void;
  timer: NodeJS.Timeout;
}

interface PendingQuery {
  hosted: HostedSession;
  resolve: (result: QueryResult) => void;
  reject: (error: HttpError) => void;
  timer: NodeJS.Timeout;
}

/** What re-opens a session on a fresh engine thread: its creation, or its latest snapshot. */
type RecoveryBase =
  | { kind: 'create'; parameters: Record<string, unknown> }
  | { kind: 'restore'; snapshot: SnapshotText; seq: number };

interface HostedSession {
  id: string;
  src: string;
  location: string;
  compiled: CompiledStrategy;
  docId: number;
  lane: EngineLane;
  /** The session's number on its lane's busy marker (which session a lost thread was running). */
  slot: number;
  parentId?: string;
  createdAt: number;
  startAt?: number;
  startTimer?: NodeJS.Timeout;
  started: boolean;
  deferred: boolean;
  /** The last command sequence number sent to the lane, and the last it reported consumed. */
  sent: number;
  consumed: number;
  /** Events for a session that has not started yet: sent after its start, in order. */
  held?: ExternalEvent[];
  /** Whether the lane's last report was a stable point covering every command sent. */
  stable: boolean;
  /** Recoverable lanes only: the base to re-open from and the commands sent since it. */
  base: RecoveryBase;
  journal?: (HostCommand & { seq: number })[];
  /** `/request`s waiting for a `<response>` (made on the first: most sessions never get one). */
  requests?: Map<string, PendingRequest>;
  /** Whether the state at the last stable point is durable (resolves) or could not be made so. */
  durable: Promise<void>;
  /** Callers of settled() waiting for the next stable point. */
  settleWaiters?: ((durable: Promise<void>) => void)[];
}

const DURABLE = Promise.resolve();

export interface SessionSummary {
  sessionId: string;
  src: string;
  location: string;
  node: string;
  state: SessionState;
  createdAt: string;
  startAt?: string;
  parentId?: string;
  persist: boolean;
  queueLength: number;
  /** The engine thread the session lives on (absent when sessions run in-thread). */
  engineThread?: number;
}

export interface StablePoint {
  sessionId: string;
  persist: boolean;
  src: string;
  /** The session's snapshot at this point (taken on its lane; there for persisted sessions). */
  session: { snapshot(): unknown };
}

export interface SessionHostOptions {
  nodeId: string;
  sessionIdWithNodeId: boolean;
  maxSessions: number;
  maxQueueLength: number;
  requestTimeoutMs: number;
  fetchTimeoutMs: number;
  loader: StrategyLoader;
  metrics: RuntimeMetrics;
  logger: Logger;
  /** How engine threads build the loader's engine; without it sessions run in-thread. */
  threadEntry?: EngineThreadEntry;
  /** Engine threads (`session-processing-threads`). */
  engineThreads?: number;
  /** Run even thread-capable engines in-thread (the bench's baseline). */
  inThread?: boolean;
  /** `macrostep-budget`: the in-realm limit of one script or expression (ms). */
  macrostepBudgetMs?: number;
  /** `macrostep-hard-limit`: beyond it the watchdog replaces the engine thread (ms). */
  macrostepHardLimitMs?: number;
  /** `session-processing-thread-heap`: V8 old-generation heap per engine thread (MB). */
  engineThreadHeapMb?: number;
  /** Carries out the telephony elements of sessions on engine threads. */
  telephony?: TelephonyActions;
  /** How long a lane runs macrosteps before yielding to its event loop. */
  sliceMs?: number;
  /** How many finished session ids are remembered (to answer 409 rather than 404). */
  finishedMemory?: number;
}

export interface CreateSessionOptions {
  parentId?: string;
  /** When to start (ms since epoch); the session exists (and queues events) until then. */
  startAt?: number;
  /** HA: reuse this id (a session restarted on a new primary keeps the id its clients know). */
  sessionId?: string;
  /** HA: create the session but start it only on `startDeferred()` (a backup's shadow session). */
  deferStart?: boolean;
}

/** A session's lifecycle as HA needs it: what to sync to the backup, and why a session ended. */
export type LifecycleChange =
  | { kind: 'created'; sessionId: string; src: string; parameters: Record<string, unknown>; persist: boolean; createdAt: number }
  | { kind: 'finished'; sessionId: string; reason: string };

/** Why a session ended, kept a while so a late query gets 409 with the reason. */
interface FinishedSession {
  at: number;
  reason: string;
  message?: string;
  /** Abandoned to a successor (abandonAll), not ended by the session or its clients. */
  handedOver?: boolean;
}

/** Reasons that are the runtime's doing rather than the session's: worth a message to clients. */
const ENDED_BY_RUNTIME = new Set(['watchdog', 'out-of-memory', 'stalled', 'crashed', 'failed']);

export class SessionHost {
  readonly #options: SessionHostOptions;
  readonly #sessions = new Map<string, HostedSession>();
  readonly #bySlot = new Map<number, HostedSession>();
  readonly #finished = new Map<string, FinishedSession>();
  /** Queries waiting for their lane's answer, by query id (few at a time). */
  readonly #queries = new Map<number, PendingQuery>();
  readonly #lanes: EngineLane[] = [];
  readonly #laneLoad = new Map<EngineLane, number>();
  readonly #docIds = new WeakMap<CompiledStrategy, number>();
  #nextDocId = 1;
  #nextSlot = 1;
  #nextQueryId = 1;
  #closed = false;
  /** Drained node (operator/api/pod-contract.ts DRAIN_ANNOTATION): running sessions go on, new ones are refused. */
  #draining = false;
  readonly #stableListeners = new Set<(point: StablePoint) => Promise<void> | undefined>();
  readonly #lifecycleListeners = new Set<(change: LifecycleChange) => void>();
  readonly #externalEventListeners = new Set<(sessionId: string, event: ExternalEvent) => void>();
  readonly #laneListener: LaneListener = {
    onBatch: (lane, batch) => this.#onBatch(lane, batch),
    onLost: (lane, loss) => this.#onLaneLost(lane, loss),
  };

  constructor(options: SessionHostOptions) {
    this.#options = options;
    this.#startLanes();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Engine threads told to terminate that never exited (stuck in a built-in V8 cannot interrupt). */
  get stuckThreads(): number {
    return this.#lanes.reduce((n, lane) => n + (lane instanceof WorkerLane ? lane.terminating : 0), 0);
  }

  /** Whether every started session has run all it was sent and reached a stable point. */
  get idle(): boolean {
    for (const hosted of this.#sessions.values()) if (hosted.started && !hosted.stable) return false;
    return true;
  }

  /** Bytes of V8 heap in use on each engine lane (an in-thread lane reports the I/O thread's); see EngineLane.heapUsed. */
  engineHeapUsed(options: { collect?: boolean } = {}): Promise<number[]> {
    return Promise.all(this.#lanes.map((lane) => lane.heapUsed(options)));
  }

  onStablePoint(listener: (point: StablePoint) => Promise<void> | undefined): () => void {
    this.#stableListeners.add(listener);
    return () => this.#stableListeners.delete(listener);
  }

  onLifecycle(listener: (change: LifecycleChange) => void): () => void {
    this.#lifecycleListeners.add(listener);
    return () => this.#lifecycleListeners.delete(listener);
  }

  /** Events delivered from outside (API, telephony) — HA keeps them to replay a restarted session. */
  onExternalEvent(listener: (sessionId: string, event: ExternalEvent) => void): () => void {
    this.#externalEventListeners.add(listener);
    return () => this.#externalEventListeners.delete(listener);
  }

  /** HA: starts a session created with `deferStart`, with `events` queued right after its start. */
  startDeferred(sessionId: string, events: ExternalEvent[]): void {
    const hosted = this.#live(sessionId);
    if (!hosted.deferred) return;
    hosted.deferred = false;
    this.#begin(hosted);
    for (const event of events) this.#command(hosted, { op: 'event', slot: hosted.slot, seq: 0, event });
  }

  /**
   * HA: brings back a persisted session from its snapshot under its old id, already
   * started (its pending timers re-armed by the engine); `events` are queued first.
   */
  async restoreSession(src: string, sessionId: string, snapshot: unknown, events: ExternalEvent[] = []): Promise<SessionSummary> {
    const { location, compiled } = await this.#options.loader.load(src);
    if (!compiled.restoreSession) throw new Error(`the strategy engine cannot restore sessions (${src})`);
    if (this.#sessions.has(sessionId)) return this.#summary(this.#sessions.get(sessionId)!);
    const hosted = this.#newHosted(sessionId, src, location, compiled, undefined, { kind: 'restore', snapshot: JSON.stringify(snapshot), seq: 0 });
    hosted.started = true;
    hosted.stable = events.length === 0;
    this.#finished.delete(sessionId);
    this.#open(hosted);
    for (const event of events) this.#command(hosted, { op: 'event', slot: hosted.slot, seq: 0, event });
    return this.#summary(hosted);
  }

  /** Whether a compiled strategy asks for `session.recovered` after recovery. */
  async sendsSessionRecovered(src: string): Promise<boolean> {
    return (await this.#options.loader.load(src)).compiled.sendSessionRecovered === true;
  }

  /** HA: a deposed primary drops every session at once (its successor owns them now). */
  abandonAll(reason: string): void {
    for (const hosted of [...this.#sessions.values()]) {
      hosted.lane.post({ op: 'cancel', slot: hosted.slot });
      this.#finish(hosted, reason, undefined, true);
    }
  }

  async createSession(
    src: string,
    parameters: Record<string, unknown>,
    options: CreateSessionOptions = {},
  ): Promise<SessionSummary> {
    if (this.#closed) throw new HttpError(503, 'shutting-down', 'the runtime is shutting down');
    if (this.#draining) {
      this.#options.metrics.rejections.inc({ reason: 'draining' });
      throw new HttpError(503, 'draining', `node ${this.#options.nodeId} is drained: it takes no new sessions (its running sessions go on)`);
    }
    const started = performance.now();
    const { location, compiled } = await this.#options.loader.load(src);
    if (this.#sessions.size >= this.#options.maxSessions) {
      this.#options.metrics.rejections.inc({ reason: 'max-sessions' });
      throw new HttpError(
        503,
        'too-many-sessions',
        `this node already runs ${this.#sessions.size} sessions (max-sessions ${this.#options.maxSessions})`,
        { headers: { 'retry-after': '1' } },
      );
    }
    const id = options.sessionId ?? newSessionId(this.#options.nodeId, this.#options.sessionIdWithNodeId);
    if (this.#sessions.has(id)) throw new HttpError(409, 'session-exists', `session ${id} already exists`);
    this.#finished.delete(id);
    const hosted = this.#newHosted(id, src, location, compiled, options.parentId, { kind: 'create', parameters });
    hosted.deferred = options.deferStart === true;
    this.#open(hosted);
    this.#options.metrics.sessionsCreated.inc();
    for (const listener of this.#lifecycleListeners) {
      listener({ kind: 'created', sessionId: id, src, parameters, persist: compiled.persist, createdAt: hosted.createdAt });
    }

    const delay = options.startAt === undefined ? 0 : options.startAt - Date.now();
    if (hosted.deferred) {
      // Started later by startDeferred().
    } else if (delay > 0) {
      hosted.startAt = options.startAt;
      // setTimeout fires at once past 2^31-1 ms (~24.8 days), so a far start waits in steps.
      const wait = (): void => {
        const left = (hosted.startAt ?? 0) - Date.now();
        if (left > 0) {
          hosted.startTimer = setTimeout(wait, Math.min(left, 2 ** 31 - 1));
          return;
        }
        hosted.startTimer = undefined;
        this.#begin(hosted);
      };
      wait();
    } else {
      this.#begin(hosted);
    }
    this.#options.metrics.createSessionSeconds.observe((performance.now() - started) / 1000);
    this.#options.logger.debug({ sessionId: id, src, parentId: options.parentId, startAt: options.startAt }, 'session created');
    return this.#summary(hosted);
  }

  /** Queues an external event; throws 404/409/429. */
  sendEvent(sessionId: string, event: ExternalEvent): void {
    const hosted = this.#live(sessionId);
    this.#enqueue(hosted, event);
    for (const listener of this.#externalEventListeners) listener(sessionId, event);
  }

  /** Queues an event with a fresh sendid and waits for the session's `<response>`. */
  request(sessionId: string, name: string, data: unknown): Promise<RequestResponse> {
    const hosted = this.#live(sessionId);
    const requestId = randomUUID();
    const promise = new Promise<RequestResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        hosted.requests?.delete(requestId);
        reject(
          new HttpError(
            504,
            'no-response',
            `session ${sessionId} did not answer request ${name} with <response> within ${this.#options.requestTimeoutMs} ms`,
          ),
        );
      }, this.#options.requestTimeoutMs);
      (hosted.requests ??= new Map()).set(requestId, { resolve, reject, timer });
    });
    try {
      this.#enqueue(hosted, { name, data, sendid: requestId });
    } catch (error) {
      const pending = hosted.requests!.get(requestId)!;
      clearTimeout(pending.timer);
      hosted.requests!.delete(requestId);
      throw error;
    }
    return promise;
  }

  /** The session's configuration and datamodel, read on its lane after the events queued before. */
  async query(sessionId: string): Promise<{ metadata: SessionSummary; configuration: string[]; datamodel: Record<string, unknown> }> {
    const hosted = this.#live(sessionId);
    const qid = this.#nextQueryId++;
    const result = await new Promise<QueryResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#queries.delete(qid);
        reject(new HttpError(504, 'no-answer', `session ${sessionId} did not answer a query within ${this.#options.requestTimeoutMs} ms`));
      }, this.#options.requestTimeoutMs);
      this.#queries.set(qid, { hosted, resolve, reject, timer });
      hosted.lane.post({ op: 'query', slot: hosted.slot, qid });
    });
    return { metadata: this.#summary(hosted), ...result };
  }

  terminate(sessionId: string, reason = 'terminated'): SessionSummary {
    const hosted = this.#live(sessionId);
    hosted.lane.post({ op: 'cancel', slot: hosted.slot });
    this.#finish(hosted, reason);
    return { ...this.#summary(hosted), state: 'finished' };
  }

  /**
   * Starts a session created with a later `startAt` now. Voice calls use it: the session
   * is created, the call is claimed for it at the telephony server, then it starts.
   */
  startNow(sessionId: string): void {
    const hosted = this.#live(sessionId);
    if (hosted.started) return;
    if (hosted.startTimer) clearTimeout(hosted.startTimer);
    hosted.startTimer = undefined;
    hosted.startAt = undefined;
    this.#begin(hosted);
  }

  /**
   * Resolves once the work queued so far for the session has run and, for a persisted
   * session, the state it left is durable; rejects with 503 when that cannot be confirmed
   * within the request timeout (the client retries; its retry may reach a new primary).
   * Sessions that do not persist, have not started or have finished resolve at once.
   */
  settled(sessionId: string): Promise<void> {
    const hosted = this.#sessions.get(sessionId);
    const finished = hosted ? undefined : this.#finished.get(sessionId);
    if (finished?.handedOver) return Promise.reject(this.#handedOverError(sessionId, finished.reason));
    if (!hosted || !hosted.compiled.persist || !hosted.started) return DURABLE;
    const durable = hosted.stable
      ? hosted.durable
      : new Promise<void>((resolve, reject) => (hosted.settleWaiters ??= []).push((d) => d.then(resolve, reject)));
    const timeoutMs = this.#options.requestTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const notDurable = (reason: string) => reject(this.#notDurableError(sessionId, reason));
      const timer = setTimeout(() => notDurable(`its state was not confirmed durable within ${timeoutMs} ms`), timeoutMs);
      durable.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          notDurable(`its state could not be made durable (${error instanceof Error ? error.message : String(error)})`);
        },
      );
    });
  }

  #notDurableError(sessionId: string, reason: string): HttpError {
    this.#options.metrics.rejections.inc({ reason: 'not-durable' });
    return new HttpError(503, 'not-durable', `session ${sessionId}: ${reason}; retry the request`, {
      headers: { 'retry-after': '1' },
      details: { sessionid: sessionId },
    });
  }

  /** For a request whose session was handed over (abandonAll) before its state was durable: retry at the successor. */
  #handedOverError(sessionId: string, reason: string): HttpError {
    return this.#notDurableError(sessionId, `it was handed over (${reason}) before its state was confirmed durable`);
  }

  /** Whether the id names a live (not finished) session. */
  isLive(sessionId: string): boolean {
    return this.#sessions.has(sessionId);
  }

  /** Whether the id names a session this host knows of (live or recently finished). */
  has(sessionId: string): boolean {
    return this.#sessions.has(sessionId) || this.#finished.has(sessionId);
  }

  /** Drains (true) or undrains (false) the node: while drained, session starts get 503 `draining`; running sessions are untouched. */
  setDraining(draining: boolean): void {
    this.#draining = draining;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Stops accepting sessions; waits (bounded) until queued events are processed. */
  async drain(timeoutMs: number): Promise<void> {
    this.#closed = true;
    const deadline = Date.now() + timeoutMs;
    const busy = () => [...this.#sessions.values()].some((hosted) => hosted.started && hosted.consumed < hosted.sent);
    while (busy() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Cancels every session (timers, pending requests) and ends the engine threads; the host is unusable afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const hosted of [...this.#sessions.values()]) {
      hosted.lane.post({ op: 'cancel', slot: hosted.slot });
      this.#finish(hosted, 'shutdown');
    }
    // Lanes go after the cancels have left (an in-thread lane's sessions hold timers).
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(this.#lanes.map((lane) => lane.close()));
  }

  // --- internals ---

  #live(sessionId: string): HostedSession {
    const hosted = this.#sessions.get(sessionId);
    if (hosted) return hosted;
    const finished = this.#finished.get(sessionId);
    // A session handed over (deposed, shutdown) lives on at the next primary: "finished"
    // would make a client drop it, so the answer is the retry that settled() gives too.
    if (finished?.handedOver) throw this.#notDurableError(sessionId, `it was handed over to the next primary (${finished.reason})`);
    if (finished) {
      const why = ENDED_BY_RUNTIME.has(finished.reason) ? ` (${finished.reason}${finished.message ? `: ${finished.message}` : ''})` : '';
      throw new HttpError(409, 'session-finished', `session ${sessionId} has finished${why}`, {
        details: { sessionid: sessionId, reason: finished.reason },
      });
    }
    throw new HttpError(404, 'session-not-found', `no session ${sessionId} on node ${this.#options.nodeId}`, {
      details: { sessionid: sessionId },
    });
  }

  #newHosted(
    id: string,
    src: string,
    location: string,
    compiled: CompiledStrategy,
    parentId: string | undefined,
    base: RecoveryBase,
  ): HostedSession {
    let docId = this.#docIds.get(compiled);
    if (docId === undefined) {
      docId = this.#nextDocId++;
      this.#docIds.set(compiled, docId);
    }
    const slot = this.#nextSlot;
    this.#nextSlot = this.#nextSlot >= 0x7fffffff ? 1 : this.#nextSlot + 1;
    return {
      id,
      src,
      location,
      compiled,
      docId,
      lane: this.#placeLane(parentId),
      slot,
      parentId,
      createdAt: Date.now(),
      started: false,
      deferred: false,
      sent: 0,
      consumed: 0,
      stable: false,
      base,
      durable: DURABLE,
    };
  }

  /** Children go where their parent is; other sessions to the lane with the fewest. */
  #placeLane(parentId: string | undefined): EngineLane {
    const parent = parentId === undefined ? undefined : this.#sessions.get(parentId);
    if (parent) return parent.lane;
    let best = this.#lanes[0]!;
    for (const lane of this.#lanes) if (this.#laneLoad.get(lane)! < this.#laneLoad.get(best)!) best = lane;
    return best;
  }

  /** Engine threads when the engine has a thread entry, else one in-thread lane. */
  #startLanes(): void {
    const options = this.#options;
    const entry = options.inThread ? undefined : options.threadEntry;
    const threads = entry ? Math.max(1, options.engineThreads ?? 1) : 1;
    for (let index = 0; index < threads; index++) {
      const lane: EngineLane =
        entry
          ? new WorkerLane(index, this.#laneListener, {
              entry,
              evaluationTimeLimitMs: options.macrostepBudgetMs ?? 1000,
              hardLimitMs: options.macrostepHardLimitMs ?? 3000,
              heapMb: options.engineThreadHeapMb ?? 512,
              sliceMs: options.sliceMs ?? 4,
              fetchTimeoutMs: options.fetchTimeoutMs,
              logger: options.logger,
            })
          : new InThreadLane(index, this.#laneListener, { sliceMs: options.sliceMs ?? 4, fetchTimeoutMs: options.fetchTimeoutMs });
      this.#lanes.push(lane);
      this.#laneLoad.set(lane, 0);
    }
  }

  /** Registers the session and opens it on its lane (create or restore). */
  #open(hosted: HostedSession): void {
    this.#sessions.set(hosted.id, hosted);
    this.#bySlot.set(hosted.slot, hosted);
    this.#laneLoad.set(hosted.lane, (this.#laneLoad.get(hosted.lane) ?? 0) + 1);
    this.#options.metrics.activeSessions.set(this.#sessions.size);
    this.#post(hosted);
  }

  /** Sends what opens the session on its lane from its recovery base. */
  #post(hosted: HostedSession): void {
    hosted.lane.ensureDocument(hosted.docId, hosted.compiled);
    const { id: sid, slot, docId, base } = hosted;
    hosted.lane.post(
      base.kind === 'create'
        ? { op: 'create', sid, slot, docId, parameters: base.parameters }
        : { op: 'restore', sid, slot, docId, snapshot: base.snapshot, seq: base.seq },
    );
  }

  /** Sends a start or event command with the session's next sequence number. */
  #command(hosted: HostedSession, command: Extract<HostCommand, { op: 'start' | 'event' }>): void {
    command.seq = ++hosted.sent;
    hosted.stable = false;
    if (hosted.lane.recoverable) (hosted.journal ??= []).push(command);
    hosted.lane.post(command);
  }

  #enqueue(hosted: HostedSession, event: ExternalEvent): void {
    const pending = hosted.sent - hosted.consumed + (hosted.held?.length ?? 0);
    if (pending >= this.#options.maxQueueLength) {
      this.#options.metrics.rejections.inc({ reason: 'max-queue-length' });
      throw new HttpError(
        429,
        'queue-full',
        `session ${hosted.id} already has ${pending} pending events (max-queue-length ${this.#options.maxQueueLength})`,
        { headers: { 'retry-after': '1' } },
      );
    }
    if (!hosted.started) {
      (hosted.held ??= []).push(event);
      return;
    }
    this.#command(hosted, { op: 'event', slot: hosted.slot, seq: 0, event });
  }

  #begin(hosted: HostedSession): void {
    if (this.#sessions.get(hosted.id) !== hosted) return;
    hosted.started = true;
    this.#command(hosted, { op: 'start', slot: hosted.slot, seq: 0 });
    const held = hosted.held ?? [];
    hosted.held = undefined;
    for (const event of held) this.#command(hosted, { op: 'event', slot: hosted.slot, seq: 0, event });
  }

  #onBatch(lane: EngineLane, batch: LaneBatch): void {
    for (const outcome of batch.outcomes) {
      try {
        this.#onOutcome(lane, outcome);
      } catch (error) {
        this.#options.logger.error({ err: error, outcome: outcome.op }, 'engine outcome failed');
      }
    }
  }

  /** A session of this lane (outcomes of sessions that ended or moved are dropped). */
  #ofLane(lane: EngineLane, sid: string): HostedSession | undefined {
    const hosted = this.#sessions.get(sid);
    return hosted && hosted.lane === lane ? hosted : undefined;
  }

  #onOutcome(lane: EngineLane, outcome: LaneOutcome): void {
    switch (outcome.op) {
      case 'progress': {
        const hosted = this.#bySlot.get(outcome.slot);
        if (hosted && hosted.lane === lane) this.#onProgress(hosted, outcome);
        return;
      }
      case 'finished': {
        const hosted = this.#ofLane(lane, outcome.sid);
        if (!hosted) return;
        if (outcome.reason === 'failed') {
          this.#options.logger.error({ sessionId: hosted.id, src: hosted.src, message: outcome.message }, 'session failed; terminating it');
        }
        this.#finish(hosted, outcome.reason, outcome.message);
        return;
      }
      case 'respond': {
        const requests = this.#sessions.get(outcome.sid)?.requests;
        const pending = requests?.get(outcome.requestId);
        if (!pending) return;
        requests!.delete(outcome.requestId);
        clearTimeout(pending.timer);
        pending.resolve(outcome.response);
        return;
      }
      case 'deliver': {
        const target = this.#sessions.get(outcome.target);
        if (!target) return;
        try {
          this.#enqueue(target, outcome.event);
        } catch {
          // A full queue drops a session-to-session event, as a full queue always did.
        }
        return;
      }
      case 'terminate':
        if (this.#sessions.has(outcome.target)) this.terminate(outcome.target, 'terminated');
        return;
      case 'call':
        void this.#hostCall(lane, outcome.callId, outcome.method, outcome.args);
        return;
      case 'query-result': {
        const pending = this.#queries.get(outcome.qid);
        if (!pending) return;
        this.#queries.delete(outcome.qid);
        clearTimeout(pending.timer);
        if (outcome.ok) pending.resolve(outcome.result!);
        else pending.reject(new HttpError(500, 'query-failed', outcome.message ?? 'the query failed'));
        return;
      }
      case 'log':
        this.#options.logger[outcome.level]({ sessionId: outcome.sid, lane: lane.index }, outcome.message);
        return;
    }
  }

  #onProgress(hosted: HostedSession, progress: Extract<LaneOutcome, { op: 'progress' }>): void {
    if (progress.seq < hosted.consumed) return;
    hosted.consumed = progress.seq;
    if (progress.events > 0) this.#options.metrics.eventsProcessed.inc(progress.events);
    if (hosted.lane.recoverable && progress.snapshot !== undefined) {
      hosted.base = { kind: 'restore', snapshot: progress.snapshot, seq: progress.seq };
      // An idle session keeps no journal (not even an empty array's spare room: it counts per session).
      const journal = hosted.journal;
      let drop = 0;
      while (journal && drop < journal.length && journal[drop]!.seq <= progress.seq) drop++;
      if (journal && drop === journal.length) hosted.journal = undefined;
      else if (drop > 0) journal!.splice(0, drop);
    }
    if (!progress.stable || progress.seq !== hosted.sent) return;
    hosted.stable = true;
    const text = progress.snapshot;
    let snapshot: unknown;
    const point: StablePoint = {
      sessionId: hosted.id,
      persist: hosted.compiled.persist,
      src: hosted.src,
      session: { snapshot: () => (snapshot ??= text === undefined ? undefined : JSON.parse(text)) },
    };
    const pending: Promise<void>[] = [];
    for (const listener of this.#stableListeners) {
      const durable = listener(point);
      if (durable) pending.push(durable);
    }
    if (pending.length > 0) {
      hosted.durable = pending.length === 1 ? pending[0]! : Promise.all(pending).then(() => undefined);
      // Nobody may be waiting for this point: its failure is the listener's to log.
      hosted.durable.catch(() => undefined);
    }
    this.#releaseSettleWaiters(hosted);
  }

  /** A host service asked for by a session on a lane; the lane gets the answer. */
  async #hostCall(lane: EngineLane, callId: number, method: HostCallMethod, args: unknown[]): Promise<void> {
    try {
      let value: unknown;
      if (method === 'startSession') {
        const [parentId, src, parameters] = args as [string, string, Record<string, unknown>];
        value = (await this.createSession(src, parameters, { parentId })).sessionId;
      } else {
        const actions = this.#options.telephony;
        if (!actions) throw new Error('this runtime has no telephony connection (set telephony-url)');
        const name = method.slice('telephony.'.length) as
          | 'applyTreatment'
          | 'cancelTreatment'
          | 'routeCall'
          | 'updateAttachedData'
          | 'stopProcessing';
        value = await (actions[name] as (...a: unknown[]) => Promise<unknown>).apply(actions, args);
      }
      lane.post({ op: 'reply', callId, ok: true, value });
    } catch (error) {
      lane.post({ op: 'reply', callId, ok: false, message: error instanceof Error ? error.message : String(error) });
    }
  }

  /**
   * The lane's thread was replaced: end the session it was running, re-open the others
   * on the fresh thread from their latest snapshot and redeliver what came after it.
   */
  #onLaneLost(lane: EngineLane, loss: LaneLoss): void {
    const offender = this.#bySlot.get(loss.slot);
    const metrics = this.#options.metrics;
    metrics.engineThreadRestarts.inc({ reason: loss.reason });
    if (offender && offender.lane === lane) {
      this.#options.logger.error(
        { sessionId: offender.id, strategy: offender.location, reason: loss.reason, lane: lane.index },
        `session ended by the engine watchdog: ${loss.message}`,
      );
      metrics.watchdogSessionsEnded.inc({ reason: loss.reason });
      this.#finish(offender, loss.reason, loss.message);
    }
    for (const hosted of this.#sessions.values()) {
      if (hosted.lane !== lane) continue;
      this.#post(hosted);
      for (const command of hosted.journal ?? []) lane.post(command);
      for (const [qid, pending] of this.#queries) if (pending.hosted === hosted) lane.post({ op: 'query', slot: hosted.slot, qid });
    }
  }

  #releaseSettleWaiters(hosted: HostedSession): void {
    const waiters = hosted.settleWaiters;
    if (!waiters) return;
    hosted.settleWaiters = undefined;
    for (const waiter of waiters) waiter(hosted.durable);
  }

  #finish(hosted: HostedSession, reason: string, message?: string, handedOver = false): void {
    if (this.#sessions.get(hosted.id) !== hosted) return;
    this.#sessions.delete(hosted.id);
    this.#bySlot.delete(hosted.slot);
    this.#laneLoad.set(hosted.lane, (this.#laneLoad.get(hosted.lane) ?? 1) - 1);
    if (hosted.startTimer) clearTimeout(hosted.startTimer);
    hosted.journal = undefined;
    for (const pending of hosted.requests?.values() ?? []) {
      clearTimeout(pending.timer);
      pending.reject(
        new HttpError(409, 'session-finished', `session ${hosted.id} finished (${reason}) before answering`),
      );
    }
    hosted.requests = undefined;
    for (const [qid, pending] of this.#queries) {
      if (pending.hosted !== hosted) continue;
      this.#queries.delete(qid);
      clearTimeout(pending.timer);
      pending.reject(new HttpError(409, 'session-finished', `session ${hosted.id} finished (${reason})`));
    }
    // The work they waited for has run; a finished session leaves no state to persist.
    // One handed over to a successor has not: its work is the successor's to redo from
    // the last durable state, so its waiters are told to retry (503), never "done" (200).
    hosted.durable = handedOver ? Promise.reject(this.#handedOverError(hosted.id, reason)) : DURABLE;
    hosted.durable.catch(() => undefined);
    this.#releaseSettleWaiters(hosted);
    this.#finished.set(hosted.id, { at: Date.now(), reason, ...(message === undefined ? {} : { message }), ...(handedOver ? { handedOver } : {}) });
    const memory = this.#options.finishedMemory ?? 100_000;
    while (this.#finished.size > memory) this.#finished.delete(this.#finished.keys().next().value!);
    this.#options.logger.debug({ sessionId: hosted.id, reason }, 'session finished');
    this.#options.metrics.sessionsFinished.inc({ reason });
    this.#options.metrics.activeSessions.set(this.#sessions.size);
    for (const listener of this.#lifecycleListeners) listener({ kind: 'finished', sessionId: hosted.id, reason });
  }

  #summary(hosted: HostedSession): SessionSummary {
    const finished = this.#sessions.get(hosted.id) !== hosted;
    return {
      sessionId: hosted.id,
      src: hosted.src,
      location: hosted.location,
      node: this.#options.nodeId,
      state: finished ? 'finished' : hosted.started ? 'running' : 'scheduled',
      createdAt: new Date(hosted.createdAt).toISOString(),
      ...(hosted.startAt === undefined ? {} : { startAt: new Date(hosted.startAt).toISOString() }),
      ...(hosted.parentId === undefined ? {} : { parentId: hosted.parentId }),
      persist: hosted.compiled.persist,
      queueLength: Math.max(0, hosted.sent - hosted.consumed) + (hosted.held?.length ?? 0),
      ...(hosted.lane.recoverable ? { engineThread: hosted.lane.index } : {}),
    };
  }
}

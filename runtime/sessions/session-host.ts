// Hosts the sessions of one node: creates them from compiled strategies, feeds each its
// events strictly in order, answers queries, terminates them, and enforces the limits.
//
// Scheduling: sessions with pending work wait in one FIFO run queue. The scheduler runs
// one macrostep of the session at the head, puts it back at the tail if it has more
// work, and yields to the event loop (setImmediate) every `sliceMs`, so a session that
// keeps sending itself events cannot starve the others or the HTTP server (a looping
// script is cut by the interpreter's evaluation time limit).
//
// Macrosteps run on the main thread, one at a time, so `session-processing-threads` is
// respected trivially. Worker threads were measured (bench/runtime-http.bench.ts) and
// rejected for now: an event's round trip to a worker costs ~40-70 µs, more than the
// SCXML macrostep itself (~6-30 µs for a typical transition on this machine), and pipelined throughput
// through one worker was 0.3x of running the same macrosteps in-thread; sessions also
// call back into the host synchronously (<response>, child sessions, #_scxml_ sends),
// which a worker would turn into cross-thread messages. To use more cores, run more
// nodes (one process per node is the deployment unit anyway).
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
import { newSessionId } from './session-id.ts';
import type {
  CompiledStrategy,
  ExternalEvent,
  FetchRequest,
  FetchResult,
  RequestResponse,
  SessionHostServices,
  StrategySession,
} from './strategy-engine.ts';
import type { StrategyLoader } from './strategy-loader.ts';

export type SessionState = 'scheduled' | 'running' | 'finished';

interface PendingRequest {
  resolve: (response: RequestResponse) => void;
  reject: (error: HttpError) => void;
  timer: NodeJS.Timeout;
}

/** One unit of work of a session, run as one macrostep in order. */
interface QueuedWork {
  kind: 'start' | 'event' | 'pending';
  event?: ExternalEvent;
  enqueuedAt: number;
}

interface HostedSession {
  id: string;
  src: string;
  location: string;
  compiled: CompiledStrategy;
  session: StrategySession;
  parentId?: string;
  createdAt: number;
  startAt?: number;
  startTimer?: NodeJS.Timeout;
  started: boolean;
  queue: QueuedWork[];
  inRunQueue: boolean;
  requests: Map<string, PendingRequest>;
  deferred: boolean;
  /** Whether the state at the last stable point is durable (resolves) or could not be made so. */
  durable: Promise<void>;
  /** Callers of settled() waiting for the next stable point. */
  settleWaiters: ((durable: Promise<void>) => void)[];
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
}

export interface StablePoint {
  sessionId: string;
  persist: boolean;
  src: string;
  session: StrategySession;
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
  /** How long the scheduler runs macrosteps before yielding to I/O. */
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

export class SessionHost {
  readonly #options: SessionHostOptions;
  readonly #sessions = new Map<string, HostedSession>();
  readonly #finished = new Map<string, number>();
  readonly #runQueue: HostedSession[] = [];
  #runQueueHead = 0;
  #scheduled = false;
  #closed = false;
  readonly #stableListeners = new Set<(point: StablePoint) => Promise<void> | undefined>();
  readonly #lifecycleListeners = new Set<(change: LifecycleChange) => void>();
  readonly #externalEventListeners = new Set<(sessionId: string, event: ExternalEvent) => void>();

  constructor(options: SessionHostOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#sessions.size;
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
    for (const event of events) hosted.queue.push({ kind: 'event', event, enqueuedAt: performance.now() });
    this.#begin(hosted);
  }

  /**
   * HA: brings back a persisted session from its snapshot under its old id, already
   * started (its pending timers re-armed by the engine); `events` are queued first.
   */
  async restoreSession(src: string, sessionId: string, snapshot: unknown, events: ExternalEvent[] = []): Promise<SessionSummary> {
    const { location, compiled } = await this.#options.loader.load(src);
    if (!compiled.restoreSession) throw new Error(`the strategy engine cannot restore sessions (${src})`);
    if (this.#sessions.has(sessionId)) return this.#summary(this.#sessions.get(sessionId)!);
    const hosted: HostedSession = {
      id: sessionId,
      src,
      location,
      compiled,
      createdAt: Date.now(),
      started: true,
      queue: events.map((event) => ({ kind: 'event' as const, event, enqueuedAt: performance.now() })),
      inRunQueue: false,
      requests: new Map(),
      deferred: false,
      durable: DURABLE,
      settleWaiters: [],
      session: undefined as unknown as StrategySession,
    };
    this.#finished.delete(sessionId);
    hosted.session = compiled.restoreSession(
      { sessionId, parameters: {}, services: this.#servicesFor(), onWork: () => this.#onWork(hosted) },
      snapshot,
    );
    this.#sessions.set(sessionId, hosted);
    this.#options.metrics.activeSessions.set(this.#sessions.size);
    if (hosted.queue.length > 0) this.#makeRunnable(hosted);
    return this.#summary(hosted);
  }

  /** Whether a compiled strategy asks for `session.recovered` after recovery. */
  async sendsSessionRecovered(src: string): Promise<boolean> {
    return (await this.#options.loader.load(src)).compiled.sendSessionRecovered === true;
  }

  /** HA: a deposed primary drops every session at once (its successor owns them now). */
  abandonAll(reason: string): void {
    for (const hosted of [...this.#sessions.values()]) {
      hosted.session.cancel();
      this.#finish(hosted, reason);
    }
  }

  async createSession(
    src: string,
    parameters: Record<string, unknown>,
    options: CreateSessionOptions = {},
  ): Promise<SessionSummary> {
    if (this.#closed) throw new HttpError(503, 'shutting-down', 'the runtime is shutting down');
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
    const hosted: HostedSession = {
      id,
      src,
      location,
      compiled,
      parentId: options.parentId,
      createdAt: Date.now(),
      started: false,
      queue: [],
      inRunQueue: false,
      requests: new Map(),
      deferred: options.deferStart === true,
      durable: DURABLE,
      settleWaiters: [],
      session: undefined as unknown as StrategySession,
    };
    hosted.session = compiled.createSession({
      sessionId: id,
      parameters,
      services: this.#servicesFor(),
      onWork: () => this.#onWork(hosted),
    });
    this.#sessions.set(id, hosted);
    this.#options.metrics.sessionsCreated.inc();
    this.#options.metrics.activeSessions.set(this.#sessions.size);
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
        hosted.requests.delete(requestId);
        reject(
          new HttpError(
            504,
            'no-response',
            `session ${sessionId} did not answer request ${name} with <response> within ${this.#options.requestTimeoutMs} ms`,
          ),
        );
      }, this.#options.requestTimeoutMs);
      hosted.requests.set(requestId, { resolve, reject, timer });
    });
    try {
      this.#enqueue(hosted, { name, data, sendid: requestId });
    } catch (error) {
      const pending = hosted.requests.get(requestId)!;
      clearTimeout(pending.timer);
      hosted.requests.delete(requestId);
      throw error;
    }
    return promise;
  }

  query(sessionId: string): { metadata: SessionSummary; configuration: string[]; datamodel: Record<string, unknown> } {
    const hosted = this.#live(sessionId);
    return {
      metadata: this.#summary(hosted),
      configuration: hosted.started ? hosted.session.configuration() : [],
      datamodel: hosted.session.datamodel(),
    };
  }

  terminate(sessionId: string, reason = 'terminated'): SessionSummary {
    const hosted = this.#live(sessionId);
    hosted.session.cancel();
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
    if (!hosted || !hosted.compiled.persist || !hosted.started) return DURABLE;
    const durable =
      hosted.queue.length === 0 && !hosted.inRunQueue
        ? hosted.durable
        : new Promise<void>((resolve, reject) => hosted.settleWaiters.push((d) => d.then(resolve, reject)));
    const timeoutMs = this.#options.requestTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const notDurable = (reason: string) => {
        this.#options.metrics.rejections.inc({ reason: 'not-durable' });
        reject(
          new HttpError(503, 'not-durable', `session ${sessionId}: ${reason}; retry the request`, {
            headers: { 'retry-after': '1' },
            details: { sessionid: sessionId },
          }),
        );
      };
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

  /** Whether the id names a live (not finished) session. */
  isLive(sessionId: string): boolean {
    return this.#sessions.has(sessionId);
  }

  /** Whether the id names a session this host knows of (live or recently finished). */
  has(sessionId: string): boolean {
    return this.#sessions.has(sessionId) || this.#finished.has(sessionId);
  }

  /** Stops accepting sessions; waits (bounded) until queued events are processed. */
  async drain(timeoutMs: number): Promise<void> {
    this.#closed = true;
    const deadline = Date.now() + timeoutMs;
    while (this.#runQueue.length - this.#runQueueHead > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Cancels every session (timers, pending requests); the host is unusable afterwards. */
  close(): void {
    this.#closed = true;
    for (const hosted of [...this.#sessions.values()]) {
      hosted.session.cancel();
      this.#finish(hosted, 'shutdown');
    }
  }

  // --- internals ---

  #live(sessionId: string): HostedSession {
    const hosted = this.#sessions.get(sessionId);
    if (hosted) return hosted;
    if (this.#finished.has(sessionId)) {
      throw new HttpError(409, 'session-finished', `session ${sessionId} has finished`, {
        details: { sessionid: sessionId },
      });
    }
    throw new HttpError(404, 'session-not-found', `no session ${sessionId} on node ${this.#options.nodeId}`, {
      details: { sessionid: sessionId },
    });
  }

  #enqueue(hosted: HostedSession, event: ExternalEvent): void {
    if (hosted.queue.length >= this.#options.maxQueueLength) {
      this.#options.metrics.rejections.inc({ reason: 'max-queue-length' });
      throw new HttpError(
        429,
        'queue-full',
        `session ${hosted.id} already has ${hosted.queue.length} pending events (max-queue-length ${this.#options.maxQueueLength})`,
        { headers: { 'retry-after': '1' } },
      );
    }
    hosted.queue.push({ kind: 'event', event, enqueuedAt: performance.now() });
    if (hosted.started) this.#makeRunnable(hosted);
  }

  #begin(hosted: HostedSession): void {
    if (!this.#sessions.has(hosted.id)) return;
    hosted.queue.unshift({ kind: 'start', enqueuedAt: performance.now() });
    hosted.started = true;
    this.#makeRunnable(hosted);
  }

  #makeRunnable(hosted: HostedSession): void {
    if (hosted.inRunQueue) return;
    hosted.inRunQueue = true;
    this.#runQueue.push(hosted);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#runSlice);
    }
  }

  readonly #runSlice = (): void => {
    this.#scheduled = false;
    const deadline = performance.now() + (this.#options.sliceMs ?? 4);
    const queue = this.#runQueue;
    while (this.#runQueueHead < queue.length) {
      const hosted = queue[this.#runQueueHead]!;
      queue[this.#runQueueHead++] = undefined as unknown as HostedSession;
      hosted.inRunQueue = false;
      if (this.#sessions.has(hosted.id)) this.#runOne(hosted);
      if (performance.now() >= deadline) break;
    }
    if (this.#runQueueHead === queue.length) {
      queue.length = 0;
      this.#runQueueHead = 0;
    } else if (this.#runQueueHead > 1024) {
      queue.splice(0, this.#runQueueHead);
      this.#runQueueHead = 0;
    }
    if (queue.length > this.#runQueueHead && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#runSlice);
    }
  };

  #runOne(hosted: HostedSession): void {
    const work = hosted.queue.shift();
    if (!work) return;
    const metrics = this.#options.metrics;
    metrics.eventQueueSeconds.observe((performance.now() - work.enqueuedAt) / 1000);
    try {
      if (work.kind === 'event') {
        hosted.session.send(work.event!);
        metrics.eventsProcessed.inc();
      } else if (work.kind === 'start') {
        hosted.session.start();
      } else {
        hosted.session.runPending();
      }
    } catch (error) {
      // The interpreter turns strategy faults into error.* events; an exception here is
      // an interpreter bug. Contain it to this session.
      this.#options.logger.error({ err: error, sessionId: hosted.id }, 'session failed; terminating it');
      hosted.session.cancel();
      this.#finish(hosted, 'failed');
      return;
    }
    this.#afterStep(hosted);
  }

  #afterStep(hosted: HostedSession): void {
    if (hosted.session.finished) {
      this.#finish(hosted, 'done');
      return;
    }
    if (hosted.queue.length > 0) {
      this.#makeRunnable(hosted);
    } else {
      const point: StablePoint = { sessionId: hosted.id, persist: hosted.compiled.persist, src: hosted.src, session: hosted.session };
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
  }

  #releaseSettleWaiters(hosted: HostedSession): void {
    if (hosted.settleWaiters.length === 0) return;
    const waiters = hosted.settleWaiters;
    hosted.settleWaiters = [];
    for (const waiter of waiters) waiter(hosted.durable);
  }

  /** The interpreter has work of its own (a timer fired, an async result arrived). */
  #onWork(hosted: HostedSession): void {
    if (!this.#sessions.has(hosted.id)) return;
    if (hosted.queue.some((work) => work.kind === 'pending')) return;
    hosted.queue.push({ kind: 'pending', enqueuedAt: performance.now() });
    if (hosted.started) this.#makeRunnable(hosted);
  }

  #finish(hosted: HostedSession, reason: string): void {
    if (!this.#sessions.delete(hosted.id)) return;
    if (hosted.startTimer) clearTimeout(hosted.startTimer);
    hosted.queue.length = 0;
    for (const pending of hosted.requests.values()) {
      clearTimeout(pending.timer);
      pending.reject(
        new HttpError(409, 'session-finished', `session ${hosted.id} finished (${reason}) before answering`),
      );
    }
    hosted.requests.clear();
    // The work they waited for has run; a finished session leaves no state to persist.
    hosted.durable = DURABLE;
    this.#releaseSettleWaiters(hosted);
    this.#finished.set(hosted.id, Date.now());
    const memory = this.#options.finishedMemory ?? 100_000;
    while (this.#finished.size > memory) this.#finished.delete(this.#finished.keys().next().value!);
    this.#options.logger.debug({ sessionId: hosted.id, reason }, 'session finished');
    this.#options.metrics.sessionsFinished.inc({ reason });
    this.#options.metrics.activeSessions.set(this.#sessions.size);
    for (const listener of this.#lifecycleListeners) listener({ kind: 'finished', sessionId: hosted.id, reason });
  }

  #summary(hosted: HostedSession): SessionSummary {
    const finished = !this.#sessions.has(hosted.id);
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
      queueLength: hosted.queue.length,
    };
  }

  #servicesFor(): SessionHostServices {
    return {
      startSession: async (parentId, src, parameters) =>
        (await this.createSession(src, parameters, { parentId })).sessionId,
      terminateSession: (sessionId) => {
        this.terminate(sessionId, 'terminated');
      },
      fetch: (request) => this.#fetch(request),
      respond: (sessionId, requestId, response) => {
        const hosted = this.#sessions.get(sessionId);
        const pending = hosted?.requests.get(requestId);
        if (!hosted || !pending) return false;
        hosted.requests.delete(requestId);
        clearTimeout(pending.timer);
        pending.resolve(response);
        return true;
      },
      deliver: (targetSessionId, event) => {
        const hosted = this.#sessions.get(targetSessionId);
        if (!hosted) return false;
        try {
          this.#enqueue(hosted, event);
          return true;
        } catch {
          return false;
        }
      },
    };
  }

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

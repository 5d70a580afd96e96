// The multimedia side of a runtime process: while primary (and only then), pull
// interactions from the queues the node serves, as many as free capacity allows
// (pull-budget.ts), start a session per interaction with the queue's strategy, keep the
// interactions' leases alive while their sessions live, and report completion when a
// session ends, again and again until the server acknowledges it (pending-completions.ts).
// A backup runs the same object, idle, until it is promoted; with HA, the new primary
// first takes over what its node holds (recovered-interactions.ts) and only then pulls.
import type { Logger } from 'pino';
import type { Role } from '../ha/role-source.ts';
import { TelephonyRequestError } from './telephony-connection.ts';
import type { TelephonyConnection } from './telephony-connection.ts';
import { CompleteResultSchema, HeldResultSchema, PullResultSchema, RenewResultSchema } from './multimedia-messages.ts';
import type { Interaction } from './multimedia-messages.ts';
import type { CallSessionPort } from './call-session-port.ts';
import { nextPullDelay, pullBudget } from './pull-budget.ts';
import { isTransientFailure, PendingCompletions } from './pending-completions.ts';
import { planRecoveredInteractions } from './recovered-interactions.ts';
import type { RecoveredSession } from './recovered-interactions.ts';

/** Session ends that are not the session's own: the node's next primary carries it on. */
const HANDED_OVER = new Set(['shutdown', 'deposed']);

/** A new primary that has waited this long for HA's recovery report says so. */
const AWAIT_RECOVERY_WARNING_MS = 60_000;

/** Where the puller's figures go (the runtime's Prometheus registry); all optional for tests. */
export interface InteractionMetrics {
  pulled: { inc(value?: number): void };
  completed: { inc(value?: number): void };
  returned: { inc(value?: number): void };
  stopped: { inc(value?: number): void };
  recovered: { inc(value?: number): void };
  restarted: { inc(value?: number): void };
  pullSeconds: { observe(value: number): void };
  completionsPending: { set(value: number): void };
}

export interface InteractionPullerOptions {
  nodeId: string;
  connection: TelephonyConnection;
  sessions: CallSessionPort;
  role: { current(): { role: Role }; subscribe(listener: (state: { role: Role }) => void): () => void };
  /** Queues to pull from; undefined: every queue the server announces. */
  queues?: string[];
  /** Sessions this process may hold at once. */
  maxSessions: number;
  /** At most this many per pull (`session-processing-threads`). */
  maxPerPull: number;
  idlePollMs: number;
  leaseRenewMs: number;
  /**
   * HA recovers the node's persisted sessions on promotion: pull only once it has told
   * us which (`adoptRecoveredSessions`), so that what the node holds is taken over first.
   */
  awaitRecovery?: boolean;
  metrics?: InteractionMetrics;
  log: Logger;
}

export interface PullerCounters {
  pulled: number;
  completed: number;
  /** Acknowledged completions the server had seen already (a retry whose first answer was lost). */
  completionsRepeated: number;
  /** Completions sent again after a transport failure. */
  completionRetries: number;
  completionsRefused: number;
  stopped: number;
  leasesLost: number;
  returned: number;
  /** Interactions taken over after a switchover with their recovered session. */
  recovered: number;
  /** Interactions taken over after a switchover that had no session left: started over. */
  restarted: number;
  pullRequests: number;
  /** Round trip of each pull request, ms. */
  pullLatencies: number[];
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export class InteractionPuller {
  private readonly o: InteractionPullerOptions;
  private role: Role;
  private running = false;
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private lastAsked: number | undefined;
  private lastPulled: number | undefined;
  /** interactionId -> sessionId, for every interaction this node holds. */
  private readonly held = new Map<string, string>();
  private readonly bySession = new Map<string, string>();
  /** Sessions whose strategy stopped processing explicitly: no completion on end. */
  private readonly stoppedSessions = new Set<string>();
  private readonly completions = new PendingCompletions();
  /** Per session: resolved once its interaction's completion is acknowledged (or refused). */
  private readonly completionSettled = new Map<string, Deferred>();
  /** Promoted, waiting for HA to report what it recovered. */
  private awaitingRecovery = false;
  /** When the wait began, to say so if HA never reports (its recovery failed). */
  private awaitingSince = 0;
  private awaitingWarned = false;
  /** Recovered sessions to reconcile with what the server says the node holds. */
  private recoveredSessions: RecoveredSession[] | undefined;
  private reconciling: Promise<void> | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  readonly counters: PullerCounters = {
    pulled: 0,
    completed: 0,
    completionsRepeated: 0,
    completionRetries: 0,
    completionsRefused: 0,
    stopped: 0,
    leasesLost: 0,
    returned: 0,
    recovered: 0,
    restarted: 0,
    pullRequests: 0,
    pullLatencies: [],
  };

  constructor(options: InteractionPullerOptions) {
    this.o = options;
    this.role = options.role.current().role;
    this.awaitingRecovery = this.role === 'primary' && options.awaitRecovery === true;
    this.awaitingSince = Date.now();
  }

  start(): void {
    this.running = true;
    this.unsubscribe.push(
      this.o.role.subscribe((s) => this.onRole(s.role)),
      this.o.connection.onWelcome(() => {
        this.flushCompletions();
        this.schedule(0);
      }),
      this.o.sessions.onSessionEnded((sessionId, reason) => this.onSessionEnded(sessionId, reason)),
      this.o.connection.onLeaseExpired((e) => {
        this.counters.returned++;
        this.o.metrics?.returned.inc();
        this.o.log.warn({ interactionId: e.interactionId }, 'lease on an interaction expired; it went back to its queue');
        const sessionId = this.held.get(e.interactionId);
        this.held.delete(e.interactionId);
        if (sessionId) this.bySession.delete(sessionId);
      }),
    );
    this.renewTimer = setInterval(() => {
      this.flushCompletions();
      void this.renewLeases().catch((err: unknown) => this.o.log.error({ err }, 'lease renewal failed'));
    }, this.o.leaseRenewMs);
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.timer) clearTimeout(this.timer);
    if (this.renewTimer) clearInterval(this.renewTimer);
  }

  /** HA recovered a persisted session working on this interaction: keep its lease and report its end. */
  bindRecoveredSession(interactionId: string, sessionId: string): void {
    this.held.set(interactionId, sessionId);
    this.bySession.set(sessionId, interactionId);
  }

  /**
   * HA finished recovering the node's persisted sessions after this process became
   * primary. The interactions the node holds are taken over (their sessions bound, or
   * started over when none came back) before the first pull.
   */
  adoptRecoveredSessions(sessions: readonly RecoveredSession[]): void {
    this.recoveredSessions = [...(this.recoveredSessions ?? []), ...sessions];
    this.awaitingRecovery = false;
    this.schedule(0);
  }

  heldInteractions(): string[] {
    return [...this.held.keys()];
  }

  /** Completions not yet acknowledged by the server. */
  pendingCompletions(): number {
    return this.completions.size;
  }

  /**
   * Resolves once the end of this session's interaction is acknowledged by the server
   * (undefined when the session carries no interaction). HA keeps a finished persisted
   * session's record until then: if this process dies first, the next primary recovers
   * the session, which ends again and reports the completion, instead of finding an
   * interaction held with no session and starting it over.
   */
  completionOf(sessionId: string): Promise<void> | undefined {
    const existing = this.completionSettled.get(sessionId);
    if (existing) return existing.promise;
    if (!this.bySession.has(sessionId) || this.stoppedSessions.has(sessionId)) return undefined;
    const d = deferred();
    this.completionSettled.set(sessionId, d);
    return d.promise;
  }

  /** A strategy stops processing its interaction (closing it, or placing it into `queue`). */
  async stopProcessing(sessionId: string, queue?: string): Promise<void> {
    const interactionId = this.bySession.get(sessionId);
    if (!interactionId) throw new Error(`session ${sessionId} holds no interaction`);
    await this.o.connection.request({ type: 'interaction.stop-processing', interactionId, ...(queue ? { queue } : {}) });
    this.stoppedSessions.add(sessionId);
    this.settleSession(sessionId);
    this.held.delete(interactionId);
    this.counters.stopped++;
    this.o.metrics?.stopped.inc();
  }

  private onRole(role: Role): void {
    const was = this.role;
    this.role = role;
    if (role === 'primary' && was !== 'primary' && this.o.awaitRecovery) {
      this.awaitingRecovery = true;
      this.awaitingSince = Date.now();
      this.awaitingWarned = false;
    }
    if (role !== 'primary' && was === 'primary') {
      // Deposed: the node's new primary carries on with everything this process held.
      this.held.clear();
      this.bySession.clear();
      this.recoveredSessions = undefined;
      this.awaitingRecovery = false;
    }
    this.schedule(0);
  }

  private schedule(delayMs: number | undefined): void {
    if (!this.running || delayMs === undefined) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pullOnce().catch((err: unknown) => this.o.log.error({ err }, 'pull failed')), delayMs);
  }

  private async pullOnce(): Promise<void> {
    this.timer = undefined;
    if (!this.running || this.role !== 'primary' || !this.o.connection.isReady) return;
    if (this.awaitingRecovery) {
      if (!this.awaitingWarned && Date.now() - this.awaitingSince > AWAIT_RECOVERY_WARNING_MS) {
        this.awaitingWarned = true;
        this.o.log.error('primary for a while, but HA has not reported its recovery (see its errors): not pulling interactions');
      }
      this.schedule(this.o.idlePollMs);
      return;
    }
    if (this.recoveredSessions) {
      this.reconciling ??= this.takeOverHeld().finally(() => (this.reconciling = undefined));
      await this.reconciling;
      if (this.recoveredSessions) {
        this.schedule(this.o.idlePollMs); // the server did not answer: try again
        return;
      }
    }
    const queues = this.o.queues ?? this.o.connection.welcome?.queues.map((q) => q.name) ?? [];
    if (queues.length === 0) return;
    const budget = pullBudget({
      maxSessions: this.o.maxSessions,
      liveSessions: this.o.sessions.liveSessions(),
      pendingPulls: this.pending,
      maxPerPull: this.o.maxPerPull,
    });
    if (budget <= 0) return; // a session ending schedules the next pull
    this.pending += budget;
    const t0 = performance.now();
    let interactions: Interaction[] = [];
    try {
      this.counters.pullRequests++;
      const result = PullResultSchema.parse(await this.o.connection.request({ type: 'interactions.pull', queues, max: budget }));
      interactions = result.interactions;
      const ms = performance.now() - t0;
      this.counters.pullLatencies.push(ms);
      this.o.metrics?.pullSeconds.observe(ms / 1000);
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'pull failed');
    } finally {
      // What did not come back frees its share now; the rest once its session exists
      // (until then the host does not count it, and a concurrent pull would overshoot).
      this.pending -= budget - interactions.length;
    }
    this.lastAsked = budget;
    this.lastPulled = interactions.length;
    this.counters.pulled += interactions.length;
    if (interactions.length > 0) this.o.metrics?.pulled.inc(interactions.length);
    await Promise.all(interactions.map((i) => this.startSession(i).finally(() => this.pending--)));
    const again = pullBudget({ maxSessions: this.o.maxSessions, liveSessions: this.o.sessions.liveSessions(), pendingPulls: this.pending, maxPerPull: this.o.maxPerPull });
    this.schedule(nextPullDelay({ budget: again, lastAsked: this.lastAsked, lastPulled: this.lastPulled, idlePollMs: this.o.idlePollMs }) ?? this.o.idlePollMs);
  }

  /** After a switchover: every interaction the node holds gets a session here again. */
  private async takeOverHeld(): Promise<void> {
    const recovered = this.recoveredSessions ?? [];
    let held: Interaction[];
    try {
      held = HeldResultSchema.parse(await this.o.connection.request({ type: 'interactions.held' })).interactions;
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'could not ask which interactions this node holds; retrying');
      return;
    }
    if (this.role !== 'primary') return;
    this.recoveredSessions = undefined;
    const steps = planRecoveredInteractions({
      held,
      recovered,
      alreadyMine: (id) => this.held.has(id) || this.completions.has(id),
      isAlive: (sessionId) => this.o.sessions.isAlive(sessionId),
    });
    const restarts: Interaction[] = [];
    for (const step of steps) {
      const id = step.interaction.interactionId;
      if (step.kind === 'bind') {
        this.bindRecoveredSession(id, step.sessionId);
        this.counters.recovered++;
        this.o.metrics?.recovered.inc();
      } else if (step.kind === 'complete') {
        this.counters.recovered++;
        this.o.metrics?.recovered.inc();
        this.completions.add(id, step.sessionId);
      } else {
        restarts.push(step.interaction);
      }
    }
    this.o.log.info(
      { held: held.length, recovered: this.counters.recovered, restarting: restarts.length },
      'took over the interactions this node holds',
    );
    for (const interaction of restarts) {
      this.counters.restarted++;
      this.o.metrics?.restarted.inc();
      this.o.log.warn({ interactionId: interaction.interactionId }, 'interaction held by this node had no session left: starting it over');
    }
    await Promise.all(restarts.map((i) => this.startSession(i)));
    this.flushCompletions();
    // Renew at once: the leases ran unrenewed through the failover.
    await this.renewLeases().catch((err: unknown) => this.o.log.error({ err }, 'lease renewal failed'));
  }

  private async startSession(interaction: Interaction): Promise<void> {
    try {
      const prepared = await this.o.sessions.prepare(interaction.strategy, {
        InteractionId: interaction.interactionId,
        Queue: interaction.queue,
        MediaType: interaction.mediaType,
        ...interaction.data,
      });
      this.held.set(interaction.interactionId, prepared.sessionId);
      this.bySession.set(prepared.sessionId, interaction.interactionId);
      prepared.start();
    } catch (err) {
      // No session: put it back at once rather than sitting on it.
      this.o.log.error({ interactionId: interaction.interactionId, err: (err as Error).message }, 'could not start a session for an interaction');
      await this.o.connection
        .request({ type: 'interaction.stop-processing', interactionId: interaction.interactionId, queue: interaction.queue })
        .catch(() => undefined);
    }
  }

  private onSessionEnded(sessionId: string, reason: string | undefined): void {
    const interactionId = this.bySession.get(sessionId);
    this.bySession.delete(sessionId);
    if (reason !== undefined && HANDED_OVER.has(reason)) {
      // Not the session's end: the next primary recovers it and reports its completion.
      if (interactionId) this.held.delete(interactionId);
      return;
    }
    if (this.stoppedSessions.delete(sessionId) || !interactionId) {
      this.settleSession(sessionId);
      this.schedule(0);
      return;
    }
    this.held.delete(interactionId);
    this.completions.add(interactionId, sessionId);
    this.flushCompletions();
    this.schedule(0);
  }

  /** Sends every completion not yet acknowledged (and not on the wire). */
  private flushCompletions(): void {
    if (this.completions.size === 0 || !this.o.connection.isReady) {
      this.o.metrics?.completionsPending.set(this.completions.size);
      return;
    }
    for (const c of this.completions.takeDue()) {
      if (c.attempts > 1) this.counters.completionRetries++;
      void this.sendCompletion(c.interactionId, c.sessionId);
    }
    this.o.metrics?.completionsPending.set(this.completions.size);
  }

  private async sendCompletion(interactionId: string, sessionId: string): Promise<void> {
    try {
      const result = CompleteResultSchema.parse(await this.o.connection.request({ type: 'interaction.complete', interactionId }) ?? {});
      this.completions.settle(interactionId);
      this.counters.completed++;
      this.o.metrics?.completed.inc();
      if (result.repeated) this.counters.completionsRepeated++;
    } catch (err) {
      if (err instanceof TelephonyRequestError && isTransientFailure(err.code)) {
        // It may not have arrived: keep it, send it again on reconnection (or the next tick).
        this.completions.retryLater(interactionId);
        this.o.log.warn({ interactionId, err: err.message }, 'completion not acknowledged; will send it again');
        return;
      }
      this.completions.settle(interactionId);
      this.counters.completionsRefused++;
      this.o.log.warn({ interactionId, err: (err as Error).message }, 'the server refused an interaction completion');
    }
    this.settleSession(sessionId);
    this.o.metrics?.completionsPending.set(this.completions.size);
  }

  private settleSession(sessionId: string): void {
    const d = this.completionSettled.get(sessionId);
    this.completionSettled.delete(sessionId);
    d?.resolve();
  }

  private async renewLeases(): Promise<void> {
    if (this.role !== 'primary' || this.held.size === 0 || !this.o.connection.isReady) return;
    try {
      const result = RenewResultSchema.parse(await this.o.connection.request({ type: 'interactions.lease.renew', interactionIds: [...this.held.keys()] }));
      for (const id of result.lost) {
        this.counters.leasesLost++;
        this.o.log.warn({ interactionId: id }, 'lost the lease on an interaction');
      }
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'lease renewal failed');
    }
  }
}

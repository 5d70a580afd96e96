// The multimedia side of a runtime process: while primary (and only then), pull
// interactions from the queues the node serves, as many as free capacity allows
// (pull-budget.ts), start a session per interaction with the queue's strategy, keep the
// interactions' leases alive while their sessions live, and report completion when a
// session ends. A backup runs the same object, idle, until it is promoted.
import type { Logger } from 'pino';
import type { Role } from '../ha/role-source.ts';
import type { TelephonyConnection } from './telephony-connection.ts';
import { PullResultSchema, RenewResultSchema } from './multimedia-messages.ts';
import type { Interaction } from './multimedia-messages.ts';
import type { CallSessionPort } from './call-session-port.ts';
import { nextPullDelay, pullBudget } from './pull-budget.ts';

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
  log: Logger;
}

export interface PullerCounters {
  pulled: number;
  completed: number;
  stopped: number;
  leasesLost: number;
  returned: number;
  pullRequests: number;
  /** Round trip of each pull request, ms. */
  pullLatencies: number[];
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
  private readonly unsubscribe: (() => void)[] = [];
  readonly counters: PullerCounters = { pulled: 0, completed: 0, stopped: 0, leasesLost: 0, returned: 0, pullRequests: 0, pullLatencies: [] };

  constructor(options: InteractionPullerOptions) {
    this.o = options;
    this.role = options.role.current().role;
  }

  start(): void {
    this.running = true;
    this.unsubscribe.push(
      this.o.role.subscribe((s) => {
        this.role = s.role;
        this.schedule(0);
      }),
      this.o.connection.onWelcome(() => this.schedule(0)),
      this.o.sessions.onSessionEnded((sessionId) => void this.onSessionEnded(sessionId).catch((err: unknown) => this.o.log.error({ err }, 'reporting an interaction failed'))),
      this.o.connection.onLeaseExpired((e) => {
        this.counters.returned++;
        this.o.log.warn({ interactionId: e.interactionId }, 'lease on an interaction expired; it went back to its queue');
        const sessionId = this.held.get(e.interactionId);
        this.held.delete(e.interactionId);
        if (sessionId) this.bySession.delete(sessionId);
      }),
    );
    this.renewTimer = setInterval(() => void this.renewLeases().catch((err: unknown) => this.o.log.error({ err }, 'lease renewal failed')), this.o.leaseRenewMs);
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

  heldInteractions(): string[] {
    return [...this.held.keys()];
  }

  /** A strategy stops processing its interaction (closing it, or placing it into `queue`). */
  async stopProcessing(sessionId: string, queue?: string): Promise<void> {
    const interactionId = this.bySession.get(sessionId);
    if (!interactionId) throw new Error(`session ${sessionId} holds no interaction`);
    await this.o.connection.request({ type: 'interaction.stop-processing', interactionId, ...(queue ? { queue } : {}) });
    this.stoppedSessions.add(sessionId);
    this.held.delete(interactionId);
    this.counters.stopped++;
  }

  private schedule(delayMs: number | undefined): void {
    if (!this.running || delayMs === undefined) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pullOnce().catch((err: unknown) => this.o.log.error({ err }, 'pull failed')), delayMs);
  }

  private async pullOnce(): Promise<void> {
    this.timer = undefined;
    if (!this.running || this.role !== 'primary' || !this.o.connection.isReady) return;
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
      this.counters.pullLatencies.push(performance.now() - t0);
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'pull failed');
    } finally {
      this.pending -= budget;
    }
    this.lastAsked = budget;
    this.lastPulled = interactions.length;
    this.counters.pulled += interactions.length;
    await Promise.all(interactions.map((i) => this.startSession(i)));
    const again = pullBudget({ maxSessions: this.o.maxSessions, liveSessions: this.o.sessions.liveSessions(), pendingPulls: this.pending, maxPerPull: this.o.maxPerPull });
    this.schedule(nextPullDelay({ budget: again, lastAsked: this.lastAsked, lastPulled: this.lastPulled, idlePollMs: this.o.idlePollMs }) ?? this.o.idlePollMs);
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

  private async onSessionEnded(sessionId: string): Promise<void> {
    const interactionId = this.bySession.get(sessionId);
    this.bySession.delete(sessionId);
    if (this.stoppedSessions.delete(sessionId) || !interactionId) {
      this.schedule(0);
      return;
    }
    this.held.delete(interactionId);
    try {
      await this.o.connection.request({ type: 'interaction.complete', interactionId });
      this.counters.completed++;
    } catch (err) {
      this.o.log.warn({ interactionId, err: (err as Error).message }, 'could not report an interaction complete');
    }
    this.schedule(0);
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

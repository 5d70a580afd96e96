// High availability of one runtime process: turns role changes into action.
//
// As primary (epoch e): fences the session store with e, brings back persisted sessions
// from it (raising session.recovered where the strategy asks), restarts the sessions its
// backup replica knows of when restart-session-on-switchover is on (raising
// session.restart and replaying the interaction's events, throttled), completes
// treatments that were playing, then serves its own backup over the sync port: session
// created/terminated, treatments, persisted-snapshot markers and interaction events.
// Persisted sessions are snapshotted at every stable point with epoch e, to the store and
// to the backup (hot standby); the state counts as durable, and the request that produced
// it may be answered, once either has it (durable-acknowledgement.ts). A promotion brings
// each persisted session back from the newer of the two (persisted-recovery.ts), so it
// works through a store outage too, and catches up with the store when it returns.
//
// As backup: drops everything it was running (a deposed primary stops at once), follows
// the lease holder's sync address, and keeps unstarted shadow sessions for the sessions
// its primary reports, dropping them when the primary reports their end.
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { sessionProcessingThreads, type RuntimeConfig } from '../config/runtime-options.ts';
import type { LifecycleChange, SessionHost } from '../sessions/session-host.ts';
import type { ExternalEvent } from '../sessions/strategy-engine.ts';
import { StaleEpochError, type SessionStore, type StoredSession } from '../store/session-store.ts';
import type { RoleSource, RoleState } from './role-source.ts';
import { planRestartBatches } from './restart-throttle.ts';
import { firstDurable } from './durable-acknowledgement.ts';
import { takeoverGate, type TakeoverGate } from './takeover-gate.ts';
import { persistedRecoverySources, type RecoverySource } from './persisted-recovery.ts';
import type { SyncClient } from './sync/sync-client.ts';
import type { SyncEvent, SyncedSession, Treatment } from './sync/sync-protocol.ts';
import type { SyncServer } from './sync/sync-server.ts';
import { emptySyncState, type SyncState } from './sync/sync-state.ts';

/** Room for this many snapshots of one session per lease epoch (epochs stay below 2^21). */
const VERSIONS_PER_EPOCH = 2 ** 32;

/** Reasons a session ends that are not the session's own end: its successor carries it on. */
const HANDED_OVER = new Set(['shutdown', 'deposed']);

export function interactionIdOf(parameters: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(parameters)) {
    if (/^interaction[-_]?id$/i.test(name) && typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** Events of a restartable session are kept under its interaction, or under its own id. */
const replayKey = (session: { sessionId: string; interactionId?: string }) => session.interactionId ?? session.sessionId;

export interface HighAvailabilityOptions {
  config: RuntimeConfig;
  host: SessionHost;
  roles: RoleSource;
  store: SessionStore;
  syncServer: SyncServer;
  syncClient: SyncClient;
  logger: Logger;
  /** Counts the sessions a promotion could not bring back (ors_ha_recovery_errors_total). */
  recoveryErrors?: Counter<'kind'>;
}

export interface RecoveryReport {
  epoch: number;
  recovered: number;
  /** The persisted sessions brought back, with the interaction each works on. */
  sessions: { sessionId: string; interactionId?: string }[];
  restarted: number;
  startedAt: number;
  finishedAt: number;
}

export class HighAvailability {
  private readonly options: HighAvailabilityOptions;
  private readonly nodeId: string;
  private role: RoleState['role'] | undefined;
  private epoch = 0;
  private readonly versions = new Map<string, number>();
  private readonly liveSessions = new Map<string, SyncedSession>();
  private readonly treatmentTimers = new Set<NodeJS.Timeout>();
  /** Who completes the treatments playing at a promotion, when not HA's own timers. */
  private treatmentEnds: ((treatments: Treatment[]) => void) | undefined;
  /** Backup: unstarted sessions mirroring the primary's, with their (async) creation. */
  private readonly shadows = new Map<string, Promise<boolean>>();
  private readonly unsubscribers: (() => void)[] = [];
  private transition: Promise<void> = Promise.resolve();
  private readonly recoveryListeners = new Set<(report: RecoveryReport) => void>();
  private recordHold: ((sessionId: string) => Promise<void> | undefined) | undefined;
  private stopped = false;
  /**
   * What this process served when it was last primary. If it steps down (missed its
   * renew deadline) and wins the lease back before any other primary fed it a snapshot,
   * that is the newest picture of its node's sessions, so it restarts from it.
   */
  private ownLastState: SyncState | undefined;
  private replicaFresh = false;
  /**
   * This process's store writes (snapshots, deletes) not settled yet. A primary that steps
   * down and wins the lease back reads the store only once they have settled: a snapshot
   * still in flight when it stepped down may be acknowledged to its client a moment later,
   * and recovering from the store without it would roll that session back (or lose a
   * session whose first snapshot was in flight).
   */
  private readonly writesInFlight = new Set<Promise<void>>();
  /**
   * Treatment ends told to persisted sessions, by session, not yet told to the backup: each
   * goes out right after the session's next snapshot (see treatmentEnded).
   */
  private readonly endsAwaitingSnapshot = new Map<string, string[]>();
  /** The promotion under way: settles when its recovery is done (or abandoned). */
  private recovery: { epoch: number; done: Promise<void>; settle(): void } | undefined;

  constructor(options: HighAvailabilityOptions) {
    this.options = options;
    this.nodeId = options.config['node-id'];
  }

  /** Holds requests for sessions not recovered yet during a promotion (runtime/ha/takeover-gate.ts). */
  takeoverGate(waitMs: number): TakeoverGate {
    return takeoverGate(
      {
        has: (sessionId) => this.options.host.has(sessionId),
        pending: () => (this.recovery && this.recovery.epoch === this.epoch && this.role === 'primary' ? this.recovery.done : undefined),
      },
      waitMs,
    );
  }

  onRecovery(listener: (report: RecoveryReport) => void): () => void {
    this.recoveryListeners.add(listener);
    return () => this.recoveryListeners.delete(listener);
  }

  /**
   * A finished persisted session's record is deleted only once `hold(sessionId)` settles
   * (the interaction puller: once the server acknowledged the interaction's completion).
   * Should the process die before, the next primary recovers the session instead of
   * losing track of work whose end was never reported.
   */
  holdRecordsUntil(hold: (sessionId: string) => Promise<void> | undefined): void {
    this.recordHold = hold;
  }

  start(): void {
    const { host, roles, syncClient } = this.options;
    this.unsubscribers.push(
      roles.subscribe((state) => this.onRole(state)),
      host.onLifecycle((change) => this.onLifecycle(change)),
      host.onExternalEvent((sessionId, event) => this.onExternalEvent(sessionId, event)),
      host.onStablePoint((point) => (point.persist ? this.persist(point.sessionId, point.src, point.session.snapshot()) : undefined)),
      syncClient.subscribe({
        onSnapshot: (replica) => {
          this.replicaFresh = true;
          this.reconcileShadows(replica);
        },
        onEvents: (events) => this.applyToShadows(events),
      }),
    );
    this.onRole(roles.current());
  }

  /** Lets in-flight work finish; sessions themselves are closed by the runtime. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    for (const timer of this.treatmentTimers) clearTimeout(timer);
    this.options.syncClient.stop();
    await this.transition;
  }

  /**
   * Voice calls: the telephony agent completes the treatments that were playing at a
   * promotion (it also hears the telephony server's own end of each, and must tell the
   * session only once), instead of HA's timers.
   */
  delegateTreatmentEnds(handler: (treatments: Treatment[]) => void): void {
    this.treatmentEnds = handler;
  }

  /** For the treatment ledger (voice calls): a treatment began / ended on the primary. */
  treatmentStarted(treatment: Treatment): void {
    this.publish({ type: 'treatment-started', at: Date.now(), treatment });
  }

  /**
   * The end of a persisted session's treatment reaches the backup only after the snapshot
   * of the state it led to (the session's next stable point, which comes after the end
   * was delivered: stable points wait for the session's queue to drain). Told before, a
   * primary dying in between leaves the backup a session recovered from before the end
   * and a ledger saying the end was delivered: the session waits for it forever (issue 22,
   * a greeting that never ends, the call never routed).
   */
  treatmentEnded(sessionId: string, treatmentId: string): void {
    if (this.isPrimary() && this.liveSessions.get(sessionId)?.persisted) {
      const ends = this.endsAwaitingSnapshot.get(sessionId) ?? [];
      ends.push(treatmentId);
      this.endsAwaitingSnapshot.set(sessionId, ends);
      return;
    }
    this.publishTreatmentEnded(sessionId, treatmentId);
  }

  private publishTreatmentEnded(sessionId: string, treatmentId: string): void {
    this.publish({ type: 'treatment-ended', at: Date.now(), sessionId, treatmentId });
  }

  /** The session's state after these ends has been handed to the backup: the ends follow it. */
  private publishEndsAwaitingSnapshot(sessionId: string): void {
    const ends = this.endsAwaitingSnapshot.get(sessionId);
    if (!ends) return;
    this.endsAwaitingSnapshot.delete(sessionId);
    for (const treatmentId of ends) this.publishTreatmentEnded(sessionId, treatmentId);
  }

  private isPrimary(): boolean {
    return this.role === 'primary' && this.options.roles.current().role === 'primary';
  }

  private publish(event: SyncEvent): void {
    if (this.isPrimary()) this.options.syncServer.publish(event);
  }

  private onRole(state: RoleState): void {
    if (this.stopped) return;
    if (state.role === 'backup') this.options.syncClient.follow(state.primarySyncAddress);
    if (state.role === this.role && state.epoch === this.epoch) return;
    const previous = this.role;
    this.role = state.role;
    this.epoch = state.epoch;
    this.recovery?.settle();
    this.recovery = undefined;
    if (state.role === 'primary') {
      // Set synchronously with the role change, before any request is routed here as primary.
      let settle = () => {};
      const done = new Promise<void>((resolve) => (settle = resolve));
      this.recovery = { epoch: state.epoch, done, settle };
    }
    this.transition = this.transition.then(() =>
      state.role === 'primary' ? this.becomePrimary(state.epoch) : this.becomeBackup(previous, state),
    ).catch((error: unknown) => this.options.logger.error({ err: error }, 'role transition failed'));
  }

  private async becomeBackup(previous: RoleState['role'] | undefined, state: RoleState): Promise<void> {
    const { host, syncServer, logger } = this.options;
    syncServer.setAccepting(false);
    if (previous === 'primary') {
      this.ownLastState = syncServer.syncState();
      this.replicaFresh = false;
      logger.warn({ epoch: this.epoch }, 'no longer primary: dropping every session (the new primary carries them on)');
      host.abandonAll('deposed');
      // abandonAll ended the shadows too (ones a restart left unstarted): forget them, or
      // the next promotion would take them for ready and start sessions that are gone.
      this.shadows.clear();
      this.liveSessions.clear();
      this.endsAwaitingSnapshot.clear();
      for (const timer of this.treatmentTimers) clearTimeout(timer);
      this.treatmentTimers.clear();
    }
    this.options.syncClient.follow(state.primarySyncAddress);
  }

  private async becomePrimary(epoch: number): Promise<void> {
    try {
      await this.recoverAsPrimary(epoch);
    } finally {
      if (this.recovery?.epoch === epoch) this.recovery.settle();
    }
  }

  private async recoverAsPrimary(epoch: number): Promise<void> {
    const { syncServer, syncClient, config, logger } = this.options;
    const startedAt = Date.now();
    const replica = !this.replicaFresh && this.ownLastState ? this.ownLastState : syncClient.replica();
    syncClient.follow(undefined);
    syncServer.resetState();
    syncServer.setAccepting(true);
    await this.ownWritesSettled(config['request-timeout']);
    const stored = await this.readStore(epoch);
    if (stored === 'stale') return;
    const sources = persistedRecoverySources(stored ?? [], replica);
    const sessions: RecoveryReport['sessions'] = [];
    for (const source of sources) {
      if (!this.isPrimary() || this.epoch !== epoch) return;
      if (await this.recoverPersisted(source)) {
        sessions.push(source.interactionId === undefined ? { sessionId: source.sessionId } : { sessionId: source.sessionId, interactionId: source.interactionId });
      }
    }
    const recovered = sessions.length;
    if (stored === undefined) void this.catchUpWithStore(epoch);
    let restarted = 0;
    if (config['restart-session-on-switchover']) {
      restarted = await this.restartFromReplica(replica, epoch);
    }
    this.completeTreatments(replica);
    logger.info({ epoch, recovered, restarted, ms: Date.now() - startedAt }, 'primary: recovery done');
    const report: RecoveryReport = { epoch, recovered, sessions, restarted, startedAt, finishedAt: Date.now() };
    for (const listener of this.recoveryListeners) listener(report);
  }

  /**
   * Fences the store at this epoch and lists the node's persisted sessions: 'stale' when a
   * newer primary fenced it already, undefined when the store cannot be reached now (the
   * promotion then goes on from the backup's replica alone).
   */
  private async readStore(epoch: number): Promise<StoredSession[] | 'stale' | undefined> {
    const { store, logger } = this.options;
    try {
      await store.fence(this.nodeId, epoch);
      const sessions: StoredSession[] = [];
      for await (const session of store.listByNode(this.nodeId)) sessions.push(session);
      return sessions;
    } catch (error) {
      if (error instanceof StaleEpochError) {
        logger.warn({ epoch, current: error.currentEpoch }, 'the store has seen a newer primary: not recovering');
        return 'stale';
      }
      logger.warn({ err: String(error), epoch }, 'session store unreachable at promotion: recovering from the backup replica, the store later');
      return undefined;
    }
  }

  /** After a promotion without the store: once it answers, brings back what only it had. */
  private async catchUpWithStore(epoch: number): Promise<void> {
    const { host, logger } = this.options;
    for (let attempt = 0; ; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt)));
      if (this.stopped || !this.isPrimary() || this.epoch !== epoch) return;
      const stored = await this.readStore(epoch);
      if (stored === 'stale') return;
      if (stored === undefined) continue;
      let recovered = 0;
      for (const source of persistedRecoverySources(stored, emptySyncState())) {
        if (!this.isPrimary() || this.epoch !== epoch) return;
        // A session this primary runs or has finished since is newer than the store.
        if (host.has(source.sessionId)) continue;
        if (await this.recoverPersisted(source)) recovered++;
      }
      logger.info({ epoch, recovered }, 'session store reachable again: recovered the sessions only it held');
      return;
    }
  }

  /** Brings one persisted session back and tells the backup; false if it could not be. */
  private async recoverPersisted(source: RecoverySource): Promise<boolean> {
    const { host, logger } = this.options;
    this.shadowDrop(source.sessionId);
    try {
      const events: ExternalEvent[] = (await host.sendsSessionRecovered(source.src))
        ? [{ name: 'session.recovered', data: { sessionid: source.sessionId, interactionid: source.interactionId } }]
        : [];
      await host.restoreSession(source.src, source.sessionId, source.snapshot, events);
      // This tenure's versions start above any the deposed primary can still write (a
      // paused process resuming with writes queued for a store outage): the store keeps
      // the higher version, so it must be ours.
      this.versions.set(source.sessionId, Math.max(source.version, this.epoch * VERSIONS_PER_EPOCH));
      const synced: SyncedSession = {
        sessionId: source.sessionId,
        ...(source.interactionId === undefined ? {} : { interactionId: source.interactionId }),
        src: source.src,
        createdAt: Date.now(),
        persisted: true,
        ...(source.from === 'store' ? { persistedVersion: source.version } : {}),
        snapshot: source.snapshot,
        snapshotVersion: source.version,
      };
      this.liveSessions.set(source.sessionId, synced);
      this.publish({ type: 'session-created', at: Date.now(), session: synced });
      // The store is behind the replica: give it this version now, not at the next event.
      if (source.from === 'replica' && events.length === 0) void this.persist(source.sessionId, source.src, source.snapshot).catch(() => undefined);
      return true;
    } catch (error) {
      logger.error({ err: error, sessionId: source.sessionId }, 'could not recover a persisted session');
      this.options.recoveryErrors?.inc({ kind: 'recover' });
      return false;
    }
  }

  private async restartFromReplica(replica: SyncState, epoch: number): Promise<number> {
    const { host, config, logger } = this.options;
    const candidates = [...replica.sessions.values()].filter((s) => !s.persisted && !this.liveSessions.has(s.sessionId));
    const batches = planRestartBatches(candidates.length, sessionProcessingThreads(config));
    let restarted = 0;
    for (const [index, batch] of batches.entries()) {
      if (index > 0 && config['session-restart-timeout'] > 0) {
        await new Promise((resolve) => setTimeout(resolve, config['session-restart-timeout']));
      }
      if (!this.isPrimary() || this.epoch !== epoch) return restarted;
      for (const session of candidates.slice(batch.from, batch.to)) {
        const events = replica.interactionEvents.get(replayKey(session)) ?? [];
        const replay: ExternalEvent[] = [
          { name: 'session.restart', data: { interactionid: session.interactionId, sessionid: session.sessionId } },
          ...events.map((e) => ({ name: e.name, data: e.data })),
        ];
        try {
          await this.shadows.get(session.sessionId);
          // Whether the shadow is there is the host's to say: it may never have been made,
          // or have ended since (dropped, or abandoned when this process was deposed in
          // between); then the session is created afresh.
          if (!host.isLive(session.sessionId)) {
            await host.createSession(session.src, session.params ?? {}, { sessionId: session.sessionId, deferStart: true });
          }
          this.shadows.delete(session.sessionId);
          this.liveSessions.set(session.sessionId, session);
          this.publish({ type: 'session-created', at: Date.now(), session });
          for (const event of events) {
            this.publish({ type: 'interaction-event', at: Date.now(), interactionId: replayKey(session), event });
          }
          host.startDeferred(session.sessionId, replay);
          restarted++;
        } catch (error) {
          logger.error({ err: error, sessionId: session.sessionId }, 'could not restart a session');
          this.options.recoveryErrors?.inc({ kind: 'restart' });
        }
      }
    }
    // Shadows whose sessions were not restarted (persisted ones were recovered instead).
    for (const id of [...this.shadows.keys()]) this.shadowDrop(id);
    return restarted;
  }

  /**
   * A treatment that ends after the failover still yields dialog.<kind>.done in its
   * session: told by the delegate (voice calls) or, without one, by a timer at its
   * expected end.
   */
  private completeTreatments(replica: SyncState): void {
    const playing = [...replica.treatments.values()].flatMap((perSession) => [...perSession.values()]);
    for (const treatment of playing) this.publish({ type: 'treatment-started', at: Date.now(), treatment });
    if (this.treatmentEnds) {
      this.treatmentEnds(playing);
      return;
    }
    for (const treatment of playing) {
      if (treatment.expectedEndAt === undefined) continue;
      const timer = setTimeout(() => {
        this.treatmentTimers.delete(timer);
        try {
          this.options.host.sendEvent(treatment.sessionId, {
            name: `dialog.${treatment.kind}.done`,
            data: { treatmentid: treatment.treatmentId, interactionid: treatment.interactionId },
          });
        } catch (error) {
          this.options.logger.info({ err: String(error), sessionId: treatment.sessionId }, 'treatment ended for a session that is gone');
        }
        this.treatmentEnded(treatment.sessionId, treatment.treatmentId);
      }, Math.max(0, treatment.expectedEndAt - Date.now()));
      this.treatmentTimers.add(timer);
    }
  }

  private onLifecycle(change: LifecycleChange): void {
    if (!this.isPrimary()) return;
    if (change.kind === 'created') {
      if (this.liveSessions.has(change.sessionId)) return; // a restart: published by restartFromReplica
      const session: SyncedSession = {
        sessionId: change.sessionId,
        interactionId: interactionIdOf(change.parameters),
        src: change.src,
        params: change.parameters,
        createdAt: change.createdAt,
        persisted: change.persist,
      };
      this.liveSessions.set(change.sessionId, session);
      this.publish({ type: 'session-created', at: Date.now(), session });
      return;
    }
    if (HANDED_OVER.has(change.reason)) return;
    const session = this.liveSessions.get(change.sessionId);
    this.liveSessions.delete(change.sessionId);
    // The backup forgets the session's treatments with it.
    this.endsAwaitingSnapshot.delete(change.sessionId);
    this.publish({ type: 'session-terminated', at: Date.now(), sessionId: change.sessionId, interactionId: session?.interactionId });
    if (session?.persisted) {
      this.versions.delete(change.sessionId);
      const epoch = this.epoch;
      const remove = () =>
        this.tracked(this.options.store.delete(this.nodeId, change.sessionId, epoch)).catch((error: unknown) => {
          this.options.logger.warn({ err: String(error), sessionId: change.sessionId }, 'could not delete a persisted session');
        });
      const hold = this.recordHold?.(change.sessionId);
      if (hold) void hold.then(remove);
      else void remove();
    }
  }

  private onExternalEvent(sessionId: string, event: ExternalEvent): void {
    if (!this.options.config['restart-session-on-switchover'] || !this.isPrimary()) return;
    const session = this.liveSessions.get(sessionId);
    if (!session || session.persisted) return;
    this.publish({ type: 'interaction-event', at: Date.now(), interactionId: replayKey(session), event: { name: event.name, data: event.data, at: Date.now() } });
  }

  /** `write`, counted among this process's store writes in flight until it settles. */
  private tracked<T>(write: Promise<T>): Promise<T> {
    const settled = write.then(() => undefined, () => undefined);
    this.writesInFlight.add(settled);
    void settled.then(() => this.writesInFlight.delete(settled));
    return write;
  }

  /**
   * Waits (at most `limitMs`) for this process's store writes in flight. Beyond the limit
   * a write's request has been answered 503 by its own deadline, so whatever it leaves in
   * the store was never acknowledged as more than the client retries.
   */
  private async ownWritesSettled(limitMs: number): Promise<void> {
    if (this.writesInFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.writesInFlight]),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs))),
    ]);
    clearTimeout(timer);
  }

  /** Snapshots a persisted session to the store and the backup; resolves once either has it. */
  private persist(sessionId: string, src: string, snapshot: unknown): Promise<void> {
    if (!this.isPrimary()) return Promise.reject(new Error(`not primary: the state of session ${sessionId} was not made durable`));
    const epoch = this.epoch;
    const version = (this.versions.get(sessionId) ?? 0) + 1;
    this.versions.set(sessionId, version);
    const stored = this.tracked(this.options.store
      .save({
        sessionId,
        nodeId: this.nodeId,
        epoch,
        version,
        savedAt: Date.now(),
        interactionId: this.liveSessions.get(sessionId)?.interactionId,
        src,
        snapshot,
      }))
      .then(() => this.publish({ type: 'session-persisted', at: Date.now(), sessionId, version }));
    stored.catch((error: unknown) => {
      if (error instanceof StaleEpochError) {
        this.options.logger.warn({ sessionId, epoch, current: error.currentEpoch }, 'snapshot refused: a newer primary owns this node');
      } else {
        this.options.logger.error({ err: error, sessionId }, 'could not persist a session snapshot');
      }
    });
    const replicated = this.isPrimary()
      ? this.options.syncServer.publishConfirmed({ type: 'session-snapshot', at: Date.now(), sessionId, version, snapshot })
      : undefined;
    this.publishEndsAwaitingSnapshot(sessionId);
    return firstDurable(stored, replicated, this.options.store.inProcess === true);
  }

  // --- backup: shadow sessions (restart-session-on-switchover) ---

  private reconcileShadows(replica: SyncState): void {
    if (!this.options.config['restart-session-on-switchover'] || this.role !== 'backup') return;
    for (const id of [...this.shadows.keys()]) if (!replica.sessions.has(id)) this.shadowDrop(id);
    for (const session of replica.sessions.values()) this.shadowCreate(session);
  }

  private applyToShadows(events: SyncEvent[]): void {
    if (!this.options.config['restart-session-on-switchover'] || this.role !== 'backup') return;
    for (const event of events) {
      if (event.type === 'session-created') this.shadowCreate(event.session);
      else if (event.type === 'session-terminated') this.shadowDrop(event.sessionId);
    }
  }

  private shadowCreate(session: SyncedSession): void {
    if (session.persisted || this.shadows.has(session.sessionId)) return;
    const created = this.options.host
      .createSession(session.src, session.params ?? {}, { sessionId: session.sessionId, deferStart: true })
      .then(
        () => true,
        (error: unknown) => {
          this.options.logger.warn({ err: String(error), sessionId: session.sessionId }, 'could not create a shadow session');
          return false;
        },
      );
    this.shadows.set(session.sessionId, created);
  }

  private shadowDrop(sessionId: string): void {
    const created = this.shadows.get(sessionId);
    if (!created) return;
    this.shadows.delete(sessionId);
    void created.then((ok) => {
      if (!ok) return;
      try {
        this.options.host.terminate(sessionId, 'deposed');
      } catch {
        // already gone
      }
    });
  }
}

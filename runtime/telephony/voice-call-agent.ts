// The voice side of a runtime process (primary or backup): follows every call the
// telephony server reports, decides per call whether to create a session now, watch, or
// ignore (call-watching.ts), creates sessions through the node's session host, claims
// the call for them, feeds them the call's events, and turns treatments into requests.
// The backup runs the same agent: it records every call's events and creates sessions
// only once it has become primary.
import type { Logger } from 'pino';
import type { Role } from '../ha/role-source.ts';
import type { TelephonyConnection } from './telephony-connection.ts';
import { TelephonyRequestError } from './telephony-connection.ts';
import type { CallEvent, Treatment } from './voice-messages.ts';
import { applyCallEvent, claimedSinceRinging, isReroute, newTrackedCall } from './tracked-call.ts';
import type { TrackedCall } from './tracked-call.ts';
import { placeCall } from './rendezvous.ts';
import { placementKey } from './call-key.ts';
import { decideCallWatching } from './call-watching.ts';
import { decideReroute } from './reroute-policy.ts';
import { sessionEventFor } from './session-event-names.ts';
import type { CallSessionPort, ExternalEventLike } from './call-session-port.ts';
import { TreatmentLedger } from './treatment-ledger.ts';
import type { TreatmentRecord, TreatmentSyncSink } from './treatment-ledger.ts';

export interface VoiceCallAgentOptions {
  nodeId: string;
  /** Every node of the cluster (the placement is computed over these). */
  clusterNodeIds: readonly string[];
  connection: TelephonyConnection;
  sessions: CallSessionPort;
  role: { current(): { role: Role }; subscribe(listener: (state: { role: Role }) => void): () => void };
  callWatchingTimeoutMs: number;
  newSessionOnReroute: boolean;
  sameNodeForConsultAndPrimary: boolean;
  /** `restart-session-on-switchover`: on promotion, restart the node's calls' sessions and replay their events. */
  restartSessionOnSwitchover: boolean;
  /** Restarts go in batches of `session-processing-threads` every `session-restart-timeout` ms. */
  restartBatchSize?: number;
  restartIntervalMs?: number;
  /**
   * After a promotion, a treatment end this process saw while backup but never heard of
   * over the sync port is delivered only if it happened this recently (the failover
   * window); older ones the old primary delivered itself. Default 20 s.
   */
  unsyncedTreatmentEndWindowMs?: number;
  /** Where treatment starts/ends go for the backup (the HA sync port); optional. */
  treatmentSync?: TreatmentSyncSink;
  /**
   * HA recovers this node's sessions after a promotion (recovered from the store or
   * restarted from the sync replica, then `adoptRecoveredSessions`). Until it is done,
   * the agent feeds none of them: call events are kept and delivered after the
   * recovery's own (session.recovered / session.restart and the replay), in order.
   */
  haManagesRecovery?: boolean;
  /**
   * After a promotion, a treatment the sync said was playing is completed by a timer
   * this long after its expected end if the server's own end never arrived. Default 2 s.
   */
  treatmentEndGraceMs?: number;
  log: Logger;
}

export interface VoiceAgentCounters {
  sessionsCreated: number;
  sessionsRestarted: number;
  claimsRefused: number;
  callsSeen: number;
}

/** Calls are forgotten this long after release (late duplicates are then ignored by seq anyway). */
const FORGET_RELEASED_AFTER_MS = 10_000;
/** If HA never reports its recovery after a promotion, the agent feeds sessions again after this long. */
const RECOVERY_WAIT_LIMIT_MS = 30_000;

export class VoiceCallAgent {
  private readonly o: VoiceCallAgentOptions;
  private readonly calls = new Map<string, TrackedCall>();
  /** callId -> the local session handling it. */
  private readonly sessionByCall = new Map<string, string>();
  private readonly callBySession = new Map<string, string>();
  private readonly creating = new Set<string>();
  /** Sessions of this node that claimed a call (from call.session-attached), for recovery. */
  private readonly claimedBy = new Map<string, string>();
  private readonly rechecks = new Map<string, NodeJS.Timeout>();
  private readonly unsubscribe: (() => void)[] = [];
  private role: Role;
  /** Promoted, and HA has not finished recovering the node's sessions yet. */
  private awaitingRecovery = false;
  /** When this process last became primary (the end of the failover window for held ends). */
  private promotedAt: number | undefined;
  private recoveryWaitTimer: NodeJS.Timeout | undefined;
  /** Call events that arrived while awaiting the recovery, per call, in order. */
  private readonly deferredEvents = new Map<string, ExternalEventLike[]>();
  private readonly treatmentTimers = new Set<NodeJS.Timeout>();
  /** Fallback completions that fell due while awaiting the recovery: told after it, after the held ends. */
  private readonly dueAfterRecovery: TreatmentRecord[] = [];
  readonly treatments: TreatmentLedger;
  readonly counters: VoiceAgentCounters = { sessionsCreated: 0, sessionsRestarted: 0, claimsRefused: 0, callsSeen: 0 };

  constructor(options: VoiceCallAgentOptions) {
    this.o = options;
    this.role = options.role.current().role;
    this.treatments = new TreatmentLedger(options.treatmentSync);
  }

  start(): void {
    this.unsubscribe.push(
      this.o.connection.onCallEvent((event) => this.onEvent(event)),
      this.o.connection.onWelcome(() => void this.resynchronise().catch((err: unknown) => this.o.log.error({ err }, 'catching up with calls failed'))),
      this.o.role.subscribe((state) => this.onRole(state.role)),
      this.o.sessions.onSessionEnded((sessionId) => this.onSessionEnded(sessionId)),
    );
    if (this.o.sessions.onSessionCreated) this.unsubscribe.push(this.o.sessions.onSessionCreated((sessionId) => this.sessionAppeared(sessionId)));
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    for (const t of this.rechecks.values()) clearTimeout(t);
    this.rechecks.clear();
    this.clearTreatmentTimers();
    if (this.recoveryWaitTimer) clearTimeout(this.recoveryWaitTimer);
  }

  /** The call's events as this process saw them (for `session.restart` replay by HA). */
  callEvents(callId: string): CallEvent[] {
    return [...(this.calls.get(callId)?.events ?? [])];
  }

  sessionForCall(callId: string): string | undefined {
    return this.sessionByCall.get(callId);
  }

  /** HA recovered a persisted session serving this call: route the call's events to it. */
  bindRecoveredSession(callId: string, sessionId: string): void {
    this.bind(callId, sessionId);
  }

  /**
   * A session appeared in this process's host. When it is the one that claimed a call for
   * this node (HA recovered it from the store after a switchover, same id), the call's
   * events go to it from now on, and treatment ends it missed are delivered.
   */
  sessionAppeared(sessionId: string): void {
    const callId = this.claimedBy.get(sessionId);
    if (callId && this.sessionByCall.get(callId) !== sessionId && this.calls.get(callId)?.released === false) this.bind(callId, sessionId);
  }

  /**
   * A session of this node claimed the call. The session may be here already: a backup's
   * shadow of it (HA creates it from the sync, which can reach the backup before the
   * server's call.session-attached does, or long before when the backup was cut off from
   * the server and catches up with calls.list). It is bound now: else, restarted after a
   * switchover, it would act for no call (its treatments and routing refused here).
   */
  private claimed(callId: string, sessionId: string): void {
    this.claimedBy.set(sessionId, callId);
    if (this.sessionByCall.get(callId) !== sessionId && this.o.sessions.isAlive(sessionId)) this.bind(callId, sessionId);
  }

  /** The call a session of this process acts for: the one it is bound to, else the one it claimed. */
  private callOf(sessionId: string): string {
    const bound = this.callBySession.get(sessionId);
    if (bound) return bound;
    const claimed = this.claimedBy.get(sessionId);
    if (claimed && this.calls.get(claimed)?.released === false && this.o.sessions.isAlive(sessionId)) {
      this.bind(claimed, sessionId);
      return claimed;
    }
    throw new Error(`session ${sessionId} handles no call`);
  }

  /**
   * `<dialog:playsound>`: asks the telephony server to play a treatment on the session's
   * call; the end comes back as `dialog.playsound.done` (or `error.dialog.playsound`).
   */
  async applyTreatment(sessionId: string, treatment: Treatment): Promise<string> {
    const callId = this.callOf(sessionId);
    const treatmentId = this.treatments.newId(sessionId);
    this.treatments.started({ treatmentId, sessionId, callId, kind: treatment.kind, startedAt: Date.now(), durationMs: treatment.durationMs });
    try {
      await this.o.connection.request({ type: 'call.treatment.apply', callId, treatmentId, treatment, sessionId });
    } catch (err) {
      this.treatments.ended(treatmentId);
      throw err;
    }
    return treatmentId;
  }

  async cancelTreatment(sessionId: string, treatmentId: string): Promise<void> {
    const callId = this.callOf(sessionId);
    await this.o.connection.request({ type: 'call.treatment.cancel', callId, treatmentId });
  }

  async routeCall(sessionId: string, target: string): Promise<void> {
    const callId = this.callOf(sessionId);
    await this.o.connection.request({ type: 'call.route', callId, target, sessionId });
  }

  async updateAttachedData(sessionId: string, set: Record<string, string | number | boolean | null>, remove: string[] = []): Promise<void> {
    const callId = this.callOf(sessionId);
    await this.o.connection.request({ type: 'call.attached-data.update', callId, set, remove });
  }

  // ---- events -------------------------------------------------------------------------

  private onEvent(event: CallEvent): void {
    const before = this.calls.get(event.callId);
    if (!before) this.counters.callsSeen++;
    const call = applyCallEvent(before ?? newTrackedCall(event.callId), event, Date.now());
    if (call === before) return;
    // Older than an event already heard (a catch-up list that the live stream outran): it
    // counts for the call's state, but a session is not told the past after the present.
    const late = before !== undefined && event.seq < before.events[before.events.length - 1]!.seq;
    this.calls.set(event.callId, call);

    if (event.type === 'call.session-attached' && event.nodeId === this.o.nodeId) this.claimed(event.callId, event.sessionId);
    const sessionId = this.sessionByCall.get(event.callId);
    // Only a primary feeds sessions: a backup's sessions are unstarted shadows that HA
    // replays on switchover. Treatment ends a backup sees are held (when the sync told
    // it about the treatment) until the promotion, in case the old primary died first.
    const live = this.role === 'primary' && !this.awaitingRecovery;
    const mapped = sessionEventFor(event);
    if (event.type === 'call.treatment-ended') {
      // Told once per treatment, whichever source reports its end first (see TreatmentLedger.complete).
      if (sessionId && live) {
        if (mapped && this.treatments.complete(event.treatmentId, sessionId)) this.o.sessions.deliver(sessionId, mapped);
      } else {
        const holder = call.attachment?.nodeId === this.o.nodeId ? call.attachment.sessionId : undefined;
        this.treatments.endedWithoutSession(event.treatmentId, event.reason, event.seq, holder ? { sessionId: holder, callId: call.callId, endedAt: Date.now() } : undefined);
      }
    } else if (mapped && event.type !== 'call.ringing') {
      // A session hears its call's events; a ringing is delivered to an existing session
      // only when the reroute policy keeps it (decided in evaluate).
      // A late event is told to no session: it is in the call's history, which a restart replays.
      if (!late && live && sessionId) this.o.sessions.deliver(sessionId, mapped);
      else if (!late && this.awaitingRecovery && this.role === 'primary' && call.attachment?.nodeId === this.o.nodeId) this.deferEvent(event.callId, mapped);
    }
    if (late && event.type === 'call.session-attached' && !live) this.holdEndsAfterClaim(call, event);

    if (call.released) {
      this.forgetLater(event.callId);
      this.clearRecheck(event.callId);
      return;
    }
    if (event.type === 'call.ringing' || event.type === 'call.session-attached') this.evaluate(event.callId);
    else if (call.offRoutingPoint) this.clearRecheck(event.callId);
  }

  private onRole(role: Role): void {
    if (role === this.role) return;
    const promoted = this.role === 'backup' && role === 'primary';
    this.role = role;
    if (promoted) this.promotedAt = Date.now();
    this.o.connection.setRole(role);
    this.o.log.info({ role }, 'voice agent: role changed');
    if (!promoted && role !== 'primary') {
      this.clearTreatmentTimers();
      this.endRecoveryWait();
    }
    if (promoted && this.o.haManagesRecovery) {
      // HA brings the node's sessions back first; adoptRecoveredSessions binds them.
      this.awaitingRecovery = true;
      this.recoveryWaitTimer = setTimeout(() => {
        this.o.log.warn('voice agent: HA did not report its recovery; feeding sessions again');
        this.adoptRecoveredSessions();
      }, RECOVERY_WAIT_LIMIT_MS);
      this.recoveryWaitTimer.unref();
    } else if (promoted) {
      this.adoptNodeSessions();
      for (const [sessionId, callId] of this.callBySession) this.flushHeldTreatmentEnds(callId, sessionId);
    }
    if (promoted && this.o.restartSessionOnSwitchover) this.restartNodeSessions();
    for (const callId of this.calls.keys()) this.evaluate(callId);
  }

  private onSessionEnded(sessionId: string): void {
    const callId = this.callBySession.get(sessionId);
    if (!callId) return;
    this.callBySession.delete(sessionId);
    if (this.sessionByCall.get(callId) === sessionId) this.sessionByCall.delete(callId);
  }

  /** After a (re)connection: catch up with calls that rang while we were away. */
  private async resynchronise(): Promise<void> {
    try {
      const result = (await this.o.connection.request({ type: 'calls.list' })) as { calls: { callId: string; events: CallEvent[] }[] };
      for (const c of result.calls) for (const e of c.events) this.onEvent(e);
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'voice agent: could not list calls after connecting');
    }
  }

  // ---- decisions ----------------------------------------------------------------------

  private evaluate(callId: string): void {
    const call = this.calls.get(callId);
    if (!call?.ringing || call.offRoutingPoint) return;
    let ranking = placeCall(placementKey(call.ringing, this.o.sameNodeForConsultAndPrimary), this.o.clusterNodeIds).ranking;

    if (isReroute(call) && call.attachment) {
      const localSession = this.sessionByCall.get(callId);
      const reroute = decideReroute({
        newSessionOnReroute: this.o.newSessionOnReroute,
        selfNodeId: this.o.nodeId,
        previousOwnerNodeId: call.attachment.nodeId,
        previousSessionAliveHere: localSession !== undefined && this.o.sessions.isAlive(localSession),
        ranking,
      });
      if (reroute.action === 'keep-existing-session') {
        if (this.role === 'primary') void this.keepSession(call, localSession!).catch((err: unknown) => this.o.log.error({ err }, 'keeping a rerouted call failed'));
        return;
      }
      ranking = reroute.ranking;
    }

    const decision = decideCallWatching({
      now: Date.now(),
      ringingSeenAt: call.ringingSeenAt,
      role: this.role,
      selfNodeId: this.o.nodeId,
      ranking,
      sessionAttached: claimedSinceRinging(call),
      localSessionExists: this.creating.has(callId),
      callEnded: call.offRoutingPoint,
      callWatchingTimeoutMs: this.o.callWatchingTimeoutMs,
    });
    this.clearRecheck(callId);
    if (decision.action === 'create') {
      this.o.log.debug({ callId, reason: decision.reason }, 'creating a session for the call');
      this.createSessionSafely(call, false);
    } else if (decision.action === 'watch' && decision.recheckAt !== undefined) {
      const timer = setTimeout(() => {
        this.rechecks.delete(callId);
        this.evaluate(callId);
      }, Math.max(0, decision.recheckAt - Date.now()));
      this.rechecks.set(callId, timer);
    }
  }

  private async keepSession(call: TrackedCall, sessionId: string): Promise<void> {
    const mapped = call.ringing && sessionEventFor(call.ringing);
    if (mapped) this.o.sessions.deliver(sessionId, mapped);
    try {
      await this.o.connection.request({ type: 'call.session.attach', callId: call.callId, sessionId, nodeId: this.o.nodeId });
    } catch (err) {
      this.o.log.warn({ callId: call.callId, err: (err as Error).message }, 'could not re-claim a rerouted call');
    }
  }

  private strategyFor(routingPoint: string): string | undefined {
    return this.o.connection.welcome?.routingPoints.find((rp) => rp.dn === routingPoint)?.strategy;
  }

  /** Session creation runs detached from the event that triggered it: its failures are logged, never thrown. */
  private createSessionSafely(call: TrackedCall, restart: boolean): void {
    this.createSession(call, restart).catch((err: unknown) => {
      this.creating.delete(call.callId);
      this.o.log.error({ err, callId: call.callId }, 'creating a session for a call failed');
    });
  }

  private async createSession(call: TrackedCall, restart = false): Promise<void> {
    const callId = call.callId;
    const ringing = call.ringing!;
    const strategy = this.strategyFor(ringing.routingPoint);
    if (!strategy) {
      this.o.log.warn({ callId, routingPoint: ringing.routingPoint }, 'no strategy for the routing point; call ignored');
      return;
    }
    this.creating.add(callId);
    let prepared;
    try {
      prepared = await this.o.sessions.prepare(strategy, {
        InteractionId: callId,
        RoutingPoint: ringing.routingPoint,
        ANI: ringing.ani ?? '',
        DNIS: ringing.dnis ?? '',
        CallType: ringing.callType,
        ...ringing.attachedData,
      });
    } catch (err) {
      this.creating.delete(callId);
      this.o.log.error({ callId, err: (err as Error).message }, 'could not create a session for the call');
      return;
    }
    try {
      // The claim goes out before the session starts: whatever the strategy does next
      // (treatments, routing) reaches the server after it, on the same connection.
      await this.o.connection.request({ type: 'call.session.attach', callId, sessionId: prepared.sessionId, nodeId: this.o.nodeId });
    } catch (err) {
      prepared.discard();
      this.creating.delete(callId);
      if (err instanceof TelephonyRequestError && err.code === 'session-already-attached') {
        this.counters.claimsRefused++;
        this.o.log.info({ callId }, 'another session claimed the call first; ours is dropped');
      } else {
        this.o.log.warn({ callId, err: (err as Error).message }, 'could not claim the call; will re-evaluate');
        setTimeout(() => this.evaluate(callId), 200).unref();
      }
      return;
    }
    this.creating.delete(callId);
    this.bind(callId, prepared.sessionId);
    prepared.start();
    if (restart) {
      this.counters.sessionsRestarted++;
      this.o.sessions.deliver(prepared.sessionId, { name: 'session.restart', data: { interactionid: callId } });
      for (const e of call.events) {
        const mapped = sessionEventFor(e);
        if (mapped) this.o.sessions.deliver(prepared.sessionId, mapped);
      }
    } else {
      this.counters.sessionsCreated++;
    }
  }

  /**
   * On promotion: calls our node's old primary held whose session now lives here
   * (recovered from persistence with the same id) are bound to it again.
   */
  /** HA finished recovering sessions after a promotion: bind those that serve our calls. */
  adoptRecoveredSessions(): void {
    this.endRecoveryWait();
    this.adoptNodeSessions();
    if (this.role !== 'primary') {
      this.deferredEvents.clear();
      return;
    }
    // Counted for the log: a call left waiting after a failover is found by what its session was told.
    const ends = { told: 0, dropped: 0, refused: 0 };
    for (const [sessionId, callId] of this.callBySession) {
      const flushed = this.flushHeldTreatmentEnds(callId, sessionId);
      ends.told += flushed.told;
      ends.dropped += flushed.dropped;
      ends.refused += flushed.refused;
    }
    this.o.log.info({ boundCalls: this.callBySession.size, heldEnds: ends }, 'voice agent: recovered sessions bound to their calls');
    for (const record of this.dueAfterRecovery.splice(0)) this.completeByTimer(record);
    const deferred = [...this.deferredEvents];
    this.deferredEvents.clear();
    for (const [callId, events] of deferred) {
      const sessionId = this.sessionByCall.get(callId);
      if (sessionId) for (const e of events) this.o.sessions.deliver(sessionId, e);
    }
  }

  /**
   * After a promotion: treatments the old primary started (as the sync told) end by
   * themselves if the server's end never comes, `treatmentEndGraceMs` after their
   * expected end. Whichever is first is told; the other is dropped (ledger.complete).
   */
  completeSyncedTreatments(records: readonly TreatmentRecord[]): void {
    if (this.role !== 'primary') return;
    const grace = this.o.treatmentEndGraceMs ?? 2000;
    for (const record of records) {
      if (this.treatments.isCompleted(record.treatmentId)) continue;
      const timer = setTimeout(() => {
        this.treatmentTimers.delete(timer);
        if (this.awaitingRecovery) this.dueAfterRecovery.push(record);
        else this.completeByTimer(record);
      }, Math.max(0, record.startedAt + record.durationMs + grace - Date.now()));
      timer.unref();
      this.treatmentTimers.add(timer);
    }
  }

  private completeByTimer(record: TreatmentRecord): void {
    if (this.role !== 'primary') return;
    const sessionId = this.sessionByCall.get(record.callId) ?? record.sessionId;
    if (!this.treatments.complete(record.treatmentId, sessionId)) return;
    this.o.log.info({ callId: record.callId, treatmentId: record.treatmentId }, 'no end from the server for a treatment started before the failover; completing it');
    this.o.sessions.deliver(sessionId, { name: `dialog.${record.kind}.done`, data: { callid: record.callId, treatmentid: record.treatmentId } });
  }

  private clearTreatmentTimers(): void {
    for (const t of this.treatmentTimers) clearTimeout(t);
    this.treatmentTimers.clear();
    this.dueAfterRecovery.length = 0;
  }

  private endRecoveryWait(): void {
    this.awaitingRecovery = false;
    if (this.recoveryWaitTimer) clearTimeout(this.recoveryWaitTimer);
    this.recoveryWaitTimer = undefined;
  }

  /**
   * A claim by a session of this node came late (in the catch-up list, after the live
   * stream had brought the call's treatment ends): those ends, up to the next claim, were
   * heard with no session to hold them for, so they are held now for the claiming one.
   */
  private holdEndsAfterClaim(call: TrackedCall, claim: CallEvent & { type: 'call.session-attached' }): void {
    if (claim.nodeId !== this.o.nodeId) return;
    for (const e of call.events) {
      if (e.seq <= claim.seq) continue;
      if (e.type === 'call.session-attached') break;
      if (e.type === 'call.treatment-ended') {
        this.treatments.endedWithoutSession(e.treatmentId, e.reason, e.seq, { sessionId: claim.sessionId, callId: call.callId, endedAt: Date.now() });
      }
    }
  }

  private deferEvent(callId: string, event: ExternalEventLike): void {
    const list = this.deferredEvents.get(callId) ?? [];
    list.push(event);
    this.deferredEvents.set(callId, list);
  }

  /**
   * HA finished its recovery with `restart-session-on-switchover` on, and some calls our
   * node holds still have no session here (the old primary never got to sync them, or
   * their restart failed): each gets a restarted session now, as without HA. A call must
   * not sit unrouted just because the replica missed its session.
   */
  restartOrphanedCalls(): void {
    if (this.role === 'primary') this.restartNodeSessions();
  }

  private adoptNodeSessions(): void {
    for (const call of this.calls.values()) {
      const held = call.attachment;
      if (call.released || !held || held.nodeId !== this.o.nodeId || this.sessionByCall.has(call.callId)) continue;
      if (this.o.sessions.isAlive(held.sessionId)) this.bind(call.callId, held.sessionId);
    }
  }

  /**
   * On promotion: the calls our node's old primary held get a restarted session each,
   * throttled to `restartBatchSize` sessions every `restartIntervalMs` (ORS's
   * session-processing-threads / session-restart-timeout).
   */
  private restartNodeSessions(): void {
    const due = [...this.calls.values()].filter(
      (call) =>
        !call.offRoutingPoint &&
        call.attachment?.nodeId === this.o.nodeId &&
        !this.sessionByCall.has(call.callId) &&
        !this.creating.has(call.callId),
    );
    const batch = Math.max(1, this.o.restartBatchSize ?? 8);
    const interval = this.o.restartIntervalMs ?? 50;
    due.forEach((call, i) => {
      const restart = () => {
        const current = this.calls.get(call.callId);
        if (!current || current.offRoutingPoint || this.role !== 'primary' || this.sessionByCall.has(call.callId)) return;
        this.o.log.info({ callId: call.callId }, 'restarting the session of a call after switchover');
        this.createSessionSafely(current, true);
      };
      const wave = Math.floor(i / batch);
      if (wave === 0) restart();
      else setTimeout(restart, wave * interval).unref();
    });
  }

  private bind(callId: string, sessionId: string): void {
    const previous = this.sessionByCall.get(callId);
    if (previous) this.callBySession.delete(previous);
    this.sessionByCall.set(callId, sessionId);
    this.callBySession.set(sessionId, callId);
    if (this.role === 'primary' && !this.awaitingRecovery) this.flushHeldTreatmentEnds(callId, sessionId);
  }

  /** Treatments that ended while the session was not being fed here (failover) are told now. */
  private flushHeldTreatmentEnds(callId: string, sessionId: string): { told: number; dropped: number; refused: number } {
    const now = Date.now();
    let dropped = 0;
    const due = this.treatments.takeUndelivered(sessionId, now, this.o.unsyncedTreatmentEndWindowMs ?? 20_000, this.promotedAt ?? now, () => dropped++);
    let refused = 0;
    for (const t of due) {
      const mapped = sessionEventFor({ type: 'call.treatment-ended', callId, seq: t.endSeq, at: Date.now(), treatmentId: t.treatmentId, reason: t.reason });
      if (mapped && !this.o.sessions.deliver(sessionId, mapped)) {
        refused++;
        this.o.log.warn({ callId, sessionId, treatmentId: t.treatmentId }, 'voice agent: a held treatment end could not be told to its session');
      }
    }
    if (dropped > 0) this.o.log.info({ callId, sessionId, dropped }, 'voice agent: held treatment ends dropped (older than the failover window, or told already)');
    return { told: due.length - refused, dropped, refused };
  }

  private clearRecheck(callId: string): void {
    const t = this.rechecks.get(callId);
    if (t) clearTimeout(t);
    this.rechecks.delete(callId);
  }

  private forgetLater(callId: string): void {
    setTimeout(() => {
      const call = this.calls.get(callId);
      if (!call?.released) return;
      this.calls.delete(callId);
      for (const e of call.events) if (e.type === 'call.session-attached') this.claimedBy.delete(e.sessionId);
    }, FORGET_RELEASED_AFTER_MS).unref();
  }
}

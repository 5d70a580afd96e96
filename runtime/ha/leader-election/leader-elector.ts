// The leader-election loop (client-go's LeaderElector) over any LeaseLock. Candidates
// retry every retry period (with jitter); the leader renews every retry period and steps
// down — synchronously, by its own clock — once its renew deadline passes without a
// successful renewal, which is before the lease can expire for anyone else. `isLeader()`
// re-checks that deadline on every call, so a process frozen (SIGSTOP, GC pause, VM
// stall) past its lease learns it is no longer leader the moment it runs again, before
// it serves or writes anything. On clean shutdown the leader releases the lease so a
// candidate takes over at its next retry instead of waiting for expiry.
import {
  candidateDelay,
  decideAttempt,
  decideTakeover,
  failsafeValidUntil,
  leadershipValidUntil,
  observe,
  releasedRecord,
  validateTimings,
  type ElectionTimings,
  type Observation,
} from './election-decision.ts';
import { LeaseConflictError, type LeaseLock } from './lease-lock.ts';
import { PRIMARY_LOAD_ANNOTATION, type LeaseRecord, type VersionedLeaseRecord } from './lease-record.ts';

export interface LeadershipState {
  leading: boolean;
  /** leaseTransitions when this elector last became leader; 0 if never. */
  epoch: number;
  /** The lease as last observed (holder, annotations), if it exists. */
  observed?: LeaseRecord;
  /** Whether the observed holder's lease is still valid by our clock. */
  observedHolderValid: boolean;
  /**
   * Leading on the strength of the backup's confirmations, not of a renewal: the lease
   * could not be renewed within the renew deadline (failsafe, runtime/ha/FAILOVER.md).
   */
  failsafe: boolean;
}

export interface ElectionLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface LeaderElectorOptions {
  lock: LeaseLock;
  identity: string;
  timings: ElectionTimings;
  /** Published on the lease while leading (e.g. where to reach this process). */
  annotations?: Record<string, string>;
  now?: () => number;
  random?: () => number;
  log?: ElectionLogger;
}

const silent: ElectionLogger = { info() {}, warn() {} };

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class LeaderElector {
  readonly identity: string;
  private readonly lock: LeaseLock;
  private readonly timings: ElectionTimings;
  private annotations: Record<string, string>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: ElectionLogger;
  private readonly listeners = new Set<(state: LeadershipState) => void>();

  private leading = false;
  private epoch = 0;
  private validUntil = 0;
  private observation: Observation | undefined;
  private running = false;
  private loopTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private holdOffUntil = 0;
  private lastEmitted = '';
  /** An acquiring (not renewing) write is in flight: no promise not to acquire can be given now. */
  private acquiring = false;
  /** Start of the last attempt whose write succeeded (renewal or acquisition). */
  private renewedAt = 0;
  /** A crash takeover is under way: the loop stays out of its way. */
  private takingOver = false;
  /** Until when this candidate vouches for `vouchedFor` (failsafe): it does not take the lease from it, renewed or not. */
  private vouchedUntil = 0;
  private vouchedFor = '';

  constructor(options: LeaderElectorOptions) {
    const problems = validateTimings(options.timings);
    if (problems.length > 0) throw new Error(`leader election timings: ${problems.join('; ')}`);
    this.lock = options.lock;
    this.identity = options.identity;
    this.timings = options.timings;
    this.annotations = options.annotations ?? {};
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.log = options.log ?? silent;
  }

  /** Replaces what is published on the lease while leading (written at the next renewal). */
  setAnnotations(annotations: Record<string, string>): void {
    this.annotations = { ...annotations };
  }

  /** True only while leading and within the renew deadline; steps down (and notifies) if the deadline has passed. */
  isLeader(): boolean {
    this.enforceDeadline();
    return this.leading;
  }

  state(): LeadershipState {
    this.enforceDeadline();
    const observed = this.observation?.current.record;
    const holderValid = this.observation !== undefined && observed !== undefined && observed.holderIdentity !== ''
      && (this.now() < this.observation.observedAt + observed.leaseDurationSeconds * 1000 || this.vouchesFor(observed.holderIdentity));
    const failsafe = this.leading && this.validUntil > leadershipValidUntil(this.renewedAt, this.timings);
    return { leading: this.leading, epoch: this.epoch, observed, observedHolderValid: holderValid, failsafe };
  }

  /**
   * When the last successful renewal started, if the leader is halfway to its renew
   * deadline without another (time to ask the backup, failsafe); undefined otherwise. Not
   * sooner: a renewal that is merely slow must not tie the backup to a promise.
   */
  renewalOverdueSince(): number | undefined {
    if (!this.isLeader()) return undefined;
    return this.now() - this.renewedAt > this.timings.renewDeadlineMs / 2 ? this.renewedAt : undefined;
  }

  private vouchesFor(holder: string): boolean {
    return holder !== '' && holder === this.vouchedFor && this.now() < this.vouchedUntil;
  }

  /**
   * Failsafe, on the leader: its backup confirmed a probe sent at `probeSentAt` (it sees
   * this leader and will not acquire for a lease duration): leadership holds until
   * `probeSentAt + renewDeadline`. A leader past its deadline stays deposed. True if leading.
   */
  extendByConfirmation(probeSentAt: number): boolean {
    if (!this.isLeader()) return false;
    const until = failsafeValidUntil(this.validUntil, probeSentAt, this.timings);
    if (until > this.validUntil) {
      this.validUntil = until;
      clearTimeout(this.deadlineTimer);
      this.deadlineTimer = setTimeout(() => this.enforceDeadline(), Math.max(0, this.validUntil - this.now()));
    }
    this.emit();
    return true;
  }

  /**
   * Failsafe, on a candidate: promises not to take the lease from `holder` for
   * `durationMs` (the backup's side of a confirmation). Refused (false) while leading or
   * while an acquiring write is already in flight, since that write may land after the
   * promise. A lease `holder` released itself (a step-down) is free to take at once.
   */
  promiseNotToAcquire(holder: string, durationMs: number): boolean {
    if (this.leading || this.acquiring || holder === '') return false;
    if (holder !== this.vouchedFor) this.vouchedUntil = 0;
    this.vouchedFor = holder;
    // Meanwhile the holder it vouches for stays its primary (it keeps following it for sync
    // and redirects to it), though the lease is not renewed.
    this.vouchedUntil = Math.max(this.vouchedUntil, this.now() + durationMs);
    this.emit();
    return true;
  }

  /**
   * Crash failover: takes the lease from `crashed` at once, without waiting for it to
   * expire, when the caller has proof that process cannot serve (runtime/ha/FAILOVER.md).
   * A compare-and-swap with a new epoch on a lease that still names `crashed`; false when
   * the lease names someone else or changed in between (then expiry decides, as always).
   */
  async takeOver(crashed: string, evidence: string): Promise<boolean> {
    if (!this.running || this.leading || this.takingOver) return false;
    // The loop must not run an attempt meanwhile: one that read the lease before this write
    // would find it "held by" the crashed primary and step the new leader down.
    this.takingOver = true;
    clearTimeout(this.loopTimer);
    await this.inFlight;
    clearTimeout(this.loopTimer);
    if (!this.running || this.leading) {
      this.takingOver = false;
      return this.leading;
    }
    const started = this.now();
    const attempt = (async () => {
      try {
        const current = await withTimeout(this.lock.get(), this.timings.renewDeadlineMs, 'reading the lease');
        this.observation = observe(this.observation, current, this.now());
        const decision = decideTakeover({ identity: this.identity, crashed, now: this.now(), timings: this.timings, annotations: this.annotations, current });
        if (decision.kind === 'refuse') {
          this.log.info({ lease: this.lock.describe(), crashed, reason: decision.reason }, 'not taking over from the crashed primary');
          return false;
        }
        this.acquiring = true;
        const written = await withTimeout(this.lock.update(decision.record, decision.version), this.timings.renewDeadlineMs, 'taking over the lease');
        this.observation = { current: written, observedAt: this.now() };
        if (!this.running) return false;
        this.leading = true;
        this.epoch = written.record.leaseTransitions;
        this.renewedAt = started;
        this.armDeadline(started);
        this.log.warn({ lease: this.lock.describe(), identity: this.identity, epoch: this.epoch, crashed, evidence }, 'took the lease over from a crashed primary');
        return true;
      } catch (error) {
        this.log.info({ lease: this.lock.describe(), crashed, err: String(error) }, 'crash takeover failed; the lease will expire');
        return false;
      } finally {
        this.acquiring = false;
        this.emit();
      }
    })();
    this.inFlight = attempt.then(() => undefined);
    try {
      return await attempt;
    } finally {
      this.inFlight = undefined;
      this.takingOver = false;
      this.schedule(this.leading ? Math.max(0, started + this.timings.retryPeriodMs - this.now()) : candidateDelay(this.timings, this.random()));
    }
  }

  onChange(listener: (state: LeadershipState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops the loop; a leader releases the lease so the next candidate need not wait for it to expire. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.loopTimer);
    await this.inFlight;
    await this.release('shutdown');
  }

  /**
   * Voluntary hand-over (e.g. the operator asked): release, and do not try again for
   * `holdOffMs`. If the release fails the lease still names this process, which could
   * re-take its own record at once when the hold-off ends, before the lease expires for
   * the successor: then the hold-off lasts until the successor has surely had its chance.
   */
  async stepDown(holdOffMs: number, reason: string): Promise<void> {
    this.holdOffUntil = this.now() + holdOffMs;
    await this.inFlight;
    if (!(await this.release(reason))) {
      const { leaseDurationMs, retryPeriodMs } = this.timings;
      this.holdOffUntil = Math.max(this.holdOffUntil, this.now() + leaseDurationMs + 2 * retryPeriodMs);
    }
  }

  /**
   * Gives the lease up (empty holder) so the next candidate need not wait for it to expire.
   * Other writers touch the lease too (annotations from the backup and the operator), so a
   * write conflict is retried on a fresh read. False when the lease could not be released.
   */
  private async release(reason: string): Promise<boolean> {
    const wasLeading = this.leading;
    this.loseLeadership(reason);
    if (!wasLeading) return true;
    let released = false;
    const deadline = this.now() + this.timings.renewDeadlineMs;
    for (let attempt = 1; !released; attempt++) {
      try {
        const current = await withTimeout(this.lock.get(), this.timings.renewDeadlineMs, 'reading the lease');
        if (!current || current.record.holderIdentity !== this.identity) {
          released = true; // somebody else holds it already
          break;
        }
        const written = await withTimeout(
          this.lock.update(releasedRecord(current.record, this.now(), Object.keys(this.annotations)), current.version),
          this.timings.renewDeadlineMs,
          'releasing the lease',
        );
        this.observation = { current: written, observedAt: this.now() };
        this.log.info({ lease: this.lock.describe(), reason }, 'released the lease');
        released = true;
      } catch (error) {
        if (error instanceof LeaseConflictError && attempt < 5 && this.now() < deadline) continue;
        this.log.warn({ lease: this.lock.describe(), err: String(error) }, 'could not release the lease; it will expire');
        break;
      }
    }
    this.emit();
    return released;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    clearTimeout(this.loopTimer);
    this.loopTimer = setTimeout(() => {
      const started = this.now();
      this.inFlight = this.attempt().finally(() => {
        this.inFlight = undefined;
        // A leader renews every retry period counted from the *start* of its last attempt:
        // its deadline runs from that start, so waiting a full period after a slow write
        // (fsync under disk load) would spend the renew deadline on sleeping.
        this.schedule(this.leading ? Math.max(0, started + this.timings.retryPeriodMs - this.now()) : candidateDelay(this.timings, this.random()));
      });
    }, delayMs);
  }

  private async attempt(): Promise<void> {
    if (this.takingOver) return;
    const started = this.now();
    try {
      const current = await withTimeout(this.lock.get(), this.timings.renewDeadlineMs, 'reading the lease');
      this.observation = observe(this.observation, current, this.now());
      const leading = this.isLeader();
      if (!leading && this.now() < this.holdOffUntil) return;
      // Failsafe: a promise holds against the holder it was given to (a promise to a process
      // an older read showed is checked against this read: if the lease names someone else, a
      // new tenure began and no promise stands in its way; if nobody, the holder released it).
      if (!leading && this.observation && this.vouchesFor(this.observation.current.record.holderIdentity)) return;
      const decision = decideAttempt({
        identity: this.identity,
        now: this.now(),
        leading,
        heldBefore: this.epoch > 0,
        timings: this.timings,
        annotations: this.annotations,
        observation: this.observation,
      });
      if (decision.kind === 'held-by-other') {
        if (leading) this.loseLeadership(`lease is held by ${decision.holder}`);
        return;
      }
      let written: VersionedLeaseRecord;
      this.acquiring = decision.kind !== 'renew';
      if (decision.kind === 'create') {
        written = await withTimeout(this.lock.create(decision.record), this.timings.renewDeadlineMs, 'creating the lease');
      } else {
        written = await withTimeout(this.lock.update(decision.record, decision.version), this.timings.renewDeadlineMs, 'writing the lease');
      }
      this.observation = { current: written, observedAt: this.now() };
      if (!this.running) {
        // Stopped while the write was in flight: stop() will release what we just wrote.
        if (decision.kind !== 'renew') this.leading = true;
        this.epoch = written.record.leaseTransitions;
        return;
      }
      if (decision.kind === 'renew' ? this.isLeader() : true) this.renewedAt = started;
      if (decision.kind === 'renew') {
        // If the deadline passed while the write was in flight we already stepped down;
        // a late renewal does not resurrect that tenure (the next attempt starts a new one).
        if (this.isLeader()) this.armDeadline(started);
      } else {
        this.leading = true;
        this.epoch = written.record.leaseTransitions;
        this.armDeadline(started);
        this.log.info({ lease: this.lock.describe(), identity: this.identity, epoch: this.epoch }, 'became leader');
      }
    } catch (error) {
      if (error instanceof LeaseConflictError) {
        this.log.info({ lease: this.lock.describe(), detail: error.message }, 'lost a lease write race');
      } else {
        this.log.warn({ lease: this.lock.describe(), err: String(error) }, 'lease attempt failed');
      }
      this.enforceDeadline();
    } finally {
      this.acquiring = false;
      this.emit();
    }
  }

  private armDeadline(renewAttemptStart: number): void {
    this.validUntil = leadershipValidUntil(renewAttemptStart, this.timings);
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => this.enforceDeadline(), Math.max(0, this.validUntil - this.now()));
  }

  private enforceDeadline(): void {
    if (this.leading && this.now() >= this.validUntil) {
      this.loseLeadership('could not renew the lease within the renew deadline');
    }
  }

  private loseLeadership(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    clearTimeout(this.deadlineTimer);
    this.log.warn({ lease: this.lock.describe(), identity: this.identity, epoch: this.epoch, reason }, 'stepped down');
    this.emit();
  }

  private emit(): void {
    const state = this.state();
    // The primary's load report changes with nearly every renewal: listeners (role changes,
    // the pod contract) have nothing to do about it, and state() reads it when asked.
    const annotations = state.observed && Object.fromEntries(Object.entries(state.observed.annotations).filter(([k]) => k !== PRIMARY_LOAD_ANNOTATION));
    const key = JSON.stringify([state.leading, state.epoch, state.observed?.holderIdentity, annotations, state.observedHolderValid, state.failsafe]);
    if (key === this.lastEmitted) return;
    this.lastEmitted = key;
    for (const listener of this.listeners) listener(state);
  }
}

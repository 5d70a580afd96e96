// The decisions of client-go's leader election (tryAcquireOrRenew, release, the renew
// deadline) as pure functions of (what we observed, now, who we are), so every branch is
// unit-tested without a clock or a server. The I/O loop lives in leader-elector.ts.
//
// Two deliberate differences from client-go, both for fencing:
// - a created lease starts at leaseTransitions = 1, so epoch 0 always means "never primary";
// - re-acquiring a lease that still names us, when we are not currently leading (we
//   stepped down), counts as a transition: every tenure gets its own epoch;
// - a lease that still names us but was written by an earlier run of this identity (a
//   restarted process) is waited out like anyone else's (see AttemptInput.heldBefore).
import type { LeaseRecord, VersionedLeaseRecord } from './lease-record.ts';

export interface ElectionTimings {
  /** How long a lease is valid for others after its last renewal (client-go LeaseDuration). */
  leaseDurationMs: number;
  /** A leader that has not renewed for this long steps down (client-go RenewDeadline). */
  renewDeadlineMs: number;
  /** How often candidates retry and leaders renew (client-go RetryPeriod). */
  retryPeriodMs: number;
}

export const DEFAULT_ELECTION_TIMINGS: ElectionTimings = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** Rejects timings under which a leader could still act after its lease expired for others. */
export function validateTimings(t: ElectionTimings): string[] {
  const problems: string[] = [];
  if (!(t.retryPeriodMs > 0)) problems.push('retry period must be > 0');
  if (!(t.renewDeadlineMs > t.retryPeriodMs)) problems.push('renew deadline must be longer than the retry period');
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) problems.push('lease duration must be longer than the renew deadline');
  return problems;
}

/** What we last read from the lease and when (by our own clock) it last changed. */
export interface Observation {
  current: VersionedLeaseRecord;
  /** Local time at which we first saw this version; expiry is judged from it, not from renewTime, so clock skew between holders does not matter. */
  observedAt: number;
}

export interface AttemptInput {
  identity: string;
  now: number;
  /** Whether we currently consider ourselves the leader (and have not passed our renew deadline). */
  leading: boolean;
  /**
   * Whether this elector (this run of the process) has led before. A valid lease that
   * names our identity but that we never held was written by an earlier run of the same
   * identity (a restarted process keeps its name, as a pod does): that run is dead and
   * we have none of its sessions, so we wait for the lease to expire like any candidate,
   * and the backup, which has their replica, gets the node. Default false.
   */
  heldBefore?: boolean;
  timings: ElectionTimings;
  /** Annotations to publish while holding the lease (merged over the existing ones). */
  annotations: Record<string, string>;
  observation?: Observation;
}

export type AttemptDecision =
  | { kind: 'create'; record: LeaseRecord }
  | { kind: 'renew'; record: LeaseRecord; version: string }
  | { kind: 'acquire'; record: LeaseRecord; version: string }
  | { kind: 'held-by-other'; holder: string; expiresAt: number };

export function leaseDurationSeconds(timings: ElectionTimings): number {
  return timings.leaseDurationMs / 1000;
}

/** Whether the observed lease is held by someone and, by our clock, not yet expired. */
export function isHeldBy(observation: Observation, now: number): { holder: string; expiresAt: number } | undefined {
  const { record } = observation.current;
  if (record.holderIdentity === '') return undefined;
  const expiresAt = observation.observedAt + record.leaseDurationSeconds * 1000;
  return now < expiresAt ? { holder: record.holderIdentity, expiresAt } : undefined;
}

export function decideAttempt(input: AttemptInput): AttemptDecision {
  const { identity, now, leading, timings, annotations, observation } = input;
  const duration = leaseDurationSeconds(timings);
  if (!observation) {
    return {
      kind: 'create',
      record: { holderIdentity: identity, acquireTime: now, renewTime: now, leaseDurationSeconds: duration, leaseTransitions: 1, annotations },
    };
  }
  const { record, version } = observation.current;
  const held = isHeldBy(observation, now);
  if (held && (held.holder !== identity || (!leading && input.heldBefore !== true))) return { kind: 'held-by-other', ...held };
  const mergedAnnotations = { ...record.annotations, ...annotations };
  if (record.holderIdentity === identity && leading) {
    return { kind: 'renew', version, record: { ...record, renewTime: now, leaseDurationSeconds: duration, annotations: mergedAnnotations } };
  }
  return { kind: 'acquire', version, record: acquiredRecord(record, identity, now, timings, annotations) };
}

/** A new tenure for `identity` over `record`: a new epoch (transition count), the holder's annotations merged over the existing ones. */
function acquiredRecord(record: LeaseRecord, identity: string, now: number, timings: ElectionTimings, annotations: Record<string, string>): LeaseRecord {
  return {
    holderIdentity: identity,
    acquireTime: now,
    renewTime: now,
    leaseDurationSeconds: leaseDurationSeconds(timings),
    leaseTransitions: record.leaseTransitions + 1,
    annotations: { ...record.annotations, ...annotations },
  };
}

/** The record a leader writes on clean shutdown: nobody holds it, so a candidate takes it at its next retry. */
export function releasedRecord(record: LeaseRecord, now: number, holderAnnotationKeys: readonly string[]): LeaseRecord {
  const annotations = { ...record.annotations };
  for (const key of holderAnnotationKeys) delete annotations[key];
  return { ...record, holderIdentity: '', renewTime: now, acquireTime: now, leaseDurationSeconds: 1, annotations };
}

/**
 * The last moment a leader may act on its leadership: its last successful renewal
 * *attempt start* plus the renew deadline. Because renewDeadline < leaseDuration and
 * others time the lease from when they saw that renewal (later than the attempt start),
 * this moment always comes before anyone else can acquire.
 */
export function leadershipValidUntil(lastRenewAttemptStart: number, timings: ElectionTimings): number {
  return lastRenewAttemptStart + timings.renewDeadlineMs;
}

/**
 * The new observation after reading `current` at `now`: observedAt moves only when the
 * holder's record changes (holder, times, transitions), as client-go compares its
 * LeaderElectionRecord. An annotation-only write (a backup reporting its sync state, the
 * operator's step-down or drain) is not a renewal: were it one, a backup reporting
 * "not synced" when its primary dies would push that dead primary's expiry out by a
 * whole lease duration.
 */
export function observe(previous: Observation | undefined, current: VersionedLeaseRecord | undefined, now: number): Observation | undefined {
  if (!current) return undefined;
  if (previous && (previous.current.version === current.version || sameTenure(previous.current.record, current.record))) {
    return { current, observedAt: previous.observedAt };
  }
  return { current, observedAt: now };
}

function sameTenure(a: LeaseRecord, b: LeaseRecord): boolean {
  return a.holderIdentity === b.holderIdentity && a.renewTime === b.renewTime && a.acquireTime === b.acquireTime
    && a.leaseTransitions === b.leaseTransitions && a.leaseDurationSeconds === b.leaseDurationSeconds;
}

/** client-go's wait.JitterUntil: a candidate waits retryPeriod * [1, 1 + jitter) so candidates spread out. */
export function candidateDelay(timings: ElectionTimings, random: number, jitterFactor = 0.2): number {
  return timings.retryPeriodMs * (1 + jitterFactor * random);
}

export type TakeoverDecision =
  | { kind: 'acquire'; record: LeaseRecord; version: string }
  | { kind: 'refuse'; reason: string };

/**
 * Crash failover (runtime/ha/FAILOVER.md): the lease is taken from `crashed` before it
 * expires, because the caller has proof that process cannot serve any more. Only a lease
 * that still names `crashed` is taken (anything else means someone acted in between), and
 * the write is an ordinary compare-and-swap on the version just read, with a new epoch,
 * so a renewal by a primary that was not dead after all makes the takeover fail.
 */
export function decideTakeover(input: {
  identity: string;
  crashed: string;
  now: number;
  timings: ElectionTimings;
  annotations: Record<string, string>;
  current: VersionedLeaseRecord | undefined;
}): TakeoverDecision {
  const { identity, crashed, now, timings, annotations, current } = input;
  if (!current) return { kind: 'refuse', reason: 'the lease does not exist' };
  if (crashed === identity) return { kind: 'refuse', reason: 'a process does not take over from itself' };
  const { record, version } = current;
  if (record.holderIdentity !== crashed) {
    return { kind: 'refuse', reason: `the lease names ${record.holderIdentity || 'nobody'}, not ${crashed}` };
  }
  return { kind: 'acquire', version, record: acquiredRecord(record, identity, now, timings, annotations) };
}

/**
 * Failsafe (runtime/ha/FAILOVER.md): a leader that cannot renew may act until
 * `probeSentAt + renewDeadline` when its backup confirmed a probe sent at `probeSentAt`:
 * the backup promised not to acquire for a lease duration after it received the probe,
 * which is later than `probeSentAt`, and renewDeadline < leaseDuration. Never earlier
 * than what the leader already has.
 */
export function failsafeValidUntil(currentValidUntil: number, probeSentAt: number, timings: ElectionTimings): number {
  return Math.max(currentValidUntil, probeSentAt + timings.renewDeadlineMs);
}

// The decisions of client-go's leader election (tryAcquireOrRenew, release, the renew
// deadline) as pure functions of (what we observed, now, who we are), so every branch is
// unit-tested without a clock or a server. The I/O loop lives in leader-elector.ts.
//
// Two deliberate differences from client-go, both for fencing:
// - a created lease starts at leaseTransitions = 1, so epoch 0 always means "never primary";
// - re-acquiring a lease that still names us, when we are not currently leading (we
//   stepped down, or restarted), counts as a transition: every tenure gets its own epoch.
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
  if (held && held.holder !== identity) return { kind: 'held-by-other', ...held };
  const mergedAnnotations = { ...record.annotations, ...annotations };
  if (record.holderIdentity === identity && leading) {
    return { kind: 'renew', version, record: { ...record, renewTime: now, leaseDurationSeconds: duration, annotations: mergedAnnotations } };
  }
  return {
    kind: 'acquire',
    version,
    record: {
      holderIdentity: identity,
      acquireTime: now,
      renewTime: now,
      leaseDurationSeconds: duration,
      leaseTransitions: record.leaseTransitions + 1,
      annotations: mergedAnnotations,
    },
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

/** The new observation after reading `current` at `now`: observedAt moves only when the version changes. */
export function observe(previous: Observation | undefined, current: VersionedLeaseRecord | undefined, now: number): Observation | undefined {
  if (!current) return undefined;
  if (previous && previous.current.version === current.version) return { current, observedAt: previous.observedAt };
  return { current, observedAt: now };
}

/** client-go's wait.JitterUntil: a candidate waits retryPeriod * [1, 1 + jitter) so candidates spread out. */
export function candidateDelay(timings: ElectionTimings, random: number, jitterFactor = 0.2): number {
  return timings.retryPeriodMs * (1 + jitterFactor * random);
}

// What a lease holds, the same fields as coordination.k8s.io/v1 Lease.spec plus the
// annotations that tell a backup where its primary is. Times are ms since the epoch;
// `leaseDurationSeconds` may be fractional in the file backend (Kubernetes rounds it up).
import { z } from 'zod';

export const LeaseRecordSchema = z.object({
  /** Empty when nobody holds the lease (never acquired, or released). */
  holderIdentity: z.string(),
  acquireTime: z.number().nonnegative(),
  renewTime: z.number().nonnegative(),
  leaseDurationSeconds: z.number().positive(),
  /** Incremented each time the lease changes hands (the epoch of the holder's tenure). */
  leaseTransitions: z.number().int().nonnegative(),
  /** Free-form facts about the holder (its URLs) and requests to it (step down). */
  annotations: z.record(z.string(), z.string()),
});
export type LeaseRecord = z.infer<typeof LeaseRecordSchema>;

/** A record as read from a backend, with the backend's opaque version for compare-and-swap. */
export interface VersionedLeaseRecord {
  record: LeaseRecord;
  /** Kubernetes resourceVersion, or the file lease's generation number. */
  version: string;
}

/** Annotation keys the runtime writes on its node's lease when it becomes primary. */
export const HOLDER_HTTP_URL_ANNOTATION = 'ors.dev/http-url';
export const HOLDER_SYNC_ADDRESS_ANNOTATION = 'ors.dev/sync-address';

/**
 * The operator <-> pod contract on the Lease (operator/api/pod-contract.md; the same
 * names as operator/api/pod-contract.ts): the backup's sync state, the operator's
 * step-down request, and draining.
 */
export const SYNC_STATE_ANNOTATION = 'ors.dev/sync-state';
export const STEP_DOWN_ANNOTATION = 'ors.dev/step-down';
export const DRAIN_ANNOTATION = 'ors.dev/drain';
export const ACTIVE_SESSIONS_ANNOTATION = 'ors.dev/active-sessions';
/** The primary's live sessions and sync lag (JSON: primary, sessions, syncLagMs, at), refreshed with every renewal. */
export const PRIMARY_LOAD_ANNOTATION = 'ors.dev/primary-load';
/** Failsafe state of the node for the operator (JSON: primary, active, since/until or at, confirmedBy). */
export const FAILSAFE_ANNOTATION = 'ors.dev/failsafe';

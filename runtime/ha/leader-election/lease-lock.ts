// The storage a leader elector competes over: read, create, and replace-if-unchanged.
// Backends: a Kubernetes Lease (resourceVersion) and a directory on a local disk.
import type { LeaseRecord, VersionedLeaseRecord } from './lease-record.ts';

export interface LeaseLock {
  /** The current record, or undefined when the lease does not exist yet. */
  get(): Promise<VersionedLeaseRecord | undefined>;
  /** Creates the lease; rejects with LeaseConflictError if it already exists. */
  create(record: LeaseRecord): Promise<VersionedLeaseRecord>;
  /** Replaces the lease if it is still at `version`; otherwise LeaseConflictError. */
  update(record: LeaseRecord, version: string): Promise<VersionedLeaseRecord>;
  /**
   * Sets (string) or removes (null) annotations without touching the election fields and
   * without a version check (a JSON merge patch in Kubernetes), so a non-holder (the
   * backup, the operator) can write them without racing the holder's renewals.
   */
  patchAnnotations(annotations: Record<string, string | null>): Promise<void>;
  /** For logs: which lease this is. */
  describe(): string;
}

/** Someone else wrote the lease between our read and our write: we lost the race. */
export class LeaseConflictError extends Error {
  constructor(lease: string, detail: string) {
    super(`lease ${lease}: ${detail}`);
    this.name = 'LeaseConflictError';
  }
}

// What the operator and the runtime pods tell each other, through the node's Lease
// (the only object the pods may write: their Role allows Leases and nothing else).
// The prose version, for the HA side, is ./pod-contract.md.
import { z } from 'zod';

/** Lease annotation the backup keeps up to date with its sync state (JSON, see SyncStateSchema). */
export const SYNC_STATE_ANNOTATION = 'ors.dev/sync-state';
/** Lease annotation by which the operator asks the named primary pod to step down (value: that pod's name). */
export const STEP_DOWN_ANNOTATION = 'ors.dev/step-down';
/** Lease annotation by which the operator tells the node it is being removed (value: RFC 3339 time the drain began). */
export const DRAIN_ANNOTATION = 'ors.dev/drain';
/** Lease annotation the primary of a draining node keeps up to date: number of sessions it still runs. */
export const ACTIVE_SESSIONS_ANNOTATION = 'ors.dev/active-sessions';
/**
 * Lease annotation the primary refreshes with every renewal (no extra write): its live
 * sessions and sync lag (JSON, see PrimaryLoadSchema). Read-only facts for the status
 * page and `kubectl ors`; the drain protocol keeps ACTIVE_SESSIONS_ANNOTATION, whose value
 * is written only once the drain began.
 */
export const PRIMARY_LOAD_ANNOTATION = 'ors.dev/primary-load';
/** Lease annotation recording failsafe (runtime/ha/FAILOVER.md): a primary serving on its backup's confirmations (JSON, see FailsafeStateSchema). */
export const FAILSAFE_ANNOTATION = 'ors.dev/failsafe';
/** OrsCluster annotation requesting a manual switchover; any new value triggers one. Value "<n>" or "<n>:<node id>" (only that node) . */
export const SWITCHOVER_REQUEST_ANNOTATION = 'ors.dev/switchover';
/** OrsCluster annotation listing nodes drained on request ("1" or "0,2"): their primaries take no new sessions, the nodes stay (`kubectl ors drain`). */
export const DRAINED_NODES_ANNOTATION = 'ors.dev/drained-nodes';
/** Pod annotation (set by the operator on StatefulSet pods it has dealt with) recording the last switchover it requested for that pod. */
export const LAST_SWITCHOVER_ANNOTATION = 'ors.dev/last-switchover';

/** The node ids of the drained-nodes annotation; anything that is not a node id is ignored. */
export function parseDrainedNodes(value: string | undefined): Set<number> {
  return new Set((value ?? '').split(',').map((part) => part.trim()).filter((part) => /^\d+$/.test(part)).map(Number));
}

/** A JSON annotation written by someone else: absent, not JSON or not of the schema are all "no value", never an error. */
function parseJsonAnnotation<T>(schema: z.ZodType<T>, value: string | undefined): T | undefined {
  if (!value) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export const SyncStateSchema = z.object({
  /** The backup pod writing this. */
  backup: z.string().min(1),
  /** The Lease holder (primary pod) it is synced with. */
  primary: z.string().min(1),
  /** True once the backup has received everything the primary had when the connection started and keeps up since. */
  synced: z.boolean(),
  /** When this state was written (RFC 3339). */
  at: z.string(),
});
export type SyncState = z.infer<typeof SyncStateSchema>;

/** Reads the sync-state annotation; an absent or malformed one means "not synced" rather than an error. */
export function parseSyncState(value: string | undefined): SyncState | undefined {
  return parseJsonAnnotation(SyncStateSchema, value);
}

export const PrimaryLoadSchema = z.object({
  /** The Lease holder (primary pod) writing this. */
  primary: z.string().min(1),
  /** Sessions it runs. */
  sessions: z.int().min(0),
  /** How long the oldest change its backup has not acknowledged has waited, in ms (0: up to date, or no backup connected). */
  syncLagMs: z.number().min(0),
  /** When these figures were taken (RFC 3339). */
  at: z.string(),
});
export type PrimaryLoad = z.infer<typeof PrimaryLoadSchema>;

/** Reads the primary-load annotation; absent or malformed means no report. */
export function parsePrimaryLoad(value: string | undefined): PrimaryLoad | undefined {
  return parseJsonAnnotation(PrimaryLoadSchema, value);
}

/**
 * The load report if it describes the Lease's current holder now: written by that holder
 * and younger than two lease durations (a holder renews every retry period, so an older
 * one comes from a primary that stopped renewing). Anything else is not shown as current.
 */
export function currentPrimaryLoad(load: PrimaryLoad | undefined, holder: string | undefined, leaseDurationSeconds: number | undefined, now: Date): PrimaryLoad | undefined {
  if (!load || !holder || load.primary !== holder) return undefined;
  const age = now.getTime() - Date.parse(load.at);
  return Number.isFinite(age) && age < 2 * (leaseDurationSeconds ?? 15) * 1000 ? load : undefined;
}

export const FailsafeStateSchema = z.object({
  /** The primary pod serving without renewing the Lease. */
  primary: z.string().min(1),
  /** True while the backup vouches for it (written by the backup); false once the primary renewed again. */
  active: z.boolean(),
  /** The backup that confirmed, and when it last wrote this (active). */
  confirmedBy: z.string().optional(),
  at: z.string().optional(),
  /** The episode, once over (written by the primary). */
  since: z.string().optional(),
  until: z.string().optional(),
});
export type FailsafeState = z.infer<typeof FailsafeStateSchema>;

/** Reads the failsafe annotation; absent or malformed means no failsafe on record. */
export function parseFailsafeState(value: string | undefined): FailsafeState | undefined {
  return parseJsonAnnotation(FailsafeStateSchema, value);
}

/** Pod labels the operator sets through the StatefulSet template. */
export const LABEL_CLUSTER = 'ors.dev/cluster';
export const LABEL_NODE = 'ors.dev/node';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';

/** Environment variables of the runtime container (the runtime reads these; see pod-contract.md). */
export const POD_ENV = {
  clusterName: 'ORS_CLUSTER_NAME',
  nodeId: 'ORS_NODE_ID',
  podName: 'ORS_POD_NAME',
  namespace: 'ORS_NAMESPACE',
  leaseName: 'ORS_LEASE_NAME',
  leaseDurationSeconds: 'ORS_LEASE_DURATION_SECONDS',
  renewDeadlineSeconds: 'ORS_RENEW_DEADLINE_SECONDS',
  retryPeriodSeconds: 'ORS_RETRY_PERIOD_SECONDS',
  httpHost: 'ORS_HTTP_HOST',
  httpPort: 'ORS_HTTP_PORT',
  syncPort: 'ORS_SYNC_PORT',
  syncPeers: 'ORS_SYNC_PEERS',
  syncKeyFile: 'ORS_SYNC_KEY_FILE',
  externalUrl: 'ORS_EXTERNAL_URL',
  optionsFile: 'ORS_OPTIONS_FILE',
  strategiesDir: 'ORS_STRATEGIES_DIR',
} as const;

export const OPTIONS_FILE = '/etc/ors/options/options.json';
export const SYNC_KEY_FILE = '/etc/ors/sync-key/key';
export const STRATEGIES_DIR = '/etc/ors/strategies';
export const LIVENESS_PATH = '/livez';
export const READINESS_PATH = '/heartbeat';

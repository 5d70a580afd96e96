// The contract every session store implements (memory, file, cassandra). A store keeps
// the latest snapshot of each persisted session of a node, and refuses writes from a
// deposed primary: every write carries the lease epoch (the Lease's transition count)
// under which it was made, and a write whose epoch is lower than the newest epoch the
// store has seen for that node is rejected with StaleEpochError.
import { z } from 'zod';

export const StoredSessionSchema = z.object({
  sessionId: z.string().min(1),
  /** The ORS node (primary/backup pair) that owns the session. */
  nodeId: z.string().min(1),
  /** The lease epoch of the primary that wrote this version. */
  epoch: z.number().int().nonnegative(),
  /** Monotonic per session; a store never replaces a version with an older one. */
  version: z.number().int().nonnegative(),
  /** When the snapshot was taken (ms since the epoch, from the runtime's clock). */
  savedAt: z.number().int().nonnegative(),
  /** The interaction (call or multimedia item) the session serves, if any. */
  interactionId: z.string().optional(),
  /** The source the session was created from, so it can be recompiled on recovery. */
  src: z.string(),
  /** The interpreter's JSON snapshot. */
  snapshot: z.unknown(),
});
export type StoredSession = z.infer<typeof StoredSessionSchema>;

export class StaleEpochError extends Error {
  readonly nodeId: string;
  readonly epoch: number;
  readonly currentEpoch: number;
  constructor(nodeId: string, epoch: number, currentEpoch: number) {
    super(`write for node ${nodeId} with epoch ${epoch} refused: the store has seen epoch ${currentEpoch}`);
    this.name = 'StaleEpochError';
    this.nodeId = nodeId;
    this.epoch = epoch;
    this.currentEpoch = currentEpoch;
  }
}

export interface SessionStore {
  /**
   * True for a store that lives inside this process (memory): its save survives nothing the
   * process does not, so it never makes an answer durable while a backup could.
   */
  readonly inProcess?: boolean;
  /** Creates schemas or files as needed; idempotent. */
  open(): Promise<void>;
  /** Saves (inserts or replaces) a session. Rejects with StaleEpochError when fenced. */
  save(session: StoredSession): Promise<void>;
  /** Removes a terminated session. Fenced like save. */
  delete(nodeId: string, sessionId: string, epoch: number): Promise<void>;
  load(nodeId: string, sessionId: string): Promise<StoredSession | undefined>;
  /** Every persisted session of a node, for recovery on switchover. */
  listByNode(nodeId: string): AsyncIterable<StoredSession>;
  /** Records that a primary with this epoch took over the node, fencing older epochs. */
  fence(nodeId: string, epoch: number): Promise<void>;
  close(): Promise<void>;
}

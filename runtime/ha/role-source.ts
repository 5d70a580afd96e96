// Where a runtime process learns whether it is its node's primary or backup. The
// runtime issue feeds it from a flag or a file; the HA issue from a Lease (or a file
// lease) with fencing. Only a primary serves the API, creates sessions and writes to
// the store; everything it writes carries `epoch`, so a deposed primary is refused.
import { z } from 'zod';

export const RoleSchema = z.enum(['primary', 'backup']);
export type Role = z.infer<typeof RoleSchema>;

export const RoleStateSchema = z.object({
  role: RoleSchema,
  /** The lease's transition count when this process last became primary (0 if never). */
  epoch: z.number().int().nonnegative(),
  /** The identity of the current primary of this node, if known. */
  primaryIdentity: z.string().optional(),
  /** Base URL of the current primary's HTTP API, where a backup redirects (307). */
  primaryUrl: z.string().optional(),
  /** Address (host:port) of the current primary's sync port, where a backup connects. */
  primarySyncAddress: z.string().optional(),
  /** A primary serving on its backup's confirmations while it cannot renew the lease (runtime/ha/FAILOVER.md). */
  failsafe: z.boolean().optional(),
});
export type RoleState = z.infer<typeof RoleStateSchema>;

export interface RoleSource {
  current(): RoleState;
  /** Calls `listener` on every change; returns an unsubscribe function. */
  subscribe(listener: (state: RoleState) => void): () => void;
  start(): Promise<void>;
  /** Releases the role (a primary hands over at once) and stops. */
  stop(): Promise<void>;
}

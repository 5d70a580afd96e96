// The runtime options an OrsCluster may set, in camelCase under `spec.options`. Each one
// mirrors an ORS option of the same name in kebab-case with the same default;
// the operator writes them, under their ORS names, into the options ConfigMap the runtime
// reads. Defaults are left to the runtime (only what the user sets is written), so the
// CRD documents the ORS default in each description instead of stamping it on the object.
import { z } from 'zod';

export const RuntimeOptionsSchema = z
  .object({
    callWatchingTimeout: z
      .int()
      .min(0)
      .optional()
      .describe('ORS call-watching-timeout: ms the backup and the reserved node wait for the assigned primary to create a call\'s session before trying themselves. ORS default 5000.'),
    backupSynchMaxBuffer: z
      .int()
      .min(1)
      .optional()
      .describe('ORS backup-synch-max-buffer: KB of sync data the primary batches before sending them to its backup. ORS default 100.'),
    backupSynchMaxAge: z
      .int()
      .min(1)
      .optional()
      .describe('ORS backup-synch-max-age: seconds the primary may hold sync data before sending it to its backup. ORS default 600.'),
    heartbeatBackupStatus: z
      .int()
      .min(400)
      .max(599)
      .optional()
      .describe('ORS heartbeat-backup-status: HTTP status GET /heartbeat answers on a backup. 400-599: a 2xx or 3xx makes backups Ready (Kubernetes probes) and healthy to HAProxy and mod_proxy_hcheck, and 200-206 to an F5 monitor, so they would receive traffic. ORS default 503.'),
    restartSessionOnSwitchover: z
      .boolean()
      .optional()
      .describe('ORS restart-session-on-switchover: without persistence, the backup prepares a session per call of its primary and starts them (event session.restart) on switchover. ORS default false.'),
    sessionRestartTimeout: z
      .int()
      .min(10)
      .optional()
      .describe('ORS session-restart-timeout: ms between batches of restarted sessions after a switchover (minimum 10). ORS default 50.'),
    sessionProcessingThreads: z
      .int()
      .min(1)
      .max(1024)
      .optional()
      .describe(
        'ORS session-processing-threads: engine threads running strategy code, and sessions restarted per batch after a switchover. ORS default 8; unset, the runtime restarts the CPUs it may use (at most 8) per batch and runs one engine thread fewer (at least 1).',
      ),
    sessionidWithNodeid: z
      .boolean()
      .optional()
      .describe('ORS sessionid-with-nodeid: embed the owning node in session IDs so any node can tell the owner without a lookup. ORS default true here.'),
    newSessionOnReroute: z
      .boolean()
      .optional()
      .describe('ORS new-session-on-reroute: create a new session when a call is rerouted to another routing point. ORS default false.'),
    sameNodeForConsPrimCalls: z
      .boolean()
      .optional()
      .describe('ORS same-node-for-cons-prim-calls: handle a consultation call on the node of its primary call. ORS default false.'),
  })
  .describe('Runtime options under their ORS names in camelCase (runtime/config/REFERENCE.md lists them); unset options keep the ORS default. external-url and the persistence options are set by the operator from spec.routing and spec.persistence.');

export type RuntimeOptions = z.infer<typeof RuntimeOptionsSchema>;

/** The ORS option name of a camelCase spec.options key: `callWatchingTimeout` -> `call-watching-timeout`. */
export function orsOptionName(camelCaseKey: string): string {
  return camelCaseKey.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

// Failsafe while the control plane is away (runtime/ha/FAILOVER.md; after Patroni's DCS
// failsafe mode and CloudNativePG's primary isolation check).
//
// Primary: once a renewal is overdue (none succeeded for half the renew deadline), it asks its
// backup over the sync port, every retry period, whether it sees this primary and will
// not take the lease. Each confirmation of a probe sent at t keeps it primary until
// t + renew deadline; without the API server and without its backup it steps down at its
// renew deadline, as before.
// Backup: confirms only while it is synced with that primary, sees no newer holder, and
// is not acquiring; confirming is a promise not to acquire for a lease duration.
//
// The node's Lease carries the state for the operator (FAILSAFE_ANNOTATION): the backup
// writes it while it vouches (it may still reach the API server when only the primary is
// cut off), the primary marks it ended on its first renewal after.
import type { ElectionLogger, LeaderElector } from './leader-election/leader-elector.ts';
import type { LeaseLock } from './leader-election/lease-lock.ts';
import { FAILSAFE_ANNOTATION } from './leader-election/lease-record.ts';
import type { HaMetrics } from './ha-metrics.ts';
import type { RoleSource } from './role-source.ts';
import type { SyncClient } from './sync/sync-client.ts';
import type { SyncServer } from './sync/sync-server.ts';

export interface FailsafeOptions {
  identity: string;
  elector: LeaderElector;
  roles: RoleSource;
  lock: LeaseLock;
  syncServer: SyncServer;
  syncClient: SyncClient;
  leaseDurationMs: number;
  retryPeriodMs: number;
  metrics: HaMetrics;
  log: ElectionLogger;
}

export class Failsafe {
  private readonly options: FailsafeOptions;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  /** Primary: when this failsafe episode began (first confirmation), while it lasts. */
  private since: number | undefined;
  /** Backup: when we last wrote the annotation for the primary we vouch for. */
  private lastReported = 0;

  constructor(options: FailsafeOptions) {
    this.options = options;
  }

  start(): void {
    this.options.syncClient.answerProbesWith((primary) => this.answer(primary));
    this.timer = setInterval(() => void this.tick(), this.options.retryPeriodMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.options.syncClient.answerProbesWith(() => false);
  }

  private async tick(): Promise<void> {
    const { elector, syncServer, metrics, log, retryPeriodMs } = this.options;
    const overdueSince = elector.renewalOverdueSince();
    if (overdueSince === undefined) {
      if (this.since !== undefined) this.ended();
      return;
    }
    if (this.probing) return;
    this.probing = true;
    try {
      const sentAt = Date.now();
      const backup = await syncServer.probe(retryPeriodMs);
      if (backup === undefined) {
        if (this.since !== undefined) log.warn({ renewedAt: new Date(overdueSince).toISOString() }, 'failsafe: the backup did not confirm; stepping down at the renew deadline unless the lease is renewed');
        return;
      }
      if (!elector.extendByConfirmation(sentAt)) return;
      metrics.failsafeConfirmations.inc({ side: 'received' });
      metrics.failsafe.set(elector.state().failsafe ? 1 : 0);
      if (this.since === undefined) {
        this.since = sentAt;
        log.warn({ backup, renewedAt: new Date(overdueSince).toISOString() }, 'failsafe: cannot renew the lease; serving on because the backup confirms it will not take over');
      }
    } finally {
      this.probing = false;
    }
  }

  /** Primary: renewed again (or stepped down): the episode is over. */
  private ended(): void {
    const { identity, lock, metrics, log, elector } = this.options;
    const since = this.since!;
    this.since = undefined;
    metrics.failsafe.set(0);
    const leading = elector.isLeader();
    log.warn({ since: new Date(since).toISOString(), leading }, leading ? 'failsafe over: the lease is renewed again' : 'failsafe over: no longer primary');
    if (!leading) return;
    const value = JSON.stringify({ primary: identity, active: false, since: new Date(since).toISOString(), until: new Date().toISOString() });
    lock.patchAnnotations({ [FAILSAFE_ANNOTATION]: value }).catch((error: unknown) => log.info({ err: String(error) }, 'could not record the end of failsafe on the lease'));
  }

  /** Backup: a probe from the primary we are synced with. */
  private answer(primary: { identity: string; epoch: number }): boolean {
    const { roles, elector, leaseDurationMs, metrics, lock, identity, log, retryPeriodMs } = this.options;
    const role = roles.current();
    if (role.role !== 'backup') return false;
    // A valid lease naming someone else, or a newer tenure, means the prober is deposed.
    if (role.primaryIdentity !== undefined && role.primaryIdentity !== primary.identity) return false;
    const observed = elector.state().observed;
    if (observed && observed.leaseTransitions > primary.epoch) return false;
    if (!elector.promiseNotToAcquire(primary.identity, leaseDurationMs)) return false;
    metrics.failsafeConfirmations.inc({ side: 'given' });
    const now = Date.now();
    if (now - this.lastReported >= Math.max(leaseDurationMs / 2, retryPeriodMs)) {
      this.lastReported = now;
      const value = JSON.stringify({ primary: primary.identity, active: true, confirmedBy: identity, at: new Date(now).toISOString() });
      lock.patchAnnotations({ [FAILSAFE_ANNOTATION]: value }).catch(() => {
        this.lastReported = 0; // the API server is away too: try again at the next probe
      });
      log.info({ primary: primary.identity }, 'failsafe: confirmed to the primary that this backup will not take the lease');
    }
    return true;
  }
}

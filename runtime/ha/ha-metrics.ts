// HA's own Prometheus series, in the runtime's registry: whether this process is its
// node's primary, whether the node's backup is synced and how far behind it is, the
// promotions (failovers) and the recoveries that failed in them, when a primary serves in
// failsafe (the lease cannot be renewed, its backup vouches for it), the confirmations
// behind it, and crash takeovers (the lease taken before it expired). The chart's alerts
// (charts/ors-operator/rules/ors-alerts.yaml) and dashboard are built on these names.
import { Counter, Gauge, type Registry } from 'prom-client';

/** What the scrape-time gauges read: the process's HA state as it is now. */
export interface HaObservation {
  isPrimary(): boolean;
  /** Primary: a backup holds its snapshot; backup: it holds the current primary's. */
  backupSynced(): boolean;
  /** Primary: seconds its oldest change not yet acknowledged by the backup has waited; else 0. */
  syncLagSeconds(): number;
}

export interface HaMetrics {
  failsafe: Gauge;
  failsafeConfirmations: Counter<'side'>;
  crashTakeovers: Counter;
  promotions: Counter;
  recoveryErrors: Counter<'kind'>;
  /** Connects the scrape-time gauges (primary, backup synced, sync lag) to the live state. */
  observe(observation: HaObservation): void;
}

export function createHaMetrics(registry: Registry | undefined): HaMetrics {
  const registers = registry ? [registry] : [];
  let observation: HaObservation | undefined;
  // Read at each scrape, so they are never stale; absent state (before `observe`) reads 0.
  const scraped = (name: string, help: string, read: (o: HaObservation) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(observation ? read(observation) : 0);
      },
    });
  scraped('ors_ha_primary', '1 while this process is its node\'s primary (holds the lease), else 0', (o) => (o.isPrimary() ? 1 : 0));
  scraped(
    'ors_ha_backup_synced',
    'primary: 1 while a backup holds its snapshot and follows its changes; backup: 1 while it holds the current primary\'s snapshot; else 0',
    (o) => (o.backupSynced() ? 1 : 0),
  );
  scraped(
    'ors_ha_sync_lag_seconds',
    'primary: how long its oldest change not yet acknowledged by a backup has waited (0 when all are); 0 on a backup',
    (o) => o.syncLagSeconds(),
  );
  const recoveryErrors = new Counter({
    name: 'ors_ha_recovery_errors_total',
    help: 'sessions a new primary could not bring back, by kind (recover: a persisted session; restart: one restarted from the backup\'s replica)',
    labelNames: ['kind'],
    registers,
  });
  // Present at 0 from the start: increase() misses the first error of a series born at 1.
  for (const kind of ['recover', 'restart']) recoveryErrors.inc({ kind }, 0);
  return {
    failsafe: new Gauge({
      name: 'ors_ha_failsafe',
      help: '1 while this primary serves on its backup\'s confirmations because it cannot renew the lease (failsafe), else 0',
      registers,
    }),
    failsafeConfirmations: new Counter({
      name: 'ors_ha_failsafe_confirmations_total',
      help: 'failsafe confirmations: received (primary: the backup vouched for it) or given (backup: promised not to take the lease)',
      labelNames: ['side'],
      registers,
    }),
    crashTakeovers: new Counter({
      name: 'ors_ha_crash_takeovers_total',
      help: 'times this process took the lease from a primary proven crashed, before the lease expired',
      registers,
    }),
    promotions: new Counter({
      name: 'ors_ha_promotions_total',
      help: 'times this process became its node\'s primary (a new lease epoch): the first election, failovers and switchovers',
      registers,
    }),
    recoveryErrors,
    observe(next) {
      observation = next;
    },
  };
}

// HA's own Prometheus series, in the runtime's registry: when a primary serves in
// failsafe (the lease cannot be renewed, its backup vouches for it), the confirmations
// behind it, and crash takeovers (the lease taken before it expired).
import { Counter, Gauge, type Registry } from 'prom-client';

export interface HaMetrics {
  failsafe: Gauge;
  failsafeConfirmations: Counter<'side'>;
  crashTakeovers: Counter;
}

export function createHaMetrics(registry: Registry | undefined): HaMetrics {
  const registers = registry ? [registry] : [];
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
  };
}

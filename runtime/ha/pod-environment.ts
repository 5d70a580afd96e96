// In Kubernetes the operator describes a runtime pod through environment variables
// (operator/api/pod-contract.md): the Lease name, pod name, namespace, lease timings in
// seconds, both pods' sync addresses, persistence. This maps them onto the runtime's HA
// options, so a pod needs no extra flags. Pure; anything the operator did not set keeps
// the configured value.
import type { RuntimeConfig } from '../config/runtime-options.ts';

function seconds(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? Math.round(n * 1000) : undefined;
}

export function withPodEnvironment(config: RuntimeConfig, env: Record<string, string | undefined>): RuntimeConfig {
  const leaseName = env.ORS_LEASE_NAME;
  if (!leaseName) return config;
  const podName = env.ORS_POD_NAME;
  const peers = (env.ORS_SYNC_PEERS ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const ownPeer = podName ? peers.find((peer) => peer.startsWith(`${podName}.`)) : undefined;
  const persistence = env.ORS_PERSISTENCE;
  return {
    ...config,
    lease: config.lease === 'none' ? 'kubernetes' : config.lease,
    'lease-name': leaseName,
    'lease-namespace': env.ORS_NAMESPACE ?? config['lease-namespace'],
    identity: podName ?? config.identity,
    'lease-duration': seconds(env.ORS_LEASE_DURATION_SECONDS) ?? config['lease-duration'],
    'lease-renew-deadline': seconds(env.ORS_RENEW_DEADLINE_SECONDS) ?? config['lease-renew-deadline'],
    'lease-retry-period': seconds(env.ORS_RETRY_PERIOD_SECONDS) ?? config['lease-retry-period'],
    'sync-host': config['sync-host'] === '127.0.0.1' && env.ORS_HTTP_HOST ? env.ORS_HTTP_HOST : config['sync-host'],
    'sync-advertise-address': ownPeer ?? config['sync-advertise-address'],
    'sync-key-file': env.ORS_SYNC_KEY_FILE ?? config['sync-key-file'],
    // Without Cassandra a pod keeps persisted sessions in memory only (no shared disk); with
    // it, the cassandra-* options (ORS_CASSANDRA_CONTACT_POINTS, ...) say where it is.
    'session-store': persistence === 'none' ? 'memory' : persistence === 'cassandra' ? 'cassandra' : config['session-store'],
  };
}

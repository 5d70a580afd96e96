// The OrsCluster the e2e tests apply: small, with short lease timings so failovers take
// seconds, the counter strategy inline, Ingress routing on a test host.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const COUNTER_STRATEGY = 'counter.scxml';
const EXAMPLE_STRATEGIES = path.resolve(import.meta.dirname, '../../examples/strategies');
/**
 * Short enough for quick failovers, long enough that renewals survive a control plane
 * slowed down by a busy machine (at 3 s / 2 s primaries stepped down on slow renewals).
 */
export const LEASE_DURATION_SECONDS = 6;

export interface ManifestOptions {
  name: string;
  namespace: string;
  nodes: number;
  image: string;
  httpPort: number;
  syncPort: number;
  host: string;
  annotations?: Record<string, string>;
  /** The telephony server (ors sim) the pods connect to (spec.telephony.url); none when unset. */
  telephonyUrl?: string;
  /** Strategies from examples/strategies mounted besides the counter (the voice ones). */
  exampleStrategies?: string[];
  /** spec.options besides backupSynchMaxAge. */
  options?: Record<string, unknown>;
  /** Persist sessions to this Cassandra (a one-replica keyspace); none when unset. */
  cassandra?: { host: string; port: number; localDataCenter: string; keyspace: string };
}

export function orsClusterManifest(o: ManifestOptions): Record<string, unknown> {
  return {
    apiVersion: 'ors.dev/v1alpha1',
    kind: 'OrsCluster',
    metadata: { name: o.name, namespace: o.namespace, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: {
      nodes: o.nodes,
      image: o.image,
      httpPort: o.httpPort,
      syncPort: o.syncPort,
      strategies: [
        { name: COUNTER_STRATEGY, scxml: readFileSync(path.join(import.meta.dirname, 'fixtures/counter.scxml'), 'utf8') },
        ...(o.exampleStrategies ?? []).map((name) => ({ name, scxml: readFileSync(path.join(EXAMPLE_STRATEGIES, name), 'utf8') })),
      ],
      options: { backupSynchMaxAge: 1, ...o.options },
      ...(o.telephonyUrl ? { telephony: { url: o.telephonyUrl } } : {}),
      persistence: o.cassandra
        ? {
            type: 'cassandra',
            cassandra: {
              contactPoints: [o.cassandra.host],
              port: o.cassandra.port,
              keyspace: o.cassandra.keyspace,
              localDataCenter: o.cassandra.localDataCenter,
              replication: { [o.cassandra.localDataCenter]: 1 },
            },
          }
        : { type: 'none' },
      routing: { host: o.host, scheme: 'http', ingress: { enabled: true } },
      leaderElection: { leaseDurationSeconds: LEASE_DURATION_SECONDS, renewDeadlineSeconds: 4, retryPeriodSeconds: 1 },
      scaleDown: { drainTimeoutSeconds: 5 },
    },
  };
}

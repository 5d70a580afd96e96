// The runtime's Cassandra options (session-store=cassandra) in the flat, kebab-case form of
// runtime/config: one name per option, usable from a file, ORS_<NAME> environment variables
// or --<name> flags (lists as "a,b", maps as "dc1=3,dc2=3"); and their mapping onto the
// store's own configuration (cassandra-store-config.ts).
import { z } from 'zod';
import { CassandraStoreConfigSchema, type CassandraStoreConfig } from './cassandra-store-config.ts';

const integer = (min: number) => z.coerce.number().int().min(min);

const list = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value),
  z.array(z.string().min(1)),
);

const replicasPerDc = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const entries = value
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      return at < 0 ? [pair, Number.NaN] : [pair.slice(0, at).trim(), Number(pair.slice(at + 1))];
    });
  return Object.fromEntries(entries);
}, z.record(z.string().min(1), z.number().int().min(1)));

const flag = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
}, z.boolean());

export const cassandraOptions = {
  'cassandra-contact-points': list.optional().describe('Cassandra contact points, host or host:port, comma-separated'),
  'cassandra-port': z.coerce.number().int().min(1).max(65535).default(9042).describe('CQL port of contact points given without one'),
  'cassandra-local-data-center': z.string().min(1).optional().describe('the Cassandra data center this runtime talks to'),
  'cassandra-keyspace': z.string().min(1).default('ors').describe('keyspace of the session store'),
  'cassandra-replication': replicasPerDc
    .optional()
    .describe('replicas per data center (NetworkTopologyStrategy), e.g. dc1=3,dc2=3; default: 3 in the local one'),
  'cassandra-consistency': z
    .enum(['ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'LOCAL_ONE'])
    .default('LOCAL_QUORUM')
    .describe('consistency of session reads and writes'),
  'cassandra-serial-consistency': z
    .enum(['SERIAL', 'LOCAL_SERIAL'])
    .default('LOCAL_SERIAL')
    .describe('Paxos consistency of the epoch-fenced writes (SERIAL when a node spans data centers)'),
  'cassandra-terminated-ttl': integer(0).default(3600).describe('s a terminated session marker is kept (0: delete at once)'),
  'cassandra-session-ttl': integer(0).default(0).describe('s TTL on live sessions (0: none)'),
  'cassandra-username': z.string().min(1).optional().describe('Cassandra user (PasswordAuthenticator)'),
  'cassandra-password': z.string().optional().describe('Cassandra password (prefer the environment: ORS_CASSANDRA_PASSWORD)'),
  'cassandra-tls': flag.default(false).describe('connect to Cassandra over TLS'),
  'cassandra-tls-ca-file': z.string().min(1).optional().describe('PEM CA bundle that verifies the Cassandra servers'),
  'cassandra-tls-cert-file': z.string().min(1).optional().describe('PEM client certificate (mutual TLS)'),
  'cassandra-tls-key-file': z.string().min(1).optional().describe('PEM client key (mutual TLS)'),
  'cassandra-max-pending-writes': integer(1).default(10_000).describe('writes held while Cassandra is unreachable; beyond it they are shed'),
  'cassandra-max-pending-bytes': integer(1024).default(64 * 1024 * 1024).describe('bytes held while Cassandra is unreachable'),
  'cassandra-request-timeout': integer(100).default(5000).describe('ms before a Cassandra request counts as failed'),
} as const;

export const CassandraOptionsSchema = z.object(cassandraOptions);
export type CassandraOptions = z.infer<typeof CassandraOptionsSchema>;

/** host -> host:port; host:port and bracketed or bare IPv6 literals stay as they are. */
function withPort(point: string, port: number): string {
  if (point.startsWith('[') || /:\d+$/.test(point) || point.split(':').length > 2) return point;
  return `${point}:${port}`;
}

/** The store configuration the options describe; a clear message names a missing or bad option. */
export function cassandraStoreConfigFromOptions(options: CassandraOptions): CassandraStoreConfig {
  const missing = (['cassandra-contact-points', 'cassandra-local-data-center'] as const).filter((name) => !options[name]?.length);
  if (missing.length > 0) throw new Error(`session-store=cassandra needs ${missing.join(' and ')}`);
  const replication = options['cassandra-replication'];
  const parsed = CassandraStoreConfigSchema.safeParse({
    contactPoints: options['cassandra-contact-points']!.map((point) => withPort(point, options['cassandra-port'])),
    localDataCenter: options['cassandra-local-data-center'],
    keyspace: options['cassandra-keyspace'],
    ...(replication ? { replication: { class: 'NetworkTopologyStrategy', dataCenters: replication } } : {}),
    consistency: options['cassandra-consistency'],
    serialConsistency: options['cassandra-serial-consistency'],
    terminatedTtlSeconds: options['cassandra-terminated-ttl'],
    sessionTtlSeconds: options['cassandra-session-ttl'],
    ...(options['cassandra-username']
      ? { auth: { username: options['cassandra-username'], password: options['cassandra-password'] ?? '' } }
      : {}),
    ...(options['cassandra-tls']
      ? {
          tls: {
            caFile: options['cassandra-tls-ca-file'],
            certFile: options['cassandra-tls-cert-file'],
            keyFile: options['cassandra-tls-key-file'],
          },
        }
      : {}),
    maxPendingWrites: options['cassandra-max-pending-writes'],
    maxPendingBytes: options['cassandra-max-pending-bytes'],
    requestTimeoutMs: options['cassandra-request-timeout'],
  });
  if (!parsed.success) {
    throw new Error(
      `invalid Cassandra options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

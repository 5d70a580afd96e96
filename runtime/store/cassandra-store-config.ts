// The Cassandra session store's options, validated with zod. The runtime's configuration
// (ORS option names, kebab-case) maps its persistence options onto this object; the
// OrsCluster resource points the contact points at the cluster's Cassandra.
import { z } from 'zod';

const Consistency = z.enum(['ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'LOCAL_ONE']);
const SerialConsistency = z.enum(['SERIAL', 'LOCAL_SERIAL']);

export const ReplicationSchema = z.discriminatedUnion('class', [
  z.object({
    class: z.literal('SimpleStrategy'),
    replicationFactor: z.number().int().min(1),
  }),
  z.object({
    class: z.literal('NetworkTopologyStrategy'),
    /** Replicas per data center, e.g. { dc1: 3, dc2: 3 }. */
    dataCenters: z
      .record(z.string().min(1), z.number().int().min(1))
      .refine((dcs) => Object.keys(dcs).length > 0, 'name at least one data center'),
  }),
]);
export type Replication = z.infer<typeof ReplicationSchema>;

export const CassandraStoreConfigSchema = z
  .object({
    /** "host" or "host:port" (port 9042 when left out). */
    contactPoints: z.array(z.string().min(1)).min(1, 'give at least one contact point'),
    /** The data center this runtime's requests go to (token-aware routing within it). */
    localDataCenter: z.string().min(1),
    keyspace: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,47}$/, 'a keyspace name is a letter then up to 47 letters, digits or _')
      .default('ors'),
    /** Used when the keyspace is created (and applied with ALTER KEYSPACE when it differs).
     *  Default: NetworkTopologyStrategy with 3 replicas in the local data center. */
    replication: ReplicationSchema.optional(),
    consistency: Consistency.default('LOCAL_QUORUM'),
    /** The Paxos phase of the epoch-fenced (lightweight transaction) writes. LOCAL_SERIAL
     *  fences within one data center: right when both pods of a node run in the same one.
     *  When a node's primary and backup can be in different data centers, use SERIAL. */
    serialConsistency: SerialConsistency.default('LOCAL_SERIAL'),
    /** How long a terminated session's marker row is kept (it stops late writes from
     *  resurrecting it); 0 deletes the row at once. */
    terminatedTtlSeconds: z.number().int().min(0).default(3600),
    /** TTL on live sessions, a safety net against sessions whose termination was never
     *  recorded; 0 keeps them until they are deleted. */
    sessionTtlSeconds: z.number().int().min(0).default(0),
    /** Partitions per node: a node's sessions are spread over this many bounded partitions.
     *  Fixed when the keyspace is first created (recorded in the schema). */
    bucketsPerNode: z.number().int().min(1).max(1024).default(16),
    auth: z.object({ username: z.string().min(1), password: z.string() }).optional(),
    tls: z
      .object({
        /** PEM files; the CA verifies the servers, cert+key authenticate the client. */
        caFile: z.string().optional(),
        certFile: z.string().optional(),
        keyFile: z.string().optional(),
        serverName: z.string().optional(),
        rejectUnauthorized: z.boolean().default(true),
      })
      .optional(),
    /** Writes waiting for Cassandra (during an outage) beyond which new writes are shed. */
    maxPendingWrites: z.number().int().min(1).default(10_000),
    maxPendingBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
    /** Rows per page when a node's sessions are listed (recovery reads them page by page). */
    listPageSize: z.number().int().min(1).max(10_000).default(500),
    /** Writes sent to Cassandra at once. */
    maxInFlight: z.number().int().min(1).default(32),
    requestTimeoutMs: z.number().int().min(100).default(5000),
    connectTimeoutMs: z.number().int().min(100).default(5000),
    /** Upper bound of the back-off between retries while Cassandra is unreachable. */
    maxRetryDelayMs: z.number().int().min(10).default(2000),
  })
  .refine((c) => !c.tls || Boolean(c.tls.certFile) === Boolean(c.tls.keyFile), {
    message: 'tls.certFile and tls.keyFile go together',
    path: ['tls'],
  });
export type CassandraStoreConfig = z.infer<typeof CassandraStoreConfigSchema>;
export type CassandraStoreConfigInput = z.input<typeof CassandraStoreConfigSchema>;

/** The replication the keyspace is created with when none is configured. */
export function effectiveReplication(config: CassandraStoreConfig): Replication {
  return config.replication ?? { class: 'NetworkTopologyStrategy', dataCenters: { [config.localDataCenter]: 3 } };
}

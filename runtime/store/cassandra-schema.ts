// The Cassandra layout of the session store, as pure functions (CQL text, bucket choice,
// replication maps) so it is unit-tested without a server.
//
// Layout: sessions live in table `sessions`, partitioned by (node_id, bucket) where bucket
// is a stable hash of the session id modulo the keyspace's bucket count. So:
//  - a session by id is one single-partition read (the bucket follows from the id);
//  - a node's sessions are `buckets` bounded single-partition queries (paged);
//  - partitions stay bounded as a node's session count grows.
// Every partition carries a static `fence_epoch`: the newest lease epoch seen for the node.
// Writes are lightweight transactions conditioned on it, which is what fences a deposed
// primary (a condition can only read the partition it writes, hence one copy per bucket).
import type { Replication } from './cassandra-store-config.ts';

export interface Migration {
  version: number;
  description: string;
  statements(keyspace: string): string[];
}

/** Applied in order on open; each applied version is recorded in schema_migrations. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'sessions partitioned by (node, bucket) with a static fencing epoch; store settings',
    statements: (ks) => [
      `CREATE TABLE IF NOT EXISTS ${ks}.sessions (
        node_id text,
        bucket int,
        session_id text,
        fence_epoch bigint static,
        epoch bigint,
        version bigint,
        saved_at timestamp,
        interaction_id text,
        src text,
        snapshot text,
        terminated boolean,
        PRIMARY KEY ((node_id, bucket), session_id)
      )`,
      `CREATE TABLE IF NOT EXISTS ${ks}.store_settings (name text PRIMARY KEY, value text)`,
    ],
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function replicationMap(replication: Replication): Record<string, string> {
  if (replication.class === 'SimpleStrategy') {
    return { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: String(replication.replicationFactor) };
  }
  const map: Record<string, string> = { class: 'org.apache.cassandra.locator.NetworkTopologyStrategy' };
  for (const [dc, rf] of Object.entries(replication.dataCenters)) map[dc] = String(rf);
  return map;
}

function cqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function replicationCql(replication: Replication): string {
  const entries = Object.entries(replicationMap(replication)).map(([k, v]) => `${cqlString(k)}: ${cqlString(v)}`);
  return `{${entries.join(', ')}}`;
}

export function createKeyspaceCql(keyspace: string, replication: Replication): string {
  return `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${replicationCql(replication)}`;
}

export function alterKeyspaceCql(keyspace: string, replication: Replication): string {
  return `ALTER KEYSPACE ${keyspace} WITH replication = ${replicationCql(replication)}`;
}

/** Whether the keyspace's current replication (as system_schema reports it) is the wanted one. */
export function sameReplication(current: Record<string, string>, wanted: Replication): boolean {
  const want = replicationMap(wanted);
  const keys = new Set([...Object.keys(current), ...Object.keys(want)]);
  for (const key of keys) {
    const a = current[key];
    const b = want[key];
    if (key === 'class') {
      if (a === undefined || b === undefined || !b.endsWith(a.replace(/^.*\./, ''))) return false;
    } else if (a !== b) {
      return false;
    }
  }
  return true;
}

export function schemaMigrationsTableCql(keyspace: string): string {
  return `CREATE TABLE IF NOT EXISTS ${keyspace}.schema_migrations (
    version int PRIMARY KEY, description text, applied_at timestamp)`;
}

/** Migrations not yet applied, in order. */
export function pendingMigrations(applied: Iterable<number>, all: readonly Migration[] = MIGRATIONS): Migration[] {
  const done = new Set(applied);
  return [...all].sort((a, b) => a.version - b.version).filter((m) => !done.has(m.version));
}

/** FNV-1a (32 bit) of the session id: stable across processes and releases. */
export function bucketOf(sessionId: string, buckets: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(sessionId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % buckets;
}

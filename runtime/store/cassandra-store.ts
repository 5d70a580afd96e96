// The Cassandra implementation of SessionStore (cassandra-driver).
//
// Layout and fencing: see cassandra-schema.ts. Every write is a lightweight transaction on
// the session's (node, bucket) partition, conditioned on the partition's fence epoch (so a
// deposed primary is refused) and on the row's version (so a retried or reordered write
// never replaces newer state — which is also what makes retries idempotent).
//
// Acknowledged: save() and delete() resolve only once Cassandra has applied the write at
// the configured consistency (or a newer write for the same session has been applied,
// superseding it). While Cassandra is unreachable the promises stay pending, the writes
// wait in a bounded in-memory backlog (write-backlog.ts) and are applied when Cassandra
// returns; when the backlog is full, new writes are refused at once with BacklogFullError
// (counted in ors_cassandra_shed_writes_total). So an acknowledged write is in Cassandra
// and survives a runtime crash; a pending one survives an outage but not a crash of this
// process, and its caller knows it was not acknowledged.
import { readFileSync } from 'node:fs';
import cassandra from 'cassandra-driver';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  CassandraStoreConfigSchema,
  effectiveReplication,
  type CassandraStoreConfig,
  type CassandraStoreConfigInput,
} from './cassandra-store-config.ts';
import {
  alterKeyspaceCql,
  bucketOf,
  createKeyspaceCql,
  MIGRATIONS,
  pendingMigrations,
  type Migration,
  sameReplication,
  schemaMigrationsTableCql,
} from './cassandra-schema.ts';
import { StaleEpochError, StoredSessionSchema, type SessionStore, type StoredSession } from './session-store.ts';
import { WriteBacklog, type BacklogStats } from './write-backlog.ts';
import { controlConnectionOf, guardControlConnectionRefresh } from './control-connection-guard.ts';

const { types, errors, policies } = cassandra;

export interface CassandraStoreHealth extends BacklogStats {
  /** Moving average of request latency in ms (ORS's cassandra-latency figure); failed
   *  requests count with the time they took, so an outage shows as rising latency. */
  'cassandra-latency': number;
}

export interface CassandraStoreDependencies {
  /** Where the store's metrics are registered (the runtime's /metrics registry). */
  registry?: Registry;
  log?: (level: 'info' | 'warn' | 'error', message: string, details?: Record<string, unknown>) => void;
  /** The schema history (tests of the migration path use a longer one). */
  migrations?: readonly Migration[];
}

// Server error codes after which the same request may succeed later.
const TRANSIENT_RESPONSE_CODES = new Set<number>([
  types.responseErrorCodes.serverError,
  types.responseErrorCodes.unavailableException,
  types.responseErrorCodes.overloaded,
  types.responseErrorCodes.isBootstrapping,
  types.responseErrorCodes.writeTimeout,
  types.responseErrorCodes.readTimeout,
  0x1700, // CAS write unknown (protocol v5): the Paxos outcome is unknown, retry is safe here
]);

/** Whether a failed request may succeed later (Cassandra down, slow or overloaded). */
export function isTransientCassandraError(error: unknown): boolean {
  if (error instanceof errors.NoHostAvailableError) return true;
  if (error instanceof errors.OperationTimedOutError) return true;
  if (error instanceof errors.BusyConnectionError) return true;
  if (error instanceof errors.ResponseError) return TRANSIENT_RESPONSE_CODES.has(error.code);
  return false;
}

/** Socket errors that mean nothing listens (yet) at a contact point, or its name does not resolve yet. */
const NOT_LISTENING_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Whether opening failed only because Cassandra is not there yet (stopped, restarting,
 * its Service not resolvable yet) or is still starting: worth waiting for. Anything that
 * says the configuration is wrong (credentials, TLS, a refused statement, a server that
 * answers but not as Cassandra) is not, so a misconfigured runtime still fails fast.
 */
export function isCassandraUnreachable(error: unknown): boolean {
  if (error instanceof errors.NoHostAvailableError) {
    const inner = Object.values((error.innerErrors ?? {}) as Record<string, unknown>);
    return inner.length > 0 && inner.every((e) => NOT_LISTENING_CODES.has(String((e as { code?: unknown } | undefined)?.code)));
  }
  if (error instanceof errors.ResponseError) {
    return [
      types.responseErrorCodes.isBootstrapping,
      types.responseErrorCodes.unavailableException,
      types.responseErrorCodes.overloaded,
    ].includes(error.code);
  }
  return false;
}

interface Statements {
  insertIfNew: string;
  updateIfNewer: string;
  terminate: string;
  deleteRow: string;
  raiseFence: string;
  initFence: string;
  selectOne: string;
  selectBucket: string;
}

function statements(ks: string): Statements {
  const sessionColumns = 'epoch = ?, version = ?, saved_at = ?, interaction_id = ?, src = ?, snapshot = ?';
  const key = 'WHERE node_id = ? AND bucket = ? AND session_id = ?';
  return {
    insertIfNew: `UPDATE ${ks}.sessions USING TTL ? SET ${sessionColumns} ${key}
      IF fence_epoch <= ? AND version = null AND terminated = null`,
    updateIfNewer: `UPDATE ${ks}.sessions USING TTL ? SET ${sessionColumns} ${key}
      IF fence_epoch <= ? AND version < ? AND terminated = null`,
    // A terminated session keeps a marker row (with TTL) so late writes cannot resurrect it.
    terminate: `UPDATE ${ks}.sessions USING TTL ? SET terminated = true, epoch = ?, version = null,
      saved_at = null, interaction_id = null, src = null, snapshot = null ${key} IF fence_epoch <= ?`,
    deleteRow: `DELETE FROM ${ks}.sessions ${key} IF fence_epoch <= ?`,
    raiseFence: `UPDATE ${ks}.sessions SET fence_epoch = ? WHERE node_id = ? AND bucket = ? IF fence_epoch < ?`,
    initFence: `UPDATE ${ks}.sessions SET fence_epoch = ? WHERE node_id = ? AND bucket = ? IF fence_epoch = null`,
    selectOne: `SELECT epoch, version, saved_at, interaction_id, src, snapshot, terminated
      FROM ${ks}.sessions ${key}`,
    selectBucket: `SELECT session_id, epoch, version, saved_at, interaction_id, src, snapshot, terminated
      FROM ${ks}.sessions WHERE node_id = ? AND bucket = ?`,
  };
}

function toNumber(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  return Number(String(value));
}

function rowToSession(nodeId: string, sessionId: string, row: cassandra.types.Row): StoredSession | undefined {
  if (row.get('terminated') === true) return undefined;
  const version = toNumber(row.get('version'));
  const snapshot = row.get('snapshot') as string | null;
  if (version === undefined || snapshot === null) return undefined;
  const savedAt = row.get('saved_at') as Date | null;
  const interactionId = row.get('interaction_id') as string | null;
  return {
    sessionId,
    nodeId,
    epoch: toNumber(row.get('epoch')) ?? 0,
    version,
    savedAt: savedAt ? savedAt.getTime() : 0,
    ...(interactionId !== null ? { interactionId } : {}),
    src: (row.get('src') as string | null) ?? '',
    snapshot: JSON.parse(snapshot) as unknown,
  };
}

type Pending = { kind: 'save'; session: StoredSession } | { kind: 'delete' };

export class CassandraSessionStore implements SessionStore {
  readonly config: CassandraStoreConfig;
  private readonly client: cassandra.Client;
  private readonly cql: Statements;
  private readonly backlog: WriteBacklog;
  private readonly log: NonNullable<CassandraStoreDependencies['log']>;
  private readonly migrations: readonly Migration[];
  private buckets = 0;
  private opened = false;
  private closed = false;
  /** Newest epoch this store has fenced each node at. */
  private readonly fencedEpochs = new Map<string, number>();
  private readonly fencing = new Map<string, Promise<void>>();
  /** Sessions this store has written (so their next write goes straight to the update). */
  private readonly knownRows = new Set<string>();
  /** Writes not yet acknowledged, so reads see them (read-your-writes during an outage). */
  private readonly pending = new Map<string, Pending>();
  private latencyMs = 0;
  private readonly metrics: {
    latency: Gauge;
    duration: Histogram;
    pending: Gauge;
    pendingBytes: Gauge;
    shed: Counter;
    available: Gauge;
    oldest: Gauge;
    stale: Counter;
  };

  constructor(input: CassandraStoreConfigInput, deps: CassandraStoreDependencies = {}) {
    const parsed = CassandraStoreConfigSchema.safeParse(input);
    if (!parsed.success) {
      throw new Error(`invalid Cassandra store configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    this.config = parsed.data;
    this.log = deps.log ?? (() => undefined);
    this.migrations = deps.migrations ?? MIGRATIONS;
    this.cql = statements(this.config.keyspace);
    this.client = new cassandra.Client(this.clientOptions());
    guardControlConnectionRefresh(controlConnectionOf(this.client), {
      log: (message, details) => this.log('warn', message, details),
      retryDelayMs: 1000,
    });
    const registry = deps.registry ?? new Registry();
    const registers = [registry];
    this.metrics = {
      latency: new Gauge({
        name: 'ors_cassandra_latency_milliseconds',
        help: 'Moving average of Cassandra request latency (the cassandra-latency figure)',
        registers,
      }),
      duration: new Histogram({
        name: 'ors_cassandra_write_duration_seconds',
        help: 'Time from a session write being queued to Cassandra applying it',
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers,
      }),
      pending: new Gauge({ name: 'ors_cassandra_pending_writes', help: 'Session writes waiting for Cassandra', registers }),
      pendingBytes: new Gauge({ name: 'ors_cassandra_pending_bytes', help: 'Bytes of session writes waiting for Cassandra', registers }),
      shed: new Counter({ name: 'ors_cassandra_shed_writes_total', help: 'Session writes refused because the backlog was full', registers }),
      available: new Gauge({ name: 'ors_cassandra_available', help: '1 while Cassandra accepts writes, 0 during an outage', registers }),
      oldest: new Gauge({
        name: 'ors_cassandra_oldest_pending_write_seconds',
        help: 'How long the oldest session write waiting for Cassandra has waited',
        registers,
        collect: () => {
          this.metrics?.oldest.set(this.backlog ? this.backlog.stats().oldestPendingMs / 1000 : 0);
        },
      }),
      stale: new Counter({ name: 'ors_cassandra_stale_epoch_writes_total', help: 'Writes refused because a newer primary fenced the node', registers }),
    };
    this.metrics.available.set(1);
    this.backlog = new WriteBacklog({
      maxPending: this.config.maxPendingWrites,
      maxBytes: this.config.maxPendingBytes,
      maxInFlight: this.config.maxInFlight,
      maxRetryDelayMs: this.config.maxRetryDelayMs,
      isTransient: isTransientCassandraError,
      onAvailabilityChange: (available, error) => {
        this.metrics.available.set(available ? 1 : 0);
        if (available) this.log('info', 'Cassandra reachable again; catching up pending writes', { pending: this.backlog.stats().pending });
        else this.log('warn', 'Cassandra unreachable; holding writes in memory', { error: (error as Error | undefined)?.message });
      },
      onShed: (error) => {
        this.metrics.shed.inc();
        this.log('error', error.message);
      },
    });
  }

  private clientOptions(): cassandra.ClientOptions {
    const c = this.config;
    const tls = c.tls
      ? {
          ...(c.tls.caFile ? { ca: [readFileSync(c.tls.caFile)] } : {}),
          ...(c.tls.certFile ? { cert: readFileSync(c.tls.certFile) } : {}),
          ...(c.tls.keyFile ? { key: readFileSync(c.tls.keyFile) } : {}),
          ...(c.tls.serverName ? { servername: c.tls.serverName } : {}),
          rejectUnauthorized: c.tls.rejectUnauthorized,
        }
      : undefined;
    return {
      contactPoints: c.contactPoints,
      localDataCenter: c.localDataCenter,
      ...(c.auth ? { credentials: { username: c.auth.username, password: c.auth.password } } : {}),
      ...(tls ? { sslOptions: tls } : {}),
      encoding: { useBigIntAsLong: true },
      policies: {
        // Token-aware routing within the local data center: each request goes to a replica.
        loadBalancing: new policies.loadBalancing.TokenAwarePolicy(
          new policies.loadBalancing.DCAwareRoundRobinPolicy(c.localDataCenter),
        ),
        reconnection: new policies.reconnection.ExponentialReconnectionPolicy(250, Math.max(1000, c.maxRetryDelayMs), false),
      },
      queryOptions: {
        consistency: types.consistencies[lowerCamel(c.consistency)],
        serialConsistency: types.consistencies[lowerCamel(c.serialConsistency)],
        prepare: true,
        // Every statement here is safe to repeat (writes are conditioned on version).
        isIdempotent: true,
      },
      socketOptions: { connectTimeout: c.connectTimeoutMs, readTimeout: c.requestTimeoutMs },
      pooling: { heartBeatInterval: 5000 },
      protocolOptions: { maxSchemaAgreementWaitSeconds: 20 },
    };
  }

  /**
   * Connects, creates or migrates the keyspace and tables, reads the bucket count. While
   * Cassandra is unreachable (a runtime started during an outage) it keeps trying, with
   * capped back-off and a warning per attempt; configuration errors fail at once.
   */
  async open(): Promise<void> {
    for (let attempt = 0; !this.opened; attempt++) {
      try {
        await this.openOnce();
      } catch (error) {
        if (!isCassandraUnreachable(error) || this.closed) throw error;
        const delayMs = Math.min(this.config.maxRetryDelayMs, 250 * 2 ** Math.min(attempt, 10));
        this.log('warn', `Cassandra unreachable while opening the session store; retrying in ${delayMs} ms`, { error: (error as Error).message, attempt: attempt + 1 });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  private async openOnce(): Promise<void> {
    await this.client.connect();
    const ks = this.config.keyspace;
    const replication = effectiveReplication(this.config);
    // Only touch the keyspace when it is missing or differs: an operator may have created it
    // and granted this runtime's role rights on it alone (CREATE KEYSPACE IF NOT EXISTS needs
    // CREATE on all keyspaces even when the keyspace exists).
    const readReplication = async () =>
      (
        await this.client.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [ks])
      ).first()?.get('replication') as Record<string, string> | undefined;
    let currentMap = await readReplication();
    if (!currentMap) {
      await this.client.execute(createKeyspaceCql(ks, replication), [], { prepare: false });
      currentMap = (await readReplication()) ?? {};
    }
    if (!sameReplication(currentMap, replication)) {
      this.log('warn', `changing replication of keyspace ${ks}; run a repair on the cluster afterwards`, { from: currentMap });
      await this.client.execute(alterKeyspaceCql(ks, replication), [], { prepare: false });
    }
    await this.client.execute(schemaMigrationsTableCql(ks), [], { prepare: false });
    const applied = await this.client.execute(`SELECT version FROM ${ks}.schema_migrations`, [], {
      consistency: types.consistencies.localQuorum,
    });
    for (const migration of pendingMigrations(applied.rows.map((r) => r.get('version') as number), this.migrations)) {
      for (const statement of migration.statements(ks)) {
        await this.client.execute(statement, [], { prepare: false });
      }
      await this.client.execute(
        `INSERT INTO ${ks}.schema_migrations (version, description, applied_at) VALUES (?, ?, ?) IF NOT EXISTS`,
        [migration.version, migration.description, new Date()],
      );
      this.log('info', `Cassandra schema migrated to version ${migration.version}`, { keyspace: ks });
    }
    // The bucket count is fixed by whoever created the keyspace first: every runtime must
    // compute the same bucket for a session id.
    await this.client.execute(
      `INSERT INTO ${ks}.store_settings (name, value) VALUES ('buckets_per_node', ?) IF NOT EXISTS`,
      [String(this.config.bucketsPerNode)],
    );
    const setting = await this.client.execute(`SELECT value FROM ${ks}.store_settings WHERE name = 'buckets_per_node'`, [], {
      serialConsistency: types.consistencies[lowerCamel(this.config.serialConsistency)],
      consistency: types.consistencies[lowerCamel(this.config.serialConsistency)],
    });
    this.buckets = Number(setting.first()?.get('value'));
    if (!Number.isInteger(this.buckets) || this.buckets < 1) throw new Error(`${ks}.store_settings has no valid buckets_per_node`);
    if (this.buckets !== this.config.bucketsPerNode) {
      this.log('warn', `keyspace ${ks} was created with ${this.buckets} buckets per node; using that, not ${this.config.bucketsPerNode}`);
    }
    this.opened = true;
  }

  /** The schema version recorded in the keyspace (the newest applied migration). */
  async schemaVersion(): Promise<number> {
    const rs = await this.client.execute(`SELECT version FROM ${this.config.keyspace}.schema_migrations`);
    return Math.max(0, ...rs.rows.map((r) => r.get('version') as number));
  }

  /** The Cassandra hosts this store holds connections to (only the local data center's). */
  connectedHosts(): string[] {
    return this.client.getState().getConnectedHosts().map((host) => host.address);
  }

  health(): CassandraStoreHealth {
    return { ...this.backlog.stats(), 'cassandra-latency': Math.round(this.latencyMs * 100) / 100 };
  }

  save(session: StoredSession): Promise<void> {
    const parsed = StoredSessionSchema.safeParse(session);
    if (!parsed.success) {
      return Promise.reject(new Error(`invalid session for the store: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`));
    }
    this.assertOpen();
    const s = parsed.data;
    const snapshot = JSON.stringify(s.snapshot ?? null);
    const key = rowKey(s.nodeId, s.sessionId);
    const marker: Pending = { kind: 'save', session: s };
    return this.track(key, marker, Buffer.byteLength(snapshot) + Buffer.byteLength(s.src) + 200, () =>
      this.writeSession(s, snapshot),
    );
  }

  delete(nodeId: string, sessionId: string, epoch: number): Promise<void> {
    if (!nodeId || !sessionId || !Number.isInteger(epoch) || epoch < 0) {
      return Promise.reject(new Error('delete needs a node id, a session id and a non-negative integer epoch'));
    }
    this.assertOpen();
    return this.track(rowKey(nodeId, sessionId), { kind: 'delete' }, 200, () =>
      this.writeTermination(nodeId, sessionId, epoch),
    );
  }

  async load(nodeId: string, sessionId: string): Promise<StoredSession | undefined> {
    this.assertOpen();
    const waiting = this.pending.get(rowKey(nodeId, sessionId));
    if (waiting) return waiting.kind === 'save' ? waiting.session : undefined;
    const rs = await this.timed(() =>
      this.client.execute(this.cql.selectOne, [nodeId, bucketOf(sessionId, this.buckets), sessionId]),
    );
    const row = rs.first();
    return row ? rowToSession(nodeId, sessionId, row) : undefined;
  }

  async *listByNode(nodeId: string): AsyncIterable<StoredSession> {
    this.assertOpen();
    const waiting = new Map<string, Pending>();
    const prefix = rowKey(nodeId, '');
    for (const [key, p] of this.pending) if (key.startsWith(prefix)) waiting.set(key.slice(prefix.length), p);
    for (let bucket = 0; bucket < this.buckets; bucket++) {
      let pageState: string | undefined;
      do {
        const rs = await this.timed(() =>
          this.client.execute(this.cql.selectBucket, [nodeId, bucket], { fetchSize: this.config.listPageSize, ...(pageState ? { pageState } : {}) }),
        );
        for (const row of rs.rows) {
          const sessionId = row.get('session_id') as string | null;
          if (sessionId === null) continue; // a partition holding only its fence
          const local = waiting.get(sessionId);
          if (local) {
            waiting.delete(sessionId);
            if (local.kind === 'save') yield local.session;
            continue;
          }
          const session = rowToSession(nodeId, sessionId, row);
          if (session) yield session;
        }
        pageState = rs.pageState ?? undefined;
      } while (pageState);
    }
    for (const p of waiting.values()) if (p.kind === 'save') yield p.session;
  }

  /** Raises the node's fence to epoch in every bucket; StaleEpochError when a newer primary already did. */
  async fence(nodeId: string, epoch: number): Promise<void> {
    this.assertOpen();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.fenceNode(nodeId, epoch);
        return;
      } catch (error) {
        if (!isTransientCassandraError(error) || attempt >= 5) throw error;
        await new Promise((r) => setTimeout(r, Math.min(this.config.maxRetryDelayMs, 100 * 2 ** attempt)));
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.opened) {
      try {
        await this.backlog.drain(this.config.requestTimeoutMs * 2);
      } catch (error) {
        this.log('error', `closing with unapplied writes: ${(error as Error).message}`);
      }
    }
    this.backlog.close();
    this.opened = false;
    await this.client.shutdown();
  }

  private assertOpen(): void {
    if (!this.opened) throw new Error('the Cassandra session store is not open: call open() first');
  }

  private track(key: string, marker: Pending, bytes: number, write: () => Promise<void>): Promise<void> {
    const queuedAt = performance.now();
    const done = this.backlog.submit(key, bytes, write);
    this.pending.set(key, marker);
    this.updateBacklogGauges();
    const settle = () => {
      if (this.pending.get(key) === marker) this.pending.delete(key);
      this.updateBacklogGauges();
    };
    return done.then(
      () => {
        this.metrics.duration.observe((performance.now() - queuedAt) / 1000);
        settle();
      },
      (error: unknown) => {
        if (error instanceof StaleEpochError) this.metrics.stale.inc();
        settle();
        throw error;
      },
    );
  }

  private updateBacklogGauges(): void {
    const stats = this.backlog.stats();
    this.metrics.pending.set(stats.pending);
    this.metrics.pendingBytes.set(stats.pendingBytes);
  }

  private async timed<T>(request: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await request();
    } finally {
      const ms = performance.now() - t0;
      this.latencyMs = this.latencyMs === 0 ? ms : this.latencyMs * 0.9 + ms * 0.1;
      this.metrics.latency.set(this.latencyMs);
    }
  }

  private async ensureFenced(nodeId: string, epoch: number): Promise<void> {
    if ((this.fencedEpochs.get(nodeId) ?? -1) >= epoch) return;
    await this.fenceNode(nodeId, epoch);
  }

  private fenceNode(nodeId: string, epoch: number): Promise<void> {
    const key = `${nodeId}\u0000${epoch}`;
    let running = this.fencing.get(key);
    if (!running) {
      running = (async () => {
        const all = Array.from({ length: this.buckets }, (_, b) => this.fenceBucket(nodeId, b, epoch));
        await Promise.all(all);
        if ((this.fencedEpochs.get(nodeId) ?? -1) < epoch) this.fencedEpochs.set(nodeId, epoch);
      })().finally(() => this.fencing.delete(key));
      this.fencing.set(key, running);
    }
    return running;
  }

  private async fenceBucket(nodeId: string, bucket: number, epoch: number): Promise<void> {
    const e = BigInt(epoch);
    for (let attempt = 0; attempt < 8; attempt++) {
      const raised = await this.timed(() => this.client.execute(this.cql.raiseFence, [e, nodeId, bucket, e]));
      if (raised.wasApplied()) return;
      const current = toNumber(raised.first()?.get('fence_epoch'));
      if (current === undefined) {
        const created = await this.timed(() => this.client.execute(this.cql.initFence, [e, nodeId, bucket]));
        if (created.wasApplied()) return;
        continue;
      }
      if (current === epoch) return;
      if (current > epoch) throw new StaleEpochError(nodeId, epoch, current);
    }
    throw new Error(`could not fence node ${nodeId} bucket ${bucket} at epoch ${epoch}: too much contention`);
  }

  private async writeSession(s: StoredSession, snapshot: string): Promise<void> {
    await this.ensureFenced(s.nodeId, s.epoch);
    const key = rowKey(s.nodeId, s.sessionId);
    const bucket = bucketOf(s.sessionId, this.buckets);
    const epoch = BigInt(s.epoch);
    const version = BigInt(s.version);
    const values = [
      this.config.sessionTtlSeconds,
      epoch,
      version,
      new Date(s.savedAt),
      s.interactionId ?? null,
      s.src,
      snapshot,
      s.nodeId,
      bucket,
      s.sessionId,
      epoch,
    ];
    let asNew = !this.knownRows.has(key);
    for (let attempt = 0; attempt < 8; attempt++) {
      const rs = await this.timed(() =>
        asNew
          ? this.client.execute(this.cql.insertIfNew, values)
          : this.client.execute(this.cql.updateIfNewer, [...values, version]),
      );
      if (rs.wasApplied()) {
        this.knownRows.add(key);
        return;
      }
      const row = rs.first();
      const fence = toNumber(row?.get('fence_epoch'));
      if (fence === undefined) {
        // The bucket has no fence yet (first write of the node there, or it was removed).
        await this.fenceBucket(s.nodeId, bucket, s.epoch);
        continue;
      }
      if (fence > s.epoch) throw new StaleEpochError(s.nodeId, s.epoch, fence);
      if (row?.get('terminated') === true) {
        this.log('warn', `ignored a write for terminated session ${s.sessionId}`, { nodeId: s.nodeId });
        return;
      }
      const stored = toNumber(row?.get('version'));
      if (stored === undefined) {
        asNew = true;
        continue;
      }
      if (stored >= s.version) {
        // Already there (a retried write) or superseded by a newer version.
        this.knownRows.add(key);
        return;
      }
      asNew = false;
    }
    throw new Error(`could not write session ${s.sessionId}: too much contention`);
  }

  private async writeTermination(nodeId: string, sessionId: string, epoch: number): Promise<void> {
    await this.ensureFenced(nodeId, epoch);
    const bucket = bucketOf(sessionId, this.buckets);
    const e = BigInt(epoch);
    for (let attempt = 0; attempt < 8; attempt++) {
      const rs = await this.timed(() =>
        this.config.terminatedTtlSeconds > 0
          ? this.client.execute(this.cql.terminate, [this.config.terminatedTtlSeconds, e, nodeId, bucket, sessionId, e])
          : this.client.execute(this.cql.deleteRow, [nodeId, bucket, sessionId, e]),
      );
      if (rs.wasApplied()) {
        this.knownRows.delete(rowKey(nodeId, sessionId));
        return;
      }
      const fence = toNumber(rs.first()?.get('fence_epoch'));
      if (fence === undefined) {
        await this.fenceBucket(nodeId, bucket, epoch);
        continue;
      }
      if (fence > epoch) throw new StaleEpochError(nodeId, epoch, fence);
    }
    throw new Error(`could not delete session ${sessionId}: too much contention`);
  }
}

function rowKey(nodeId: string, sessionId: string): string {
  return `${nodeId}\u0000${sessionId}`;
}

function lowerCamel(name: string): keyof typeof types.consistencies {
  return name.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof typeof types.consistencies;
}

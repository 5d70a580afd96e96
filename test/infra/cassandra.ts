// Starts a real single-node Apache Cassandra 5.0 (the jars test/infra/cassandra/install.sh
// resolved from Maven Central) as a plain JVM process on loopback, for integration tests and
// benchmarks. Each server gets its own temp folder (config, data, logs), free ports, a small
// heap and settings that trade durability tuning for start-up speed. The folder is kept
// after stop so its log can be read when a test fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, openSync, closeSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LOOPBACK, type Placement } from './pod-network/placement.ts';
import { keptLogDirectory } from './kept-log-directory.ts';

const infraDir = import.meta.dirname;

/** The Cassandra version test/infra/cassandra/pom.xml pins. */
export function cassandraVersion(): string {
  const pom = readFileSync(path.join(infraDir, 'cassandra', 'pom.xml'), 'utf8');
  const match = /<cassandra\.version>([^<]+)<\/cassandra\.version>/.exec(pom);
  if (!match) throw new Error('test/infra/cassandra/pom.xml has no <cassandra.version>');
  return match[1]!;
}

export function cassandraHome(version = cassandraVersion()): string {
  const cacheRoot = process.env.ORS_TEST_CACHE ?? path.join(os.homedir(), '.cache', 'ors-test');
  return path.join(cacheRoot, `cassandra-${version}`);
}

/** Where an integration test reaches the server. */
export interface CassandraEndpoint {
  contactPoint: string;
  host: string;
  port: number;
  localDataCenter: string;
}

export interface CassandraServerOptions {
  /** Reuse an existing folder (data survives a stop/start); a fresh temp folder by default. */
  dir?: string;
  heap?: string;
  /** How long to wait for the CQL port. */
  startTimeoutMs?: number;
  /** Let the JVM outlive the process that started it (a server shared by test workers). */
  detached?: boolean;
  /** PasswordAuthenticator and CassandraAuthorizer (superuser cassandra/cassandra). */
  passwordAuth?: boolean;
  /** The server is stopped when this process is gone (a watchdog shell polls it); by default
   *  the process that starts a server that is not detached. */
  ownerPid?: number;
  /** Client TLS only (no plain CQL): a PKCS12 keystore with the server's key and certificate. */
  clientTls?: { keystore: string; password: string };
  /** For a cluster of several nodes on loopback (127.0.0.x). */
  cluster?: ClusterMember;
  /** Where the single node runs (its address and command wrapper); the host's loopback by default. */
  placement?: Placement;
}

/** One node of a multi-node (multi-data-center) test cluster: every node listens on its own
 *  loopback address with the same ports, and gossips with the seed. */
export interface ClusterMember {
  address: string;
  dataCenter: string;
  rack?: string;
  seedAddress: string;
  nativePort: number;
  storagePort: number;
  initialToken: string;
}

export interface CassandraYamlOptions {
  /** listen and rpc address of a single node (127.0.0.1 by default). */
  address?: string;
  passwordAuth?: boolean;
  clientTls?: { keystore: string; password: string };
  cluster?: ClusterMember;
}

/** SimpleSnitch puts the single node here. */
export const TEST_DATA_CENTER = 'datacenter1';

// Cassandra 5.0's conf/jvm17-server.options: the JDK internals it reaches into.
const JAVA17_MODULE_FLAGS = [
  '-Djdk.attach.allowAttachSelf=true',
  '--add-exports', 'java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports', 'java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-exports', 'java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-exports', 'java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
  '--add-exports', 'java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports', 'java.rmi/sun.rmi.server=ALL-UNNAMED',
  '--add-exports', 'java.sql/java.sql=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang.module=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.loader=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.reflect=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.math=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.module=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.util.jar=ALL-UNNAMED',
  '--add-opens', 'jdk.management/com.sun.management.internal=ALL-UNNAMED',
  '--add-opens', 'java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens', 'java.base/java.io=ALL-UNNAMED',
  '--add-opens', 'java.base/java.nio=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util.concurrent=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util.concurrent.atomic=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang=ALL-UNNAMED',
  '--add-opens', 'java.base/java.math=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens', 'java.base/java.net=ALL-UNNAMED',
];

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function cassandraYaml(dir: string, nativePort: number, storagePort: number, options: CassandraYamlOptions = {}): string {
  const address = options.cluster?.address ?? options.address ?? '127.0.0.1';
  const seed = options.cluster?.seedAddress ?? address;
  // Settings chosen for a throwaway single node on a shared 2-core machine: one token, small
  // memtables and caches, few threads, no snapshots, no JMX-driven features, periodic commit
  // log sync (a clean stop drains it, so stop/start loses nothing).
  const d = (name: string) => JSON.stringify(path.join(dir, name));
  return `cluster_name: ors-test
num_tokens: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: ${options.cluster ? 'GossipingPropertyFileSnitch' : 'SimpleSnitch'}
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${seed}:${storagePort}"
listen_address: ${address}
rpc_address: ${address}
storage_port: ${storagePort}
native_transport_port: ${nativePort}
start_native_transport: true
data_file_directories:
  - ${d('data')}
commitlog_directory: ${d('commitlog')}
saved_caches_directory: ${d('saved_caches')}
hints_directory: ${d('hints')}
cdc_raw_directory: ${d('cdc_raw')}
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 8MiB
authenticator: ${options.passwordAuth ? 'PasswordAuthenticator' : 'AllowAllAuthenticator'}
authorizer: ${options.passwordAuth ? 'CassandraAuthorizer' : 'AllowAllAuthorizer'}
role_manager: CassandraRoleManager
snapshot_before_compaction: false
auto_snapshot: false
incremental_backups: false
memtable_heap_space: 64MiB
memtable_offheap_space: 64MiB
key_cache_size: 8MiB
counter_cache_size: 0MiB
row_cache_size: 0MiB
concurrent_reads: 4
concurrent_writes: 4
concurrent_counter_writes: 2
concurrent_compactors: 1
compaction_throughput: 0MiB/s
disk_failure_policy: stop
commit_failure_policy: stop
hinted_handoff_enabled: false
dynamic_snitch: false
read_request_timeout: 10000ms
write_request_timeout: 5000ms
cas_contention_timeout: 5000ms
request_timeout: 10000ms
user_defined_functions_enabled: false
materialized_views_enabled: false
paxos_variant: v2
${
  options.clientTls
    ? `client_encryption_options:
  enabled: true
  optional: false
  keystore: ${JSON.stringify(options.clientTls.keystore)}
  keystore_password: ${JSON.stringify(options.clientTls.password)}
  store_type: PKCS12
  require_client_auth: false
`
    : ''
}`;
}

const LOGBACK = `<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT" /></root>
</configuration>
`;

function missingServerError(home: string): Error {
  return new Error(
    `Cassandra is not installed in ${home}: run \`make servers\` (or bash test/infra/cassandra/install.sh)`,
  );
}

/** A single-node Cassandra that can be stopped and started again on the same ports and data. */
export class CassandraServer {
  readonly dir: string;
  readonly logFile: string;
  private readonly home: string;
  private readonly heap: string;
  private readonly startTimeoutMs: number;
  private readonly detached: boolean;
  private readonly ownerPid: number | undefined;
  private readonly yamlOptions: CassandraYamlOptions;
  private nativePort = 0;
  private storagePort = 0;
  private readonly cluster: ClusterMember | undefined;
  private readonly address: string;
  private readonly placement: Placement;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(options: CassandraServerOptions = {}) {
    this.home = cassandraHome();
    this.dir = options.dir ?? keptLogDirectory(os.tmpdir(), 'ors-cassandra-node-');
    this.logFile = path.join(this.dir, 'cassandra.log');
    this.heap = options.heap ?? '768m';
    this.startTimeoutMs = options.startTimeoutMs ?? 240_000;
    this.detached = options.detached ?? false;
    this.cluster = options.cluster;
    this.placement = options.placement ?? LOOPBACK;
    this.address = options.cluster?.address ?? this.placement.address;
    // A server started for one process goes with it, even when that process is killed.
    this.ownerPid = options.ownerPid ?? (this.detached ? undefined : process.pid);
    this.yamlOptions = {
      ...(options.passwordAuth ? { passwordAuth: true } : {}),
      ...(options.clientTls ? { clientTls: options.clientTls } : {}),
      ...(options.cluster ? { cluster: options.cluster } : {}),
    };
  }

  get endpoint(): CassandraEndpoint {
    return {
      contactPoint: `${this.address}:${this.nativePort}`,
      host: this.address,
      port: this.nativePort,
      localDataCenter: this.cluster?.dataCenter ?? TEST_DATA_CENTER,
    };
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the JVM and waits until the CQL port answers. */
  async start(): Promise<CassandraEndpoint> {
    if (this.running) return this.endpoint;
    const libDir = path.join(this.home, 'lib');
    if (!existsSync(path.join(this.home, '.installed'))) throw missingServerError(this.home);
    if (this.cluster) {
      this.nativePort = this.cluster.nativePort;
      this.storagePort = this.cluster.storagePort;
      const conf = path.join(this.dir, 'conf');
      mkdirSync(conf, { recursive: true });
      writeFileSync(
        path.join(conf, 'cassandra-rackdc.properties'),
        `dc=${this.cluster.dataCenter}\nrack=${this.cluster.rack ?? 'rack1'}\n`,
      );
    } else if (this.nativePort === 0) {
      this.nativePort = await freePort();
      this.storagePort = await freePort();
    }
    for (const sub of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw']) {
      mkdirSync(path.join(this.dir, sub), { recursive: true });
    }
    const configFile = path.join(this.dir, 'cassandra.yaml');
    writeFileSync(configFile, cassandraYaml(this.dir, this.nativePort, this.storagePort, { address: this.address, ...this.yamlOptions }));
    const logbackFile = path.join(this.dir, 'logback.xml');
    writeFileSync(logbackFile, LOGBACK);

    const jars = readdirSync(libDir).filter((f) => f.endsWith('.jar'));
    const jamm = jars.find((f) => f.startsWith('jamm-'));
    const args = [
      `-Xms${this.heap}`,
      `-Xmx${this.heap}`,
      '-Xss512k',
      '-XX:+UseSerialGC',
      '-XX:ActiveProcessorCount=2',
      '-XX:+ExitOnOutOfMemoryError',
      '-XX:TieredStopAtLevel=1',
      '-Djava.net.preferIPv4Stack=true',
      ...JAVA17_MODULE_FLAGS,
      ...(jamm ? [`-javaagent:${path.join(libDir, jamm)}`] : []),
      '-Dcassandra-foreground=yes',
      `-Dcassandra.config=file://${configFile}`,
      `-Dcassandra.storagedir=${this.dir}`,
      `-Dcassandra.logdir=${this.dir}`,
      `-Dlogback.configurationFile=file://${logbackFile}`,
      '-Dcassandra.skip_wait_for_gossip_to_settle=0',
      // A joining member's gossip shadow round waits up to the ring delay for the seed to
      // answer; 100 ms (fine for a lone seed, which skips that round) made a second data
      // center fail with "Unable to gossip with any peers" on a loaded machine.
      `-Dcassandra.ring_delay_ms=${this.cluster && this.cluster.address !== this.cluster.seedAddress ? 10_000 : 100}`,
      '-Dcassandra.superuser_setup_delay_ms=0',
      '-Dcassandra.auto_bootstrap=false',
      `-Dcassandra.initial_token=${this.cluster?.initialToken ?? '0'}`,
      '-Dcassandra.load_ring_state=false',
      '-Dcassandra.migration_task_wait_in_seconds=1',
      '-cp',
      // The snitch reads cassandra-rackdc.properties from the class path.
      [...(this.cluster ? [path.join(this.dir, 'conf')] : []), ...jars.map((f) => path.join(libDir, f))].join(':'),
      'org.apache.cassandra.service.CassandraDaemon',
    ];
    const log = openSync(this.logFile, 'a');
    const [command, ...argv] = this.placement.command(['java', ...args]);
    const child = spawn(command, argv, { stdio: ['ignore', log, log], detached: this.detached });
    closeSync(log);
    if (this.detached) child.unref();
    if (this.ownerPid !== undefined && child.pid !== undefined) startWatchdog(this.ownerPid, child.pid);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('error', () => undefined);
    try {
      await this.waitForCql();
    } catch (err) {
      await this.stop();
      throw new Error(`${(err as Error).message}\n--- ${this.logFile} (last 60 lines) ---\n${this.logTail(60)}`, {
        cause: err,
      });
    }
    return this.endpoint;
  }

  private async waitForCql(): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`Cassandra exited during start-up (exit code ${this.child?.exitCode})`);
      if (await canConnect(this.address, this.nativePort)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`Cassandra did not open its CQL port ${this.nativePort} within ${this.startTimeoutMs} ms`);
  }

  /** Stops the JVM cleanly (SIGTERM runs Cassandra's drain hook), SIGKILL after a grace period. */
  async stop(graceMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  logTail(lines = 60): string {
    if (!existsSync(this.logFile)) return '(no log)';
    return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  }
}

/** Stops the JVM once the owner process is gone (it died without stopping the server). */
function startWatchdog(ownerPid: number, jvmPid: number): void {
  const script = `while kill -0 ${ownerPid} 2>/dev/null && kill -0 ${jvmPid} 2>/dev/null; do sleep 2; done
kill -TERM ${jvmPid} 2>/dev/null || exit 0
for i in $(seq 30); do kill -0 ${jvmPid} 2>/dev/null || exit 0; sleep 1; done
kill -KILL ${jvmPid} 2>/dev/null; true`;
  spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

// A local ORS cluster: N nodes x (primary, backup) `ors runtime` processes on loopback,
// electing through file leases and sharing a file session store per node, behind one
// HAProxy front. For demos and chaos: kill or freeze a node's primary and watch its
// backup take over; a killed process comes back (as a pod would) and becomes the backup.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildHaproxyConfig } from './haproxy-config.ts';

const orsCli = path.resolve(import.meta.dirname, '../cli/ors.ts');

export interface LocalClusterOptions {
  nodes: number;
  host: string;
  /** Port of the HAProxy front; 0 picks a free one. */
  port: number;
  /** Where leases, stores and logs go; a temporary directory (removed on stop) if not given. */
  dataDir?: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** How long a killed process stays down before it is started again (as a backup). */
  restartDelayMs: number;
  /** Extra `ors runtime` flags for every process (e.g. --strategies-dir, --restart-session-on-switchover). */
  runtimeArgs: string[];
  haproxyBinary: string;
  log: (line: string) => void;
  /** The URL clients reach the cluster at (every node's external-url); the HAProxy front when unset. */
  externalUrl?: string;
  /** How long the processes may take to start (30 s when unset; more on a loaded machine). */
  startTimeoutMs?: number;
}

export interface RuntimeProcessInfo {
  node: number;
  name: string;
  port: number;
  url: string;
  logFile: string;
  state: 'starting' | 'running' | 'frozen' | 'down';
  pid?: number;
}

interface ManagedRuntime extends RuntimeProcessInfo {
  child?: ChildProcess;
  restartTimer?: NodeJS.Timeout;
}

export async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class PortInUseError extends Error {
  constructor(what: string, host: string, port: number) {
    super(`${what}: port ${port} on ${host} is already in use (another ors local, or another program); choose a free one or --port 0`);
    this.name = 'PortInUseError';
  }
}

/** Throws PortInUseError unless host:port can be bound exclusively right now. */
export async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(what, host, port) : error),
    );
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** A runtime's /heartbeat (status, role, epoch, live sessions), or undefined when it does not answer within 500 ms. */
export async function heartbeat(url: string): Promise<{ status: number; role?: string; epoch?: number; sessions?: number } | undefined> {
  try {
    const response = await fetch(`${url}/heartbeat`, { signal: AbortSignal.timeout(500) });
    const body = (await response.json()) as { role?: string; epoch?: number; sessions?: number };
    return { status: response.status, role: body.role, epoch: body.epoch, ...(typeof body.sessions === 'number' ? { sessions: body.sessions } : {}) };
  } catch {
    return undefined;
  }
}

export class LocalCluster {
  readonly options: LocalClusterOptions;
  readonly processes: ManagedRuntime[] = [];
  frontUrl = '';
  dataDir = '';
  private ownsDataDir = false;
  private haproxy?: ChildProcess;
  private stopping = false;
  /** Set once every runtime has started; until then a runtime that exits fails the start. */
  private started = false;
  private startFailure?: Error;
  private readonly syncKey = randomBytes(24).toString('hex');

  constructor(options: LocalClusterOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    const { options } = this;
    if (options.dataDir) {
      this.dataDir = path.resolve(options.dataDir);
      await mkdir(this.dataDir, { recursive: true });
    } else {
      this.dataDir = await mkdtemp(path.join(os.tmpdir(), 'ors-local-'));
      this.ownsDataDir = true;
    }
    await mkdir(path.join(this.dataDir, 'logs'), { recursive: true });
    // HAProxy binds with SO_REUSEPORT, so a second cluster on a taken port would start
    // "fine" and split the traffic with the first: check first, and bind with noreuseport.
    if (options.port !== 0) await assertPortFree(options.host, options.port, 'the front (--port)');
    const frontPort = options.port === 0 ? await freePort(options.host) : options.port;
    this.frontUrl = `http://${options.host}:${frontPort}`;
    for (let node = 0; node < options.nodes; node++) {
      for (const suffix of ['a', 'b']) {
        const port = await freePort(options.host);
        const name = `node-${node}-${suffix}`;
        this.processes.push({
          node,
          name,
          port,
          url: `http://${options.host}:${port}`,
          logFile: path.join(this.dataDir, 'logs', `${name}.log`),
          state: 'down',
        });
      }
    }
    // Start the first process of each node first, so it becomes primary: a tidy demo.
    const startTimeoutMs = options.startTimeoutMs ?? 30_000;
    for (const group of ['-a', '-b']) {
      const procs = this.processes.filter((p) => p.name.endsWith(group));
      const groupStarted = Date.now();
      const role = group === '-a' ? 'primary' : 'backup';
      for (const proc of procs) {
        options.log(`starting node-${proc.node} ${role} ${proc.name} on ${proc.url} (log: ${proc.logFile})...`);
        await assertPortFree(options.host, proc.port, `runtime ${proc.name}`);
        this.spawnRuntime(proc);
      }
      await this.waitFor(() => {
        if (this.startFailure) throw this.startFailure;
        return procs.every((p) => p.state === 'running');
      }, startTimeoutMs, group === '-a' ? 'the primaries to start' : 'the backups to start');
      options.log(`${role === 'primary' ? 'primaries' : 'backups'} listening after ${((Date.now() - groupStarted) / 1000).toFixed(1)} s`);
    }
    this.started = true;
    options.log(`starting HAProxy on ${this.frontUrl} (log: ${path.join(this.dataDir, 'logs', 'haproxy.log')})...`);
    await this.startHaproxy(frontPort);
  }

  /** The file lease the processes of `node` elect through. */
  leaseDir(node: number): string {
    return path.join(this.dataDir, `node-${node}`, 'lease');
  }

  private runtimeArgs(proc: ManagedRuntime): string[] {
    const { options } = this;
    const nodeDir = path.join(this.dataDir, `node-${proc.node}`);
    const externalUrl = options.externalUrl ?? this.frontUrl;
    const nodeUrls = Array.from({ length: options.nodes }, (_, i) => `node-${i}=${externalUrl}`).join(',');
    return [
      orsCli, 'runtime',
      // A local cluster is a demo on loopback: its API is open (DESIGN §5: only here).
      '--auth', 'none',
      '--node-id', `node-${proc.node}`,
      '--identity', proc.name,
      '--http-host', options.host,
      '--http-port', String(proc.port),
      '--sync-host', options.host,
      '--sync-port', '0',
      '--lease', 'file',
      '--lease-dir', this.leaseDir(proc.node),
      '--lease-duration', String(options.leaseDurationMs),
      '--lease-renew-deadline', String(options.renewDeadlineMs),
      '--lease-retry-period', String(options.retryPeriodMs),
      '--session-store', 'file',
      '--session-store-dir', path.join(nodeDir, 'store'),
      '--external-url', externalUrl,
      '--node-urls', nodeUrls,
      ...options.runtimeArgs,
    ];
  }

  private spawnRuntime(proc: ManagedRuntime): void {
    if (this.stopping) return;
    const log = createWriteStream(proc.logFile, { flags: 'a' });
    const child = spawn(process.execPath, this.runtimeArgs(proc), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ORS_SYNC_KEY: this.syncKey },
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    proc.child = child;
    proc.pid = child.pid;
    proc.state = 'starting';
    // Running once it says it listens on its own port: a foreign process answering
    // /heartbeat on that port must not pass for it.
    let said = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      if (proc.state !== 'starting' || proc.child !== child) return;
      said += chunk.toString();
      const port = /listening on \S+:(\d+)\s/.exec(said)?.[1];
      if (port !== undefined && Number(port) === proc.port) proc.state = 'running';
    });
    child.once('exit', (code, signal) => {
      log.end();
      proc.child = undefined;
      const wasStarting = proc.state === 'starting';
      proc.state = 'down';
      if (this.stopping) return;
      if (!this.started && wasStarting) {
        this.startFailure = new Error(`${proc.name} exited while starting (${signal ?? `code ${code}`}); see ${proc.logFile}`);
        return;
      }
      this.options.log(`${proc.name} exited (${signal ?? `code ${code}`}); restarting it in ${this.options.restartDelayMs} ms`);
      proc.restartTimer = setTimeout(() => this.spawnRuntime(proc), this.options.restartDelayMs);
    });
  }

  private async startHaproxy(frontPort: number): Promise<void> {
    const configFile = path.join(this.dataDir, 'haproxy.cfg');
    await writeFile(
      configFile,
      buildHaproxyConfig({
        frontHost: this.options.host,
        frontPort,
        adminSocket: path.join(this.dataDir, 'haproxy.sock'),
        nodes: Array.from({ length: this.options.nodes }, (_, node) => ({
          id: `node-${node}`,
          servers: this.processes.filter((p) => p.node === node).map((p) => ({ name: p.name, host: this.options.host, port: p.port })),
        })),
      }),
    );
    const log = createWriteStream(path.join(this.dataDir, 'logs', 'haproxy.log'), { flags: 'a' });
    const child = spawn(this.options.haproxyBinary, ['-W', '-db', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.haproxy = child;
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.options.log(`haproxy exited (${signal ?? `code ${code}`}); see ${path.join(this.dataDir, 'logs', 'haproxy.log')}`);
    });
    await this.waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited while starting (code ${child.exitCode}); see ${path.join(this.dataDir, 'logs', 'haproxy.log')}`);
      return (await heartbeat(this.frontUrl))?.status === 200;
    }, 30_000, 'HAProxy to route to a primary');
  }

  /** The process of `node` that answers /heartbeat with 200, if any. */
  async primaryOf(node: number): Promise<ManagedRuntime | undefined> {
    for (const proc of this.processes.filter((p) => p.node === node && p.state === 'running')) {
      if ((await heartbeat(proc.url))?.status === 200) return proc;
    }
    return undefined;
  }

  async kill(node: number): Promise<string> {
    const primary = await this.primaryOf(node);
    if (!primary?.child) return `node-${node} has no primary right now`;
    primary.child.kill('SIGKILL');
    return `killed ${primary.name} (pid ${primary.pid}) with SIGKILL; its backup sees the crash and takes over at once (runtime/ha/FAILOVER.md)`;
  }

  async freeze(node: number): Promise<string> {
    const primary = await this.primaryOf(node);
    if (!primary?.child) return `node-${node} has no primary right now`;
    primary.child.kill('SIGSTOP');
    primary.state = 'frozen';
    return `froze ${primary.name} (pid ${primary.pid}) with SIGSTOP; "thaw ${node}" wakes it (it will find itself deposed)`;
  }

  thaw(node: number): string {
    const frozen = this.processes.filter((p) => p.node === node && p.state === 'frozen');
    for (const proc of frozen) {
      proc.child?.kill('SIGCONT');
      proc.state = 'running';
    }
    return frozen.length === 0 ? `node-${node} has no frozen process` : `thawed ${frozen.map((p) => p.name).join(', ')}`;
  }

  async status(): Promise<string> {
    const lines = [`front: ${this.frontUrl}   data: ${this.dataDir}`];
    for (const proc of this.processes) {
      const beat = proc.state === 'running' ? await heartbeat(proc.url) : undefined;
      const role = beat ? `${beat.role} (epoch ${beat.epoch})` : proc.state;
      lines.push(`  ${proc.name.padEnd(10)} ${proc.url.padEnd(24)} pid ${String(proc.pid ?? '-').padEnd(7)} ${role}`);
    }
    return lines.join('\n');
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const exits: Promise<unknown>[] = [];
    for (const proc of this.processes) {
      clearTimeout(proc.restartTimer);
      const child = proc.child;
      if (!child) continue;
      exits.push(new Promise((resolve) => child.once('exit', resolve)));
      if (proc.state === 'frozen') child.kill('SIGCONT');
      child.kill('SIGTERM');
    }
    const forced = setTimeout(() => {
      for (const proc of this.processes) proc.child?.kill('SIGKILL');
    }, 10_000);
    await Promise.all(exits);
    clearTimeout(forced);
    if (this.haproxy && this.haproxy.exitCode === null) {
      const exited = new Promise((resolve) => this.haproxy!.once('exit', resolve));
      this.haproxy.kill('SIGTERM');
      await exited;
    }
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  private async waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await predicate())) {
      if (this.stopping) throw new Error('stopping');
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

// Starts the two processes of one ORS node (primary and backup electing through a file
// lease, sharing a file store) as real child processes, and follows what they report.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const child = path.resolve(import.meta.dirname, '../integration/ha/fixtures/ha-runtime-child.ts');

export interface RoleChange { role: 'primary' | 'backup'; epoch: number; at: number }

export class HaProcess {
  readonly name: string;
  readonly process: ChildProcess;
  url = '';
  readonly roles: RoleChange[] = [];
  readonly recoveries: { epoch: number; recovered: number; restarted: number; startedAt: number; finishedAt: number }[] = [];
  exited = false;
  stderr = '';
  private readonly ready: Promise<void>;

  constructor(name: string, flags: Record<string, unknown>, env: Record<string, string> = {}) {
    this.name = name;
    this.process = spawn(process.execPath, [child, JSON.stringify(flags)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.process.on('exit', () => { this.exited = true; });
    this.process.stderr!.on('data', (chunk: Buffer) => { this.stderr = (this.stderr + chunk.toString()).slice(-20_000); });
    let buffer = '';
    this.ready = new Promise((resolve, reject) => {
      this.process.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening:\n${this.stderr}`)));
      this.process.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let newline;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>;
          buffer = buffer.slice(newline + 1);
          if (typeof line.url === 'string') {
            this.url = line.url;
            resolve();
          } else if (line.recovery) {
            this.recoveries.push(line.recovery as HaProcess['recoveries'][number]);
          } else if (line.role) {
            this.roles.push(line as unknown as RoleChange);
          }
        }
      });
    });
  }

  started(): Promise<void> {
    return this.ready;
  }

  get role(): RoleChange | undefined {
    return this.roles.at(-1);
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.process.kill(signal);
  }

  async exit(): Promise<void> {
    if (this.exited) return;
    await new Promise((resolve) => this.process.once('exit', resolve));
  }
}

export interface PairOptions {
  leaseMs?: number;
  renewMs?: number;
  retryMs?: number;
  extra?: Record<string, unknown>;
  /** Environment of every process (e.g. KUBECONFIG for lease=kubernetes). */
  env?: Record<string, string>;
}

export class HaPair {
  readonly dir: string;
  readonly flags: Record<string, unknown>;
  readonly env: Record<string, string>;
  readonly processes: HaProcess[] = [];
  private counter = 0;

  private constructor(dir: string, flags: Record<string, unknown>, env: Record<string, string>) {
    this.dir = dir;
    this.flags = flags;
    this.env = env;
  }

  static async create(strategiesDir: string, options: PairOptions = {}): Promise<HaPair> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-ha-'));
    return new HaPair(dir, {
      'node-id': 'node-0',
      'http-host': '127.0.0.1',
      'http-port': 0,
      'sync-port': 0,
      lease: 'file',
      'lease-dir': path.join(dir, 'lease'),
      'lease-duration': options.leaseMs ?? 1500,
      'lease-renew-deadline': options.renewMs ?? 1000,
      'lease-retry-period': options.retryMs ?? 150,
      'session-store': 'file',
      'session-store-dir': path.join(dir, 'store'),
      'sync-key': 'test sync key, shared by the pair',
      'strategies-dir': strategiesDir,
      'log-level': 'warn',
      ...options.extra,
    }, options.env ?? {});
  }

  /** `extra` overrides flags for this process only (e.g. the http-port of a process it replaces). */
  async start(name = `p${this.counter++}`, extra: Record<string, unknown> = {}): Promise<HaProcess> {
    const proc = new HaProcess(name, { ...this.flags, identity: name, ...extra }, this.env);
    this.processes.push(proc);
    await proc.started();
    return proc;
  }

  live(): HaProcess[] {
    return this.processes.filter((p) => !p.exited);
  }

  async primary(timeoutMs = 10_000): Promise<HaProcess> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const proc of this.live()) {
        // A frozen (SIGSTOP) process never answers: do not wait for it.
        const response = await fetch(`${proc.url}/heartbeat`, { signal: AbortSignal.timeout(300) }).catch(() => undefined);
        if (response?.status === 200) return proc;
      }
      if (Date.now() > deadline) throw new Error('no primary answered /heartbeat with 200');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    for (const proc of this.processes) {
      proc.signal('SIGCONT');
      proc.signal('SIGKILL');
    }
    await Promise.all(this.processes.map((p) => p.exit()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

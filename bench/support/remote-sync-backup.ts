// The parent's side of a sync backup running in a child process (sync-backup-process.ts):
// start it on the pinned node, have it follow a sync address, measure the offset between
// the two processes' wall clocks, and collect the lags it recorded, in one message at the end.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

export type BackupCommand =
  | { type: 'follow'; address: string; nodeId: string; keyHex: string; capacity: number }
  | { type: 'clock' }
  | { type: 'collect'; expected: number; timeoutMs: number }
  | { type: 'stop' };

export type BackupReport =
  | { type: 'ready' }
  | { type: 'synced' }
  | { type: 'clock'; now: number }
  /** cpuMs: the child's CPU time (user + system) since it was synced or last reported. */
  | { type: 'lags'; lags: number[]; cpuMs: number };

/** The child's wall clock minus this process's, from the exchange with the shortest round trip. */
export interface ClockOffset {
  offsetMs: number;
  /** Half that round trip: the offset is known to within this. */
  uncertaintyMs: number;
}

const wallClock = () => performance.timeOrigin + performance.now();

export class RemoteSyncBackup {
  private readonly child: ChildProcess;
  private readonly reports: BackupReport[] = [];
  private waiter: (() => void) | undefined;

  private constructor(child: ChildProcess) {
    this.child = child;
    child.on('message', (report: BackupReport) => {
      this.reports.push(report);
      this.waiter?.();
    });
    child.on('exit', () => this.waiter?.());
  }

  static async start(): Promise<RemoteSyncBackup> {
    const child = fork(path.join(import.meta.dirname, 'sync-backup-process.ts'), [], { execPath: process.execPath, execArgv: process.execArgv, stdio: 'inherit' });
    const backup = new RemoteSyncBackup(child);
    await backup.next('ready', 20_000);
    return backup;
  }

  /** Connects to the primary's sync port and resolves once the snapshot is applied. */
  async follow(address: string, nodeId: string, key: Buffer, capacity: number): Promise<void> {
    this.command({ type: 'follow', address, nodeId, keyHex: key.toString('hex'), capacity });
    await this.next('synced', 20_000);
  }

  async clockOffset(rounds = 50): Promise<ClockOffset> {
    let best: ClockOffset = { offsetMs: NaN, uncertaintyMs: Infinity };
    for (let i = 0; i < rounds; i++) {
      const sentAt = wallClock();
      this.command({ type: 'clock' });
      const { now } = await this.next('clock', 5_000);
      const receivedAt = wallClock();
      const half = (receivedAt - sentAt) / 2;
      if (half < best.uncertaintyMs) best = { offsetMs: now - (sentAt + half), uncertaintyMs: half };
    }
    return best;
  }

  /** The lag of every event applied since `follow` or the last collection, once `expected` have been (or the time is up), and the CPU that took. */
  async lags(expected: number, timeoutMs = 60_000): Promise<{ lags: number[]; cpuMs: number }> {
    this.command({ type: 'collect', expected, timeoutMs });
    const { lags, cpuMs } = await this.next('lags', timeoutMs + 10_000);
    return { lags, cpuMs };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    if (this.child.connected) this.command({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private command(command: BackupCommand): void {
    this.child.send(command);
  }

  private async next<T extends BackupReport['type']>(type: T, timeoutMs: number): Promise<Extract<BackupReport, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.reports.findIndex((r) => r.type === type);
      if (index >= 0) return this.reports.splice(index, 1)[0] as Extract<BackupReport, { type: T }>;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`sync backup process exited before '${type}'`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`sync backup process sent no '${type}' within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }
}

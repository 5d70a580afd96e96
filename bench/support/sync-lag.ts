// Sync lag: ms from the primary stamping a change (`at`, taken as the change is made) to
// the backup applying it. The backup is a SyncClient in a child process of its own, as in
// production (another pod), so the primary's and the backup's CPU and garbage are not one
// thread's; it keeps the lags and hands them over after each round. Both stamps are
// wall-clock (performance.timeOrigin + now()); the offset between the two processes'
// clocks is measured in the same run and reported beside the figures.
//
// Under load, one pair runs three rounds of 200 bursts of 200 changes, each burst published
// in one go with a setImmediate between bursts (as fast as the primary makes them):
// 40,000 session-created on a fresh pair (cold: neither side's code is optimized yet),
// 40,000 session-terminated of those, then 40,000 session-created of new sessions on the
// warmed pair (steady state, as a long-running primary and backup are).
import { SyncServer } from '../../runtime/ha/sync/sync-server.ts';
import type { SyncEvent } from '../../runtime/ha/sync/sync-protocol.ts';
import { RemoteSyncBackup, type ClockOffset } from './remote-sync-backup.ts';

export const SYNC_BURSTS = 200;
export const SYNC_BURST_SIZE = 200;
const IDLE_CHANGES = 300;
const IDLE_GAP_MS = 3;

export interface SyncRound {
  lags: number[];
  /** CPU time per change (user + system, all threads, µs): the primary's from the first publish until the backup had all, the backup's over the same changes. */
  primaryCpuUsPerChange: number;
  backupCpuUsPerChange: number;
}

export interface SyncLoadRun {
  cold: SyncRound;
  terminated: SyncRound;
  warm: SyncRound;
  clock: ClockOffset;
}

export interface SyncIdleRun {
  idle: SyncRound;
  clock: ClockOffset;
}

const wallClock = () => performance.timeOrigin + performance.now();

function sessionCreated(id: string): SyncEvent {
  return {
    type: 'session-created',
    at: wallClock(),
    session: { sessionId: id, interactionId: `call-${id}`, src: 'strategy.scxml', createdAt: Date.now(), persisted: false, params: { caller: '555-0100', queue: 'sales' } },
  };
}

function sessionTerminated(id: string): SyncEvent {
  return { type: 'session-terminated', at: wallClock(), sessionId: id, interactionId: `call-${id}` };
}

interface Pair {
  server: SyncServer;
  backup: RemoteSyncBackup;
  clock: ClockOffset;
}

async function withPair<T>(use: (pair: Pair) => Promise<T>): Promise<T> {
  const key = Buffer.from('benchmark sync key, 16+ bytes');
  const nodeId = 'n';
  const server = new SyncServer({ nodeId, identity: 'p', key, epoch: () => 1, limits: { maxBufferBytes: 100 * 1024, maxAgeMs: 600_000 } });
  const address = await server.listen();
  const backup = await RemoteSyncBackup.start();
  try {
    await backup.follow(`${address.host}:${address.port}`, nodeId, key, SYNC_BURSTS * SYNC_BURST_SIZE);
    const clock = await backup.clockOffset();
    return await use({ server, backup, clock });
  } finally {
    await backup.stop();
    await server.close();
  }
}

async function round(pair: Pair, changes: number, publish: () => Promise<void>): Promise<SyncRound> {
  const cpuBefore = process.cpuUsage();
  await publish();
  const { lags, cpuMs } = await pair.backup.lags(changes);
  const cpu = process.cpuUsage(cpuBefore);
  return { lags, primaryCpuUsPerChange: (cpu.user + cpu.system) / changes, backupCpuUsPerChange: (cpuMs * 1000) / changes };
}

function bursts(server: SyncServer, change: (i: number) => SyncEvent): () => Promise<void> {
  return async () => {
    for (let burst = 0; burst < SYNC_BURSTS; burst++) {
      for (let i = 0; i < SYNC_BURST_SIZE; i++) server.publish(change(burst * SYNC_BURST_SIZE + i));
      await new Promise((r) => setImmediate(r));
    }
  };
}

export async function syncLagUnderLoad(): Promise<SyncLoadRun> {
  return withPair(async (pair) => {
    const changes = SYNC_BURSTS * SYNC_BURST_SIZE;
    const cold = await round(pair, changes, bursts(pair.server, (i) => sessionCreated(`a${i}`)));
    const terminated = await round(pair, changes, bursts(pair.server, (i) => sessionTerminated(`a${i}`)));
    const warm = await round(pair, changes, bursts(pair.server, (i) => sessionCreated(`b${i}`)));
    return { cold, terminated, warm, clock: pair.clock };
  });
}

/** One change every 3 ms: the link's own latency. */
export async function syncLagIdle(): Promise<SyncIdleRun> {
  return withPair(async (pair) => {
    const idle = await round(pair, IDLE_CHANGES, async () => {
      for (let i = 0; i < IDLE_CHANGES; i++) {
        pair.server.publish(sessionCreated(`i${i}`));
        await new Promise((r) => setTimeout(r, IDLE_GAP_MS));
      }
    });
    return { idle, clock: pair.clock };
  });
}

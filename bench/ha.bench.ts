// High availability, measured with real processes (two runtime processes of one node on
// a file lease and file store, the timer-table test engine) and real sockets:
// - failover time: SIGKILL of the primary -> the backup answers /heartbeat with 200,
//   over >= 20 kills; baseline: a clean stop (the primary releases its lease);
// - recovery throughput: sessions brought back per second by a new primary, persisted
//   sessions from the store and restarted ones with the throttle off; baseline: the same
//   restart with ORS's default throttle (8 sessions per 50 ms);
// - sync lag: time from the primary publishing a change to the backup applying it, under
//   load (bursts of changes as fast as the primary makes them); baseline: an idle link;
// - the cost of durable answers: an event POSTed to a persisted session is answered once
//   the file store (fsync) or the backup (sync ack) has the new snapshot; baseline: the
//   same event to a session that does not persist, on the same pair.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SyncClient } from '../runtime/ha/sync/sync-client.ts';
import { SyncServer } from '../runtime/ha/sync/sync-server.ts';
import type { SyncEvent } from '../runtime/ha/sync/sync-protocol.ts';
import { HaPair, type HaProcess } from '../test/support/ha-pair.ts';
import type { BenchFigure, BenchSuite } from './figure.ts';
import { percentile as nearestRank } from '../runtime/sim/latency-summary.ts';

const LEASE_MS = 1500;
const KILLS = 20;

function percentile(values: number[], p: number): number {
  return nearestRank([...values].sort((a, b) => a - b), p) ?? NaN;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function servingAt(proc: HaProcess, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${proc.url}/heartbeat`, { signal: AbortSignal.timeout(300) }).catch(() => undefined);
    if (response?.status === 200) return Date.now();
    if (Date.now() > deadline) throw new Error(`${proc.name} did not become primary`);
    await sleep(5);
  }
}

async function strategies(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ors-bench-ha-'));
  await writeFile(path.join(dir, 'persisted.json'), JSON.stringify({ initial: 'waiting', persist: true, transitions: {} }));
  await writeFile(path.join(dir, 'restartable.json'), JSON.stringify({ initial: 'running', transitions: {} }));
  return dir;
}

async function backupOf(pair: HaPair, primary: HaProcess): Promise<HaProcess> {
  const backup = await pair.start();
  // Give it time to see the lease and take the sync snapshot.
  await sleep(600);
  if (primary.exited) throw new Error('primary died');
  return backup;
}

async function failoverTimes(dir: string, stop: 'SIGKILL' | 'SIGTERM', rounds: number): Promise<number[]> {
  const pair = await HaPair.create(dir, { leaseMs: LEASE_MS, renewMs: 1000, retryMs: 150 });
  try {
    let primary = await pair.start();
    await servingAt(primary);
    let backup = await backupOf(pair, primary);
    const times: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const stoppedAt = Date.now();
      primary.signal(stop);
      const servedAt = await servingAt(backup);
      times.push(servedAt - stoppedAt);
      await primary.exit();
      primary = backup;
      backup = await backupOf(pair, primary);
    }
    return times;
  } finally {
    await pair.close();
  }
}

async function startSessions(url: string, src: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async () => {
        const response = await fetch(`${url}/scxml/session/start`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ src }).toString(),
        });
        if (response.status !== 200) throw new Error(`session start: ${response.status}`);
        await response.text();
      }),
    );
  }
}

/** Sessions per second a new primary brings back after a kill. */
async function recoveryRate(dir: string, src: string, count: number, extra: Record<string, unknown>): Promise<number> {
  const pair = await HaPair.create(dir, { leaseMs: LEASE_MS, renewMs: 1000, retryMs: 150, extra });
  try {
    const primary = await pair.start();
    await servingAt(primary);
    const backup = await backupOf(pair, primary);
    await startSessions(primary.url, src, count);
    await sleep(1000); // persisted at stable points / synced to the backup
    primary.signal('SIGKILL');
    const deadline = Date.now() + 120_000;
    while (!backup.recoveries.some((r) => r.recovered + r.restarted >= count)) {
      if (Date.now() > deadline) throw new Error(`recovery incomplete: ${JSON.stringify(backup.recoveries)}`);
      await sleep(20);
    }
    const report = backup.recoveries.find((r) => r.recovered + r.restarted >= count)!;
    return ((report.recovered + report.restarted) / Math.max(1, report.finishedAt - report.startedAt)) * 1000;
  } finally {
    await pair.close();
  }
}

/** Answer times (ms) of `count` events POSTed one after another to one session on a primary with its backup. */
async function eventAnswerTimes(dir: string, src: string, count: number): Promise<number[]> {
  const pair = await HaPair.create(dir, { leaseMs: LEASE_MS, renewMs: 1000, retryMs: 150 });
  try {
    const primary = await pair.start();
    await servingAt(primary);
    await backupOf(pair, primary);
    const started = await fetch(`${primary.url}/scxml/session/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ src }).toString(),
    });
    const { sessionid } = (await started.json()) as { sessionid: string };
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const response = await fetch(`${primary.url}/scxml/session/${sessionid}/event/tick`, { method: 'POST' });
      await response.text();
      if (response.status !== 200) throw new Error(`event: ${response.status}`);
      times.push(performance.now() - t0);
    }
    return times;
  } finally {
    await pair.close();
  }
}

/** Lag of every event from publish (primary) to apply (backup), over loopback TCP. */
async function syncLags(mode: 'load' | 'idle'): Promise<number[]> {
  const key = Buffer.from('benchmark sync key, 16+ bytes');
  const server = new SyncServer({ nodeId: 'n', identity: 'p', key, epoch: () => 1, limits: { maxBufferBytes: 100 * 1024, maxAgeMs: 600_000 } });
  const address = await server.listen();
  const client = new SyncClient({ nodeId: 'n', identity: 'b', key });
  const lags: number[] = [];
  client.subscribe({ onEvents: (events) => { const now = performance.timeOrigin + performance.now(); for (const e of events) lags.push(now - e.at); } });
  client.follow(`${address.host}:${address.port}`);
  while (!client.isSynced()) await sleep(5);
  const event = (i: number): SyncEvent => ({
    type: 'session-created',
    at: performance.timeOrigin + performance.now(),
    session: { sessionId: `s${i}`, interactionId: `call-${i}`, src: 'strategy.scxml', createdAt: Date.now(), persisted: false, params: { caller: '555-0100', queue: 'sales' } },
  });
  if (mode === 'idle') {
    for (let i = 0; i < 300; i++) {
      server.publish(event(i));
      await sleep(3);
    }
  } else {
    // 200 bursts of 200 changes, each burst published in one go (as a busy primary does).
    for (let burst = 0; burst < 200; burst++) {
      for (let i = 0; i < 200; i++) server.publish(event(burst * 200 + i));
      await new Promise((r) => setImmediate(r));
    }
  }
  const expected = mode === 'idle' ? 300 : 40_000;
  const deadline = Date.now() + 60_000;
  while (lags.length < expected && Date.now() < deadline) await sleep(10);
  client.stop();
  await server.close();
  return lags;
}

const suite: BenchSuite = {
  title: 'High availability: failover, recovery, sync lag',
  async run() {
    const dir = await strategies();
    try {
      const kills = await failoverTimes(dir, 'SIGKILL', KILLS);
      const cleanStops = await failoverTimes(dir, 'SIGTERM', 5);
      const persistedRate = await recoveryRate(dir, 'persisted.json', 500, {});
      const restartFast = await recoveryRate(dir, 'restartable.json', 500, { 'restart-session-on-switchover': 'true', 'session-processing-threads': 1024, 'session-restart-timeout': 10 });
      const restartThrottled = await recoveryRate(dir, 'restartable.json', 500, { 'restart-session-on-switchover': 'true' });
      const durableAnswers = await eventAnswerTimes(dir, 'persisted.json', 1000);
      const plainAnswers = await eventAnswerTimes(dir, 'restartable.json', 1000);
      const loaded = await syncLags('load');
      const idle = await syncLags('idle');
      const target = `< lease duration + 1 s = ${LEASE_MS + 1000} ms`;
      const figures: BenchFigure[] = [
        { name: `failover time p50, kill -9 of the primary (${kills.length} kills, lease ${LEASE_MS} ms)`, value: percentile(kills, 50), unit: 'ms', better: 'lower', baseline: { name: 'clean stop (lease released), p50 of 5', value: percentile(cleanStops, 50) }, target, met: percentile(kills, 50) < LEASE_MS + 1000 },
        { name: `failover time p99, kill -9 of the primary (${kills.length} kills)`, value: percentile(kills, 99), unit: 'ms', better: 'lower', baseline: { name: 'clean stop, p99 of 5', value: percentile(cleanStops, 99) }, target, met: percentile(kills, 99) < LEASE_MS + 1000 },
        { name: 'recovery of persisted sessions from the file store (500 sessions)', value: persistedRate, unit: 'sessions/s', better: 'higher', baseline: { name: 'restart with the ORS default throttle (8 per 50 ms)', value: restartThrottled } },
        { name: 'restart-session-on-switchover, throttle off (500 sessions)', value: restartFast, unit: 'sessions/s', better: 'higher', baseline: { name: 'restart with the ORS default throttle (8 per 50 ms)', value: restartThrottled } },
        { name: 'event answer p50, persisted session (durable: file store fsync or backup ack, 1000 events)', value: percentile(durableAnswers, 50), unit: 'ms', better: 'lower', baseline: { name: 'same, session that does not persist', value: percentile(plainAnswers, 50) } },
        { name: 'event answer p99, persisted session', value: percentile(durableAnswers, 99), unit: 'ms', better: 'lower', baseline: { name: 'same, session that does not persist', value: percentile(plainAnswers, 99) } },
        { name: `sync lag p50 under load (${loaded.length} changes in bursts of 200)`, value: percentile(loaded, 50), unit: 'ms', better: 'lower', baseline: { name: 'idle link, p50', value: percentile(idle, 50) } },
        { name: 'sync lag p99 under load', value: percentile(loaded, 99), unit: 'ms', better: 'lower', baseline: { name: 'idle link, p99', value: percentile(idle, 99) } },
      ];
      return figures;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
export default suite;

// High availability, measured with real processes (two runtime processes of one node on
// a file lease and file store, the timer-table test engine) and real sockets:
// - failover time with `ors local`'s default timings: kill -9 of the primary -> the first
//   successful request (a query of a persisted session) on the backup, over 20 kills (the
//   crash is proved and the lease taken at once, runtime/ha/FAILOVER.md); baseline: the
//   lease-expiry path, a frozen primary (SIGSTOP), in the same run;
// - recovery throughput: sessions brought back per second by a new primary, persisted
//   sessions from the store and restarted ones with the throttle off; baseline: the same
//   restart with ORS's default throttle (8 sessions per 50 ms);
// - sync lag: time from the primary publishing a change to the backup applying it, the
//   backup in a process of its own (bench/support/sync-lag.ts), under load (bursts of
//   changes as fast as the primary makes them); baseline: an idle link, measured the same way;
// - the cost of durable answers: an event POSTed to a persisted session is answered once
//   the file store (fsync) or the backup (sync ack) has the new snapshot; baseline: the
//   same event to a session that does not persist, on the same pair.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileLeaseLock } from '../runtime/ha/leader-election/file-lease-lock.ts';
import { SYNC_STATE_ANNOTATION } from '../runtime/ha/leader-election/lease-record.ts';
import { HaPair, type HaProcess } from '../test/support/ha-pair.ts';
import type { BenchFigure, BenchSuite } from './figure.ts';
import { percentile as nearestRank } from '../runtime/sim/latency-summary.ts';
import { LOCAL_ELECTION_TIMINGS } from '../runtime/local/local-timings.ts';
import { SYNC_BURST_SIZE, syncLagIdle, syncLagUnderLoad } from './support/sync-lag.ts';

const LEASE_MS = 1500;
const KILLS = Number(process.env.ORS_BENCH_HA_KILLS ?? 20);
const FREEZES = Number(process.env.ORS_BENCH_HA_FREEZES ?? 5);

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

/** A backup that reports itself synced with `primary` on the lease (the operator's "synced"), as before a planned kill. */
async function followerOf(pair: HaPair, primary: HaProcess): Promise<HaProcess> {
  const backup = await pair.start();
  const lease = new FileLeaseLock(String(pair.flags['lease-dir']));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = (await lease.get().catch(() => undefined))?.record.annotations[SYNC_STATE_ANNOTATION];
    const state = value ? (JSON.parse(value) as { backup?: string; primary?: string; synced?: boolean }) : undefined;
    if (state?.backup === backup.name && state.primary === primary.name && state.synced) break;
    if (Date.now() > deadline || primary.exited) throw new Error(`${backup.name} did not sync with ${primary.name}`);
    await sleep(20);
  }
  await sleep(100);
  return backup;
}

/** ms from stopping the primary (kill -9, or SIGSTOP: the lease must expire) to the first 200 for one of its sessions on the backup. */
async function firstAnswerTimes(dir: string, stop: 'SIGKILL' | 'SIGSTOP', rounds: number): Promise<number[]> {
  const timings = LOCAL_ELECTION_TIMINGS;
  const pair = await HaPair.create(dir, { leaseMs: timings.leaseDurationMs, renewMs: timings.renewDeadlineMs, retryMs: timings.retryPeriodMs });
  try {
    let primary = await pair.start();
    await servingAt(primary);
    let backup = await followerOf(pair, primary);
    const times: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const [id] = await startSessions(primary.url, 'persisted.json', 1);
      await sleep(200);
      const stoppedAt = Date.now();
      primary.signal(stop);
      for (;;) {
        const response = await fetch(`${backup.url}/scxml/session/${id}/query`, { redirect: 'manual', signal: AbortSignal.timeout(timings.leaseDurationMs * 3) }).catch(() => undefined);
        await response?.text();
        if (response?.status === 200) break;
        if (Date.now() - stoppedAt > timings.leaseDurationMs * 3) throw new Error(`${backup.name} did not answer after ${stop}`);
        await sleep(2);
      }
      times.push(Date.now() - stoppedAt);
      primary.signal('SIGKILL');
      await primary.exit();
      primary = backup;
      backup = await followerOf(pair, primary);
    }
    return times;
  } finally {
    await pair.close();
  }
}

async function startSessions(url: string, src: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async () => {
        const response = await fetch(`${url}/scxml/session/start`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ src }).toString(),
        });
        if (response.status !== 200) throw new Error(`session start at ${url}: ${response.status} ${await response.text()}`);
        ids.push(((await response.json()) as { sessionid: string }).sessionid);
      }),
    );
  }
  return ids;
}

/** Sessions per second a new primary brings back after a kill. */
async function recoveryRate(dir: string, src: string, count: number, extra: Record<string, unknown>): Promise<number> {
  const pair = await HaPair.create(dir, { leaseMs: LEASE_MS, renewMs: 1000, retryMs: 150, extra });
  try {
    const primary = await pair.start();
    await servingAt(primary);
    const backup = await followerOf(pair, primary);
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
    await followerOf(pair, primary);
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

const suite: BenchSuite = {
  title: 'High availability: failover, recovery, sync lag',
  async run() {
    const dir = await strategies();
    try {
      const kills = await firstAnswerTimes(dir, 'SIGKILL', KILLS);
      const freezes = await firstAnswerTimes(dir, 'SIGSTOP', FREEZES);
      const persistedRate = await recoveryRate(dir, 'persisted.json', 500, {});
      const restartFast = await recoveryRate(dir, 'restartable.json', 500, { 'restart-session-on-switchover': 'true', 'session-processing-threads': 1024, 'session-restart-timeout': 10 });
      const restartThrottled = await recoveryRate(dir, 'restartable.json', 500, { 'restart-session-on-switchover': 'true' });
      const durableAnswers = await eventAnswerTimes(dir, 'persisted.json', 1000);
      const plainAnswers = await eventAnswerTimes(dir, 'restartable.json', 1000);
      const load = await syncLagUnderLoad();
      const { idle, clock } = await syncLagIdle();
      const loaded = load.warm.lags;
      const clocks = `clock offset between the processes ${(load.clock.offsetMs * 1000).toFixed(0)} µs ± ${(load.clock.uncertaintyMs * 1000).toFixed(0)} µs (idle run: ${(clock.offsetMs * 1000).toFixed(0)} ± ${(clock.uncertaintyMs * 1000).toFixed(0)})`;
      const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = LOCAL_ELECTION_TIMINGS;
      const timings = `ors local defaults: lease ${leaseDurationMs} / renew ${renewDeadlineMs} / retry ${retryPeriodMs} ms`;
      const figures: BenchFigure[] = [
        { name: `kill -9 of the primary -> first successful request, p50 (${kills.length} kills, ${timings})`, value: percentile(kills, 50), unit: 'ms', better: 'lower', baseline: { name: `lease expiry (SIGSTOP), p50 of ${freezes.length}`, value: percentile(freezes, 50) }, target: '<= 500 ms', met: percentile(kills, 50) <= 500 },
        { name: `kill -9 of the primary -> first successful request, p99 (${kills.length} kills)`, value: percentile(kills, 99), unit: 'ms', better: 'lower', baseline: { name: `lease expiry (SIGSTOP), p99 of ${freezes.length}`, value: percentile(freezes, 99) }, target: '<= 1000 ms', met: percentile(kills, 99) <= 1000 },
        { name: 'recovery of persisted sessions from the file store (500 sessions)', value: persistedRate, unit: 'sessions/s', better: 'higher', baseline: { name: 'restart with the ORS default throttle (8 per 50 ms)', value: restartThrottled } },
        { name: 'restart-session-on-switchover, throttle off (500 sessions)', value: restartFast, unit: 'sessions/s', better: 'higher', baseline: { name: 'restart with the ORS default throttle (8 per 50 ms)', value: restartThrottled } },
        { name: 'event answer p50, persisted session (durable: file store fsync or backup ack, 1000 events)', value: percentile(durableAnswers, 50), unit: 'ms', better: 'lower', baseline: { name: 'same, session that does not persist', value: percentile(plainAnswers, 50) } },
        { name: 'event answer p99, persisted session', value: percentile(durableAnswers, 99), unit: 'ms', better: 'lower', baseline: { name: 'same, session that does not persist', value: percentile(plainAnswers, 99) } },
        { name: `sync lag p50 under load (backup in its own process; ${loaded.length} session-created in bursts of ${SYNC_BURST_SIZE} on a warmed pair; ${clocks})`, value: percentile(loaded, 50), unit: 'ms', better: 'lower', baseline: { name: `idle link, p50 of ${idle.lags.length}`, value: percentile(idle.lags, 50) } },
        { name: 'sync lag p99 under load', value: percentile(loaded, 99), unit: 'ms', better: 'lower', baseline: { name: 'idle link, p99', value: percentile(idle.lags, 99) }, target: '<= 10 ms', met: percentile(loaded, 99) <= 10 },
        { name: `sync lag p99, the same load on a fresh pair (cold: first ${load.cold.lags.length} changes)`, value: percentile(load.cold.lags, 99), unit: 'ms', better: 'lower', baseline: { name: 'idle link, p99', value: percentile(idle.lags, 99) } },
        { name: `sync lag p99, ${load.terminated.lags.length} session-terminated in bursts of ${SYNC_BURST_SIZE}`, value: percentile(load.terminated.lags, 99), unit: 'ms', better: 'lower', baseline: { name: 'idle link, p99', value: percentile(idle.lags, 99) } },
        { name: 'backup CPU per applied change under load (warmed pair; all threads, user + system)', value: load.warm.backupCpuUsPerChange, unit: 'µs', better: 'lower', baseline: { name: 'primary CPU per published change, same changes', value: load.warm.primaryCpuUsPerChange } },
      ];
      return figures;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
export default suite;

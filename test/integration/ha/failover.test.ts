// High availability with real processes: two runtime processes of one node elect a
// primary through a file lease, share a file store, and sync over the sync port. We kill
// (-9), freeze (SIGSTOP) and restart them while a client keeps talking to the node.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FileLeaseLock } from '../../../runtime/ha/leader-election/file-lease-lock.ts';
import { FileSessionStore } from '../../../runtime/store/file-session-store.ts';
import { HaPair, type HaProcess } from '../../support/ha-pair.ts';
import { strategyDir } from '../../support/runtime-harness.ts';

const LEASE_MS = 1500;

const strategies = {
  'persisted.json': JSON.stringify({
    initial: 'waiting',
    persist: true,
    sendSessionRecovered: true,
    transitions: { waiting: { timeout: 'timedout' } },
    timers: { waiting: { afterMs: 5000, event: 'timeout' } },
  }),
  'restartable.json': JSON.stringify({ initial: 'running', transitions: { running: { hangup: 'final' } } }),
};

let pair: HaPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

async function newPair(extra: Record<string, unknown> = {}): Promise<HaPair> {
  pair = await HaPair.create(await strategyDir(strategies), { leaseMs: LEASE_MS, renewMs: 1000, retryMs: 150, extra });
  return pair;
}

async function call(base: string, path: string, body: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(base + path, {
    method: path.endsWith('/query') ? 'GET' : 'POST',
    redirect: 'manual',
    ...(path.endsWith('/query') ? {} : { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function startSession(base: string, src: string, params: Record<string, string> = {}): Promise<string> {
  const started = await call(base, '/scxml/session/start', { src, ...params });
  expect(started.status).toBe(200);
  return started.json.sessionid as string;
}

async function query(base: string, id: string) {
  const result = await call(base, `/scxml/session/${id}/query`);
  return result as { status: number; json: { configuration?: string[]; datamodel?: { events: string[]; lastData?: unknown; timerDueAt?: number } } };
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function syncedBackup(backup: HaProcess): Promise<void> {
  // The backup reports its primary once it has seen the lease; give sync a moment to carry the snapshot.
  await until(async () => {
    const beat = await fetch(`${backup.url}/heartbeat`).then((r) => r.json() as Promise<{ role: string; primaryUrl?: string }>);
    return beat.role === 'backup' && beat.primaryUrl !== undefined;
  }, 'backup sees its primary');
  await new Promise((r) => setTimeout(r, 300));
}

describe('HA with real processes', () => {
  // The time to serve again is measured by bench/ha.bench.ts, not asserted here.
  it('kill -9 of the primary during a stream of events: the backup serves, the persisted session continues with its data and pending timer', async () => {
    const node = await newPair();
    const a = await node.start('a');
    const primary = await node.primary();
    expect(primary).toBe(a);
    const b = await node.start('b');
    await syncedBackup(b);

    const id = await startSession(a.url, 'persisted.json', { caller: '555' });
    const before = await query(a.url, id);
    const dueAt = before.json.datamodel!.timerDueAt!;
    expect(dueAt).toBeGreaterThan(Date.now());

    // A stream of events; the client follows whoever answers /heartbeat with 200.
    const acked: { name: string; at: number }[] = [];
    let target = a;
    let streaming = true;
    let killedAt = 0;
    const stream = (async () => {
      for (let n = 0; streaming; n++) {
        const name = `e${n}`;
        const result = await call(target.url, `/scxml/session/${id}/event/${name}`).catch(() => ({ status: 0, json: {} }));
        if (result.status === 200) acked.push({ name, at: Date.now() });
        else target = await node.primary(15_000).catch(() => target);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    await until(() => acked.length >= 20 || undefined, '20 events');
    killedAt = Date.now();
    a.signal('SIGKILL');
    const servedAt = await until(async () => {
      const response = await fetch(`${b.url}/heartbeat`).catch(() => undefined);
      return response?.status === 200 ? Date.now() : undefined;
    }, 'backup to serve');
    await until(() => acked.some((e) => e.at > servedAt) || undefined, 'events acknowledged by the new primary');
    streaming = false;
    await stream;

    const after = await query(b.url, id);
    expect(after.status).toBe(200);
    const events = after.json.datamodel!.events;
    expect(events).toContain('session.recovered');
    // What the recovered session saw is the acknowledged stream in order, missing at most
    // events acknowledged in the last moments before the kill (persistence is asynchronous).
    const seen = events.filter((e) => e.startsWith('e'));
    const ackedNames = acked.map((e) => e.name);
    expect(ackedNames.filter((n) => seen.includes(n))).toEqual(seen);
    for (const event of acked.filter((e) => e.at < killedAt - 300)) expect(seen).toContain(event.name);
    for (const event of acked.filter((e) => e.at > servedAt)) expect(seen).toContain(event.name);
    expect((after.json.datamodel as unknown as { params: Record<string, unknown> }).params).toMatchObject({ caller: '555' });
    // The timer was re-armed at its remaining delay, not restarted.
    expect(after.json.datamodel!.timerDueAt).toBe(dueAt);
    await until(async () => ((await query(b.url, id)).json.configuration?.[0] === 'timedout' ? true : undefined), 'the timer to fire', 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(dueAt);
    expect(b.recoveries.at(-1)?.recovered).toBe(1);
  });

  it('restartable sessions get session.restart and their events replayed; a double switchover loses nothing', async () => {
    const node = await newPair({ 'restart-session-on-switchover': 'true' });
    const a = await node.start('a');
    await node.primary();
    const b = await node.start('b');
    await syncedBackup(b);

    const restartable = await startSession(a.url, 'restartable.json', { interactionid: 'call-1' });
    const ended = await startSession(a.url, 'restartable.json', { interactionid: 'call-2' });
    const persisted = await startSession(a.url, 'persisted.json');
    for (const name of ['ringing', 'answered']) expect((await call(a.url, `/scxml/session/${restartable}/event/${name}`)).status).toBe(200);
    expect((await call(a.url, `/scxml/session/${persisted}/event/p1`)).status).toBe(200);
    expect((await call(a.url, `/scxml/session/${ended}/event/hangup`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));

    // First switchover: a dies, b takes over.
    a.signal('SIGKILL');
    expect(await node.primary()).toBe(b);
    const first = await until(async () => {
      const q = await query(b.url, restartable);
      return q.status === 200 && q.json.datamodel!.events.length >= 3 ? q : undefined;
    }, 'restarted session on b');
    expect(first.json.datamodel!.events).toEqual(['session.restart', 'ringing', 'answered']);
    expect(first.json.datamodel!.lastData).toBeDefined();
    expect(JSON.stringify(first.json.datamodel)).toContain('call-1');
    expect([404, 409]).toContain((await query(b.url, ended)).status); // it ended before the failover: not restarted
    expect((await call(b.url, `/scxml/session/${restartable}/event/transferred`)).status).toBe(200);
    expect((await call(b.url, `/scxml/session/${persisted}/event/p2`)).status).toBe(200);

    // a comes back as backup and resyncs from b.
    const a2 = await node.start('a2');
    await syncedBackup(a2);
    expect(a2.role?.role).toBe('backup');
    await new Promise((r) => setTimeout(r, 300));

    // Second switchover: b dies, a2 takes over.
    b.signal('SIGKILL');
    expect(await node.primary()).toBe(a2);
    const second = await until(async () => {
      const q = await query(a2.url, restartable);
      return q.status === 200 && q.json.datamodel!.events.length >= 4 ? q : undefined;
    }, 'restarted session on a2');
    expect(second.json.datamodel!.events).toEqual(['session.restart', 'ringing', 'answered', 'transferred']);
    const persistedAfter = await query(a2.url, persisted);
    expect(persistedAfter.json.datamodel!.events.filter((e) => e.startsWith('p'))).toEqual(['p1', 'p2']);
    expect(persistedAfter.json.datamodel!.events.filter((e) => e === 'session.recovered')).toHaveLength(2);
  });

  it('epochs prove that no two processes were primary at once, across kills and restarts', async () => {
    const node = await newPair();
    const procs = [await node.start('a')];
    await node.primary();
    procs.push(await node.start('b'));
    const killedAt = new Map<string, number>();
    for (let round = 0; round < 3; round++) {
      const current = await node.primary();
      await new Promise((r) => setTimeout(r, 300));
      killedAt.set(current.name, Date.now());
      current.signal('SIGKILL');
      await current.exit();
      await node.primary();
      procs.push(await node.start(`r${round}`));
    }
    await new Promise((r) => setTimeout(r, 500));
    const tenures = procs.flatMap((proc) => {
      const out: { name: string; epoch: number; from: number; to: number }[] = [];
      proc.roles.forEach((change, i) => {
        if (change.role !== 'primary') return;
        // The same tenure may be reported twice (start-up line and subscription).
        if (out.some((t) => t.epoch === change.epoch)) return;
        const end = proc.roles.slice(i + 1).find((c) => c.role === 'backup')?.at ?? killedAt.get(proc.name) ?? Infinity;
        out.push({ name: proc.name, epoch: change.epoch, from: change.at, to: end });
      });
      return out;
    }).sort((x, y) => x.epoch - y.epoch);
    expect(tenures.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < tenures.length; i++) {
      expect(tenures[i]!.epoch).toBeGreaterThan(tenures[i - 1]!.epoch);
      expect(tenures[i]!.from).toBeGreaterThanOrEqual(tenures[i - 1]!.to);
    }
  });

  it('a primary frozen with SIGSTOP past its lease is fenced when it wakes: never 200 again, its sessions gone, it becomes backup', async () => {
    const node = await newPair();
    const a = await node.start('a');
    await node.primary();
    const b = await node.start('b');
    await syncedBackup(b);
    const id = await startSession(a.url, 'persisted.json');
    await new Promise((r) => setTimeout(r, 200));

    a.signal('SIGSTOP');
    expect(await node.primary()).toBe(b);
    await until(async () => ((await query(b.url, id)).status === 200 ? true : undefined), 'b recovers the session');
    a.signal('SIGCONT');
    // The very first answer after waking is already not-primary.
    const beat = await fetch(`${a.url}/heartbeat`);
    expect(beat.status).toBe(503);
    const late = await call(a.url, `/scxml/session/${id}/event/late`);
    expect([307, 503]).toContain(late.status); // 503 until it has re-read the lease, then 307
    await until(() => (a.role?.role === 'backup' ? true : undefined), 'a reports backup');
    const redirect = await until(async () => {
      const response = await fetch(`${a.url}/scxml/session/${id}/event/late`, { method: 'POST', redirect: 'manual' });
      return response.status === 307 ? response.headers.get('location') : undefined;
    }, 'a redirects to b');
    expect(redirect).toContain(b.url);
    const aBeat = (await fetch(`${a.url}/heartbeat`).then((r) => r.json())) as { sessions: number };
    expect(aBeat.sessions).toBe(0); // everything it ran was dropped when it learned it was deposed
    expect((await query(b.url, id)).json.datamodel!.events).not.toContain('late');
    const aEpoch = a.roles.find((r) => r.role === 'primary')!.epoch;
    const bEpoch = b.roles.find((r) => r.role === 'primary')!.epoch;
    expect(bEpoch).toBeGreaterThan(aEpoch);
    expect((await fetch(`${b.url}/heartbeat`)).status).toBe(200);
  });

  it('garbage and unauthenticated peers on the sync port crash nothing', async () => {
    const node = await newPair();
    const a = await node.start('a');
    await node.primary();
    const b = await node.start('b');
    await syncedBackup(b);
    const record = await new FileLeaseLock(String(node.flags['lease-dir'])).get();
    const [host, port] = record!.record.annotations['ors.dev/sync-address']!.split(':');
    const sockets: net.Socket[] = [];
    for (const payload of [Buffer.from('garbage\r\n\r\n'), Buffer.alloc(70_000, 0xff), Buffer.from([0, 0, 0, 5, 1, 2, 3, 4, 5])]) {
      const socket = net.connect({ host, port: Number(port) }, () => socket.write(payload));
      socket.on('error', () => {});
      sockets.push(socket);
    }
    // The primary hangs up on each of them and says why in its log.
    await until(() => ((a.stderr.match(/closing sync connection/g) ?? []).length >= 3 ? true : undefined), 'three refusals in the log');
    expect(a.stderr).toMatch(/exceeds the limit/);
    expect(a.stderr).toMatch(/not JSON/);
    for (const socket of sockets) socket.destroy();
    const id = await startSession(a.url, 'persisted.json');
    expect((await call(a.url, `/scxml/session/${id}/event/still-fine`)).status).toBe(200);
    expect(a.exited).toBe(false);
    // Persistence is asynchronous: wait until the snapshot with that event is in the store.
    const store = new FileSessionStore({ directory: String(node.flags['session-store-dir']) });
    await until(async () => {
      const saved = await store.load('node-0', id);
      return (saved?.snapshot as { data?: { events?: string[] } } | undefined)?.data?.events?.includes('still-fine') ? true : undefined;
    }, 'the snapshot in the store');
    // The real backup still follows: kill the primary and the session is recovered.
    a.signal('SIGKILL');
    expect(await node.primary()).toBe(b);
    await until(async () => ((await query(b.url, id)).status === 200 ? true : undefined), 'recovered after garbage');
  });

  it('the operator contract on the lease: the backup reports synced, and a requested step-down hands over at once without losing sessions', async () => {
    // A 60 s lease and a 10 s wait for b: b can only become primary in time through the step-down.
    const node = await newPair({ 'restart-session-on-switchover': 'true', 'lease-duration': 60_000, 'lease-renew-deadline': 45_000 });
    const a = await node.start('a');
    await node.primary();
    const b = await node.start('b');
    const lease = new FileLeaseLock(String(node.flags['lease-dir']));
    const syncState = await until(async () => {
      const value = (await lease.get())?.record.annotations['ors.dev/sync-state'];
      const parsed = value ? (JSON.parse(value) as { backup: string; primary: string; synced: boolean }) : undefined;
      return parsed?.synced ? parsed : undefined;
    }, 'the backup to report synced');
    expect(syncState).toMatchObject({ backup: 'b', primary: 'a', synced: true });

    const id = await startSession(a.url, 'restartable.json', { interactionid: 'call-9' });
    expect((await call(a.url, `/scxml/session/${id}/event/ringing`)).status).toBe(200);
    await lease.patchAnnotations({ 'ors.dev/step-down': 'a' });
    await until(async () => ((await fetch(`${b.url}/heartbeat`)).status === 200 ? true : undefined), 'b to become primary');
    const restarted = await until(async () => {
      const q = await query(b.url, id);
      return q.status === 200 && q.json.datamodel!.events.length >= 2 ? q : undefined;
    }, 'the session on the new primary');
    expect(restarted.json.datamodel!.events).toEqual(['session.restart', 'ringing']);
    expect(a.exited).toBe(false);
    await until(() => (a.role?.role === 'backup' ? true : undefined), 'a stays on as backup');
  });

  it('a lone primary that missed its renew deadline and wins its lease back restarts its own sessions under a new epoch', async () => {
    const node = await newPair({ 'restart-session-on-switchover': 'true' });
    const a = await node.start('a');
    await node.primary();
    const id = await startSession(a.url, 'restartable.json', { interactionid: 'call-5' });
    expect((await call(a.url, `/scxml/session/${id}/event/ringing`)).status).toBe(200);
    a.signal('SIGSTOP');
    await new Promise((r) => setTimeout(r, 1250)); // past the 1000 ms renew deadline, within the 1500 ms lease
    a.signal('SIGCONT');
    await until(() => (a.roles.some((r) => r.role === 'primary' && r.epoch === 2) ? true : undefined), 'a to lead again with epoch 2');
    const q = await until(async () => {
      const result = await query(a.url, id);
      return result.status === 200 && result.json.datamodel!.events.length >= 2 ? result : undefined;
    }, 'the session restarted');
    expect(q.json.datamodel!.events).toEqual(['session.restart', 'ringing']);
    expect(a.roles.some((r) => r.role === 'backup' && r.epoch === 1)).toBe(true); // it did step down in between
  });
});

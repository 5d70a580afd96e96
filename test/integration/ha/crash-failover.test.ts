// Crash failover on real processes (runtime/ha/FAILOVER.md): the lease here lasts 20 s, so
// a backup serving within a few seconds of a kill -9 can only have taken the lease on the
// crash evidence (sync connection gone, both ports refusing), never by expiry; a frozen
// primary (SIGSTOP: its sockets stay open) keeps the lease until it expires. During every
// takeover a client hammering the node never gets a 404 for a live session, and a killed
// process restarted with its identity and port never redirects to itself.
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../infra/wait-until.ts';
import { HaPair, type HaProcess } from '../../support/ha-pair.ts';
import { strategyDir } from '../../support/runtime-harness.ts';

const LEASE_MS = 20_000;
const RENEW_MS = 15_000;
const RETRY_MS = 500;

const strategies = {
  'persisted.json': JSON.stringify({ initial: 'waiting', persist: true, transitions: {} }),
};

let pair: HaPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

async function beat(proc: HaProcess): Promise<{ status: number; role?: string; epoch?: number; primaryUrl?: string } | undefined> {
  const response = await fetch(`${proc.url}/heartbeat`, { signal: AbortSignal.timeout(500) }).catch(() => undefined);
  if (!response) return undefined;
  return { status: response.status, ...((await response.json()) as { role?: string; epoch?: number; primaryUrl?: string }) };
}

function until<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  return waitUntil(async () => (await probe()) || undefined, { what, timeoutMs, intervalMs: 10 });
}

async function syncedBackupOf(primary: HaProcess, backup: HaProcess): Promise<void> {
  await until(async () => (await beat(backup))?.primaryUrl === primary.url || undefined, `${backup.name} to see ${primary.name}`);
  await new Promise((r) => setTimeout(r, 300));
}

async function startSession(url: string): Promise<string> {
  const response = await fetch(`${url}/scxml/session/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'src=persisted.json',
  });
  const body = (await response.json()) as { sessionid: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.sessionid;
}

/** A client querying `ids` on whichever process it is told to, never following redirects; records every answer. */
function hammer(target: () => HaProcess, ids: string[]) {
  const answers: { status: number; code?: string; location?: string; from: string; at: number }[] = [];
  let running = true;
  const done = (async () => {
    for (let n = 0; running; n++) {
      const proc = target();
      const id = ids[n % ids.length]!;
      const response = await fetch(`${proc.url}/scxml/session/${id}/query`, { redirect: 'manual', signal: AbortSignal.timeout(15_000) }).catch(() => undefined);
      if (response) {
        const text = await response.text();
        const code = response.status >= 400 && text ? (JSON.parse(text) as { error?: string }).error : undefined;
        answers.push({ status: response.status, ...(code ? { code } : {}), ...(response.headers.get('location') ? { location: response.headers.get('location')! } : {}), from: proc.url, at: Date.now() });
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return { answers, stop: async () => { running = false; await done; } };
}

describe('crash failover without waiting for the lease', () => {
  it('kill -9: the backup takes the lease at once with a new epoch; no 404 and no self-redirect meanwhile, also from the restarted process', async () => {
    pair = await HaPair.create(await strategyDir(strategies), { leaseMs: LEASE_MS, renewMs: RENEW_MS, retryMs: RETRY_MS });
    const a = await pair.start('a');
    await pair.primary();
    const b = await pair.start('b');
    await syncedBackupOf(a, b);
    const ids = [await startSession(a.url), await startSession(a.url), await startSession(a.url)];
    const epochBefore = (await beat(a))!.epoch!;

    let target = b; // the backup: 307 to a until the kill, then it answers itself
    const client = hammer(() => target, ids);
    await new Promise((r) => setTimeout(r, 200));
    const killedAt = Date.now();
    a.signal('SIGKILL');
    const promoted = await until(async () => {
      const answer = await beat(b);
      return answer?.status === 200 ? answer : undefined;
    }, 'the backup to serve', LEASE_MS);
    const servedAfterMs = Date.now() - killedAt;
    expect(promoted.epoch).toBe(epochBefore + 1);
    // By expiry it would have taken the lease duration: only the crash evidence explains this.
    expect(servedAfterMs).toBeLessThan(LEASE_MS / 2);
    await until(() => client.answers.some((x) => x.status === 200 && x.at > killedAt) || undefined, 'answers from the new primary');

    // The killed process comes back with the same identity and port: it is a backup that
    // redirects to b, never to itself.
    const a2 = await pair.start('a', { 'http-port': Number(new URL(a.url).port) });
    expect(a2.url).toBe(a.url);
    target = a2;
    await until(async () => (await beat(a2))?.primaryUrl === b.url || undefined, 'the restarted process to see b');
    await new Promise((r) => setTimeout(r, 300));
    await client.stop();

    const bad = client.answers.filter((x) => x.status === 404 || (x.status === 307 && x.location?.startsWith(x.from)) || x.status >= 500 && x.status !== 503);
    expect(bad, JSON.stringify(bad.slice(0, 5))).toEqual([]);
    const busy = client.answers.filter((x) => x.status === 503);
    for (const x of busy) expect(['recovering', 'no-primary']).toContain(x.code);
    expect(client.answers.filter((x) => x.status === 200).length).toBeGreaterThan(10);
    expect(new Set(b.roles.filter((r) => r.role === 'primary').map((r) => r.epoch))).toEqual(new Set([epochBefore + 1]));
  });

  it('SIGSTOP: a frozen primary keeps its sockets, so the backup waits for the lease to expire', async () => {
    pair = await HaPair.create(await strategyDir(strategies), { leaseMs: 4000, renewMs: 3000, retryMs: 250 });
    const a = await pair.start('a');
    await pair.primary();
    const b = await pair.start('b');
    await syncedBackupOf(a, b);
    const frozenAt = Date.now();
    a.signal('SIGSTOP');
    await until(async () => (await beat(b))?.status === 200 || undefined, 'the backup to serve after expiry', 20_000);
    // Not before the lease expired by b's clock: it last saw a renewal at most a retry period before the freeze.
    expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(4000 - 250);
    a.signal('SIGCONT');
    await until(() => a.role?.role === 'backup' || undefined, 'the thawed primary to find itself deposed');
  });
});

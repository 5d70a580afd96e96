// Failsafe (runtime/ha/FAILOVER.md) on real processes and a real control plane of this
// file's own (its kube-apiserver is stopped, so it cannot be the shared one): a node's two
// runtime processes elect through a Kubernetes Lease with the default timings (15/10/2 s).
// - kube-apiserver stopped for 60 s under load: the primary cannot renew, its backup vouches
//   for it over the sync port, and the node serves on: no failed request, no role change, no
//   session lost; metrics and the Lease annotation show the failsafe episode.
// - kube-apiserver stopped and the backup killed: nobody vouches, so the primary steps down
//   at its renew deadline, as without failsafe.
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILSAFE_ANNOTATION, parseFailsafeState } from '../../../operator/api/pod-contract.ts';
import { startControlPlane, type ControlPlane } from '../../infra/control-plane.ts';
import { createTestNamespace } from '../../infra/test-namespace.ts';
import { waitUntil } from '../../infra/wait-until.ts';
import { HaPair, type HaProcess } from '../../support/ha-pair.ts';
import { strategyDir } from '../../support/runtime-harness.ts';

const OUTAGE_MS = Number(process.env.ORS_FAILSAFE_OUTAGE_MS ?? 60_000);

let plane: ControlPlane;
let namespace: { name: string; remove: () => Promise<void> };
let kubeConfig: KubeConfig;

beforeAll(async () => {
  plane = await startControlPlane();
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(plane.adminKubeconfig);
  namespace = await createTestNamespace(kubeConfig, 'failsafe');
}, 120_000);

afterAll(async () => {
  await namespace?.remove().catch(() => undefined);
  await plane?.stop();
});

const strategies = {
  'persisted.json': JSON.stringify({ initial: 'waiting', persist: true, transitions: {} }),
};

async function pairOn(lease: string, timings: { leaseMs: number; renewMs: number; retryMs: number }): Promise<HaPair> {
  return HaPair.create(await strategyDir(strategies), {
    ...timings,
    extra: { lease: 'kubernetes', 'lease-name': lease, 'lease-namespace': namespace.name, 'session-store': 'memory' },
    env: { KUBECONFIG: plane.adminKubeconfig },
  });
}

const until = <T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000) =>
  waitUntil(async () => (await probe()) || undefined, { what, timeoutMs, intervalMs: 50 });

async function beat(proc: HaProcess) {
  const response = await fetch(`${proc.url}/heartbeat`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
  return response ? { status: response.status, ...((await response.json()) as { role: string; epoch: number; primaryUrl?: string; failsafe?: boolean }) } : undefined;
}

async function post(url: string, body = ''): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function failsafeGauge(proc: HaProcess): Promise<number | undefined> {
  const text = await fetch(`${proc.url}/metrics`).then((r) => r.text()).catch(() => '');
  const match = /^ors_ha_failsafe(?:\{[^}]*\})? (\d+)/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

describe('failsafe while the API server is away', () => {
  it(`kube-apiserver stopped ${OUTAGE_MS / 1000} s under load: 0 failed requests, 0 role changes, 0 sessions lost`, async () => {
    const pair = await pairOn('outage-node-0', { leaseMs: 15_000, renewMs: 10_000, retryMs: 2_000 });
    try {
      const a = await pair.start('a');
      await pair.primary(30_000);
      const b = await pair.start('b');
      await until(async () => (await beat(b))?.primaryUrl === a.url, 'the backup to follow a');
      await new Promise((r) => setTimeout(r, 500));
      const epoch = (await beat(a))!.epoch;

      // Load: new sessions and events to the ones already started, one request after another.
      const sessions: string[] = [];
      const failures: { status: number; json: unknown; at: number }[] = [];
      let requests = 0;
      let loading = true;
      const failed = (error: unknown): { status: number; json: Record<string, unknown> } => ({ status: 0, json: { error: String(error) } });
      const load = (async () => {
        for (let n = 0; loading; n++) {
          const starting = n % 4 === 0 || sessions.length === 0;
          const result = starting
            ? await post(`${a.url}/scxml/session/start`, 'src=persisted.json').catch(failed)
            : await post(`${a.url}/scxml/session/${sessions[n % sessions.length]}/event/tick`).catch(failed);
          requests++;
          const id = result.json.sessionid;
          if (result.status !== 200) failures.push({ ...result, at: Date.now() });
          else if (starting && typeof id === 'string') sessions.push(id);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await new Promise((r) => setTimeout(r, 2000));

      const stoppedAt = Date.now();
      await plane.stopApiServer();
      let sawFailsafe = false;
      while (Date.now() - stoppedAt < OUTAGE_MS) {
        const heartbeat = await beat(a);
        if (heartbeat?.failsafe && (await failsafeGauge(a)) === 1) sawFailsafe = true;
        await new Promise((r) => setTimeout(r, 1000));
      }
      await plane.startApiServer();
      // Renewals resume at the next retry; keep the load on a little longer.
      await until(async () => (await beat(a))?.failsafe !== true, 'the primary to renew again');
      await new Promise((r) => setTimeout(r, 3000));
      loading = false;
      await load;

      expect(failures, JSON.stringify({ count: failures.length, stoppedAt, first: failures.slice(0, 3), roles: [a.roles, b.roles] })).toEqual([]);
      expect(requests).toBeGreaterThan(100);
      expect(sawFailsafe).toBe(true);
      // No role change: a was primary at one epoch all along, b backup all along.
      const tenure = a.roles.slice(a.roles.findIndex((r) => r.role === 'primary'));
      expect(tenure.every((r) => r.role === 'primary' && r.epoch === epoch), JSON.stringify(a.roles)).toBe(true);
      expect(b.roles.every((r) => r.role === 'backup'), JSON.stringify(b.roles)).toBe(true);
      // No session lost.
      for (const id of sessions) {
        const query = await fetch(`${a.url}/scxml/session/${id}/query`);
        expect(query.status, id).toBe(200);
      }
      // The episode is on record for the operator.
      const lease = await kubeConfig.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'outage-node-0', namespace: namespace.name });
      // In the operator's own terms (the same parser computes OrsCluster status).
      const failsafe = parseFailsafeState(lease.metadata!.annotations![FAILSAFE_ANNOTATION]);
      expect(failsafe).toMatchObject({ primary: 'a', active: false });
      expect(Date.parse(failsafe!.until!) - Date.parse(failsafe!.since!)).toBeGreaterThan(OUTAGE_MS / 2);
    } finally {
      await pair.close();
    }
  }, OUTAGE_MS + 120_000);

  it('kube-apiserver stopped and the backup killed: the primary steps down at its renew deadline', async () => {
    const timings = { leaseMs: 6000, renewMs: 4000, retryMs: 500 };
    const pair = await pairOn('isolated-node-0', timings);
    try {
      const a = await pair.start('a');
      await pair.primary(30_000);
      const b = await pair.start('b');
      await until(async () => (await beat(b))?.primaryUrl === a.url, 'the backup to follow a');
      await new Promise((r) => setTimeout(r, 500));
      await plane.stopApiServer();
      const stoppedAt = Date.now();
      b.signal('SIGKILL');
      await until(async () => (await beat(a))?.role === 'backup', 'the primary to step down', 20_000);
      // Its last renewal was at most a retry period before the outage; it stops by that renewal + renew deadline.
      expect(Date.now() - stoppedAt).toBeLessThan(timings.renewMs + timings.retryMs + 1500);
      expect(a.roles.at(-1)?.role).toBe('backup');
    } finally {
      await plane.startApiServer();
      await pair.close();
    }
  }, 120_000);
});

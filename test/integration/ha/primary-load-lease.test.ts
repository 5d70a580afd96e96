// The primary's load report on a real coordination.k8s.io/v1 Lease (the shared
// kube-apiserver): two real runtime processes of one node elect through the Lease; the
// primary's ors.dev/primary-load names it and follows its live sessions and sync lag, the
// operator's reading (parsePrimaryLoad, currentPrimaryLoad) takes it as current, and after
// a handover the report is the new holder's.
import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentPrimaryLoad, parsePrimaryLoad, parseSyncState, PRIMARY_LOAD_ANNOTATION, SYNC_STATE_ANNOTATION, type PrimaryLoad } from '../../../operator/api/pod-contract.ts';
import { adminKubeConfig, sharedControlPlane } from '../../infra/shared-control-plane.ts';
import { createTestNamespace } from '../../infra/test-namespace.ts';
import { waitUntil } from '../../infra/wait-until.ts';
import { HaPair, type HaProcess } from '../../support/ha-pair.ts';
import { strategyDir } from '../../support/runtime-harness.ts';

const LEASE = 'load-node-0';
let namespace: { name: string; remove: () => Promise<void> };
let pair: HaPair | undefined;

beforeAll(async () => {
  namespace = await createTestNamespace(adminKubeConfig(), 'ha-load');
});
afterAll(async () => {
  await pair?.close();
  await namespace?.remove();
});

async function readLease(): Promise<V1Lease> {
  return adminKubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ name: LEASE, namespace: namespace.name });
}

/** The Lease's load report once it says what `wanted` asks, judged as the operator does. */
async function loadReport(what: string, wanted: (load: PrimaryLoad, lease: V1Lease) => boolean): Promise<{ load: PrimaryLoad; lease: V1Lease }> {
  let last: unknown;
  return waitUntil(async () => {
    const lease = await readLease();
    last = lease.metadata?.annotations;
    const load = currentPrimaryLoad(parsePrimaryLoad(lease.metadata?.annotations?.[PRIMARY_LOAD_ANNOTATION]), lease.spec?.holderIdentity, lease.spec?.leaseDurationSeconds, new Date());
    return load && wanted(load, lease) ? { load, lease } : undefined;
  }, { what: `${what} (the Lease's annotations were ${JSON.stringify(last)})`, timeoutMs: 20_000, intervalMs: 100 });
}

async function post(url: string, body = ''): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, signal: AbortSignal.timeout(10_000) });
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function heartbeat(proc: HaProcess): Promise<{ role: string; primaryUrl?: string } | undefined> {
  const response = await fetch(`${proc.url}/heartbeat`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
  return response ? ((await response.json()) as { role: string; primaryUrl?: string }) : undefined;
}

describe('the primary\'s load on its Kubernetes Lease', () => {
  it('names the holder and follows its sessions and sync lag; after a handover it is the new holder\'s', async () => {
    pair = await HaPair.create(await strategyDir({ 'persisted.json': JSON.stringify({ initial: 'waiting', persist: true, transitions: {} }) }), {
      leaseMs: 4000, renewMs: 3000, retryMs: 300,
      extra: { lease: 'kubernetes', 'lease-name': LEASE, 'lease-namespace': namespace.name, 'session-store': 'memory' },
      env: { KUBECONFIG: sharedControlPlane().kubeconfig },
    });
    const a = await pair.start('load-a');
    await pair.primary(20_000);
    const b = await pair.start('load-b');
    await waitUntil(async () => ((await heartbeat(b))?.primaryUrl === a.url ? true : undefined), { what: 'b to follow a', timeoutMs: 20_000 });

    const idle = await loadReport('a\'s report of no sessions', (load) => load.primary === 'load-a' && load.sessions === 0);
    expect(idle.lease.spec?.holderIdentity).toBe('load-a');

    const sessions: string[] = [];
    for (let i = 0; i < 3; i++) sessions.push((await post(`${a.url}/scxml/session/start`, 'src=persisted.json')).sessionid as string);
    const busy = await loadReport('a\'s report of 3 sessions', (load) => load.sessions === 3);
    expect(busy.load).toMatchObject({ primary: 'load-a', sessions: 3, syncLagMs: expect.any(Number) });
    expect(busy.load.syncLagMs).toBeGreaterThanOrEqual(0);
    expect(Date.now() - Date.parse(busy.load.at)).toBeLessThan(2 * 4000);
    // The backup's own report stands beside it: the status page pairs the two (synced -> the primary's lag).
    expect(parseSyncState(busy.lease.metadata?.annotations?.[SYNC_STATE_ANNOTATION])).toMatchObject({ backup: 'load-b', primary: 'load-a', synced: true });

    await post(`${a.url}/scxml/session/${sessions[0]}/terminate`);
    await loadReport('a\'s report of 2 sessions after one ended', (load) => load.primary === 'load-a' && load.sessions === 2);
    // The report changes with the renewals (a fresh `at`), nothing else does it.
    const later = await loadReport('a newer report', (load) => Date.parse(load.at) > Date.parse(busy.load.at));
    expect(later.load.sessions).toBe(2);

    // Handover: a releases (SIGTERM), b takes the Lease and recovers the two persisted sessions.
    a.signal('SIGTERM');
    await a.exit();
    const handedOver = await loadReport('b\'s report after the handover', (load, lease) => lease.spec?.holderIdentity === 'load-b' && load.primary === 'load-b' && load.sessions === 2);
    expect(handedOver.load.syncLagMs).toBe(0); // nobody connected to b's sync port

    // The last holder releases: its report goes with its other holder keys.
    b.signal('SIGTERM');
    await b.exit();
    const released = await readLease();
    expect(released.spec?.holderIdentity ?? '').toBe('');
    expect(released.metadata?.annotations?.[PRIMARY_LOAD_ANNOTATION]).toBeUndefined();
    expect(released.metadata?.annotations?.['ors.dev/http-url']).toBeUndefined();
  });
});

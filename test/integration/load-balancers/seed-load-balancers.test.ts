// The ORS load-balancing guide's two-tier layouts, configured as printed, with the real
// Apache httpd 2.4 (mod_proxy_balancer routes by `route=<node id>` from ORSSESSIONID,
// mod_proxy_hcheck on GET /heartbeat per node) and the real HAProxy (stick table on
// ORSSESSIONID, httpchk GET /heartbeat per node), over a local cluster of runtime pairs:
// session requests reach their owning node without a 307, and a kill -9 of a primary
// makes requests fail only while that node has no primary (plus the balancer's
// health checks to notice the new one: FAILOVER_GRACE_MS). bench/load-balancers.bench.ts records
// the same figures in bench/REPORT.md.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { FAILOVER_GRACE_MS, PERSISTED_COUNTER_SCXML, PERSISTED_COUNTER_SCXML_NAME, killPrimaryUnderLoad, startSeedSetup, type SeedBalancerKind, type SeedSetup } from '../../support/seed-load-balancers.ts';
import { measureSessionRouting } from '../../support/session-routing-load.ts';

const SESSIONS = 200;
const REQUESTS_PER_SESSION = 7;
const LEASE_MS = 5000;

let strategiesDir = '';
beforeAll(async () => {
  strategiesDir = await mkdtemp(path.join(os.tmpdir(), 'ors-lb-strategies-'));
  await writeFile(path.join(strategiesDir, PERSISTED_COUNTER_SCXML_NAME), PERSISTED_COUNTER_SCXML);
});
afterAll(async () => {
  if (strategiesDir) await rm(strategiesDir, { recursive: true, force: true });
});

describe.each<SeedBalancerKind>(['apache', 'haproxy'] as const)('the guide\'s two-tier %s over a local cluster', (kind) => {
  let setup: SeedSetup | undefined;
  beforeAll(async () => {
    setup = await startSeedSetup(kind, { nodes: 3, strategiesDir, leaseDurationMs: LEASE_MS });
  });
  afterAll(async () => {
    await setup?.stop();
  });

  it(`sends >= 99% of ${SESSIONS} sessions x ${REQUESTS_PER_SESSION} requests straight to the owning node, none failing`, async () => {
    const tally = await measureSessionRouting(setup!.frontUrl, {
      strategy: PERSISTED_COUNTER_SCXML_NAME,
      sessions: SESSIONS,
      requestsPerSession: REQUESTS_PER_SESSION,
      concurrency: 8,
    });
    onTestFailed(() => console.error(kind, JSON.stringify({ ...tally, failures: tally.failures.slice(0, 10) })));
    const total = tally.direct + tally.redirected + tally.failed;
    expect(total).toBe(SESSIONS * REQUESTS_PER_SESSION);
    expect(tally.failed).toBe(0);
    expect(tally.direct / total).toBeGreaterThanOrEqual(0.99);
  });

  it('after kill -9 of a primary, fails requests only while the node has no primary (and until the balancer\'s next checks see the new one)', async () => {
    const run = await killPrimaryUnderLoad(setup!, {
      node: 1,
      strategy: PERSISTED_COUNTER_SCXML_NAME,
      sessionsPerNode: 3,
      settleMs: 3000,
      graceMs: FAILOVER_GRACE_MS,
    });
    onTestFailed(() => console.error(kind, JSON.stringify({ killedAt: run.killedAt, primaryBackAt: run.primaryBackAt, late: run.lateFailures.slice(0, 5), direct: run.tally.direct, redirected: run.tally.redirected, failed: run.tally.failed })));
    expect(run.lateFailures).toEqual([]);
    for (const failure of run.tally.failures) expect(failure.at).toBeGreaterThanOrEqual(run.killedAt);
    // Only the killed node's sessions may fail; the others' requests keep being served.
    for (const failure of run.tally.failures) expect(failure.session.endsWith('.node-1'), failure.session).toBe(true);
    expect(run.tally.direct).toBeGreaterThan(run.tally.sent * 0.5);
  });
});

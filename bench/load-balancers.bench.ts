// The ORS load-balancing guide's two-tier layouts with the real Apache httpd 2.4 and the
// real HAProxy over a local cluster (3 nodes x primary/backup): where 200 sessions x 7
// requests land (straight at the owning node, redirected by a 307, failed), against
// the same Apache layout without `stickysession` (what a balancer does without the
// route), and what a kill -9 of a primary costs. The figures the integration test
// test/integration/load-balancers/seed-load-balancers.test.ts asserts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchFigure, BenchSuite } from './figure.ts';
import {
  FAILOVER_GRACE_MS, PERSISTED_COUNTER_SCXML, PERSISTED_COUNTER_SCXML_NAME, killPrimaryUnderLoad, startSeedSetup, type FailoverRun, type SeedBalancerKind,
} from '../test/support/seed-load-balancers.ts';
import { measureSessionRouting, type RoutingTally } from '../test/support/session-routing-load.ts';

const SESSIONS = Number(process.env.ORS_BENCH_LB_SESSIONS ?? 200);
const REQUESTS_PER_SESSION = 7;
const NODES = 3;
const LEASE_MS = 5000;

const firstFailure = (t: RoutingTally) => (t.failures[0] ? `; first failure: ${t.failures[0].what.replaceAll('|', '/').replaceAll('\n', ' ').slice(0, 120)}` : '');
const lastFailureLag = (f: FailoverRun) => {
  const last = Math.max(...f.tally.failures.map((x) => x.at));
  return f.tally.failures.length === 0 ? 'none' : `${last - f.primaryBackAt} ms after it had one again`;
};
const share = (t: RoutingTally) => (100 * t.direct) / Math.max(1, t.direct + t.redirected + t.failed);

async function routing(kind: SeedBalancerKind, strategiesDir: string, withFailover: boolean) {
  const setup = await startSeedSetup(kind, { nodes: NODES, strategiesDir, leaseDurationMs: LEASE_MS });
  try {
    const tally = await measureSessionRouting(setup.frontUrl, {
      strategy: PERSISTED_COUNTER_SCXML_NAME,
      sessions: SESSIONS,
      requestsPerSession: REQUESTS_PER_SESSION,
      concurrency: 8,
    });
    const failover = withFailover
      ? await killPrimaryUnderLoad(setup, { node: 1, strategy: PERSISTED_COUNTER_SCXML_NAME, sessionsPerNode: 3, settleMs: 3000, graceMs: FAILOVER_GRACE_MS })
      : undefined;
    return { tally, failover };
  } finally {
    await setup.stop();
  }
}

const suite: BenchSuite = {
  title: 'Load balancers of the ORS guide (two tiers) over a local cluster: session routing and kill -9',
  async run() {
    const strategiesDir = await mkdtemp(path.join(os.tmpdir(), 'ors-bench-lb-'));
    await writeFile(path.join(strategiesDir, PERSISTED_COUNTER_SCXML_NAME), PERSISTED_COUNTER_SCXML);
    try {
      const baseline = (await routing('apache-unsticky', strategiesDir, false)).tally;
      const figures: BenchFigure[] = [];
      const requests = `${SESSIONS} sessions x ${REQUESTS_PER_SESSION} requests, ${NODES} nodes`;
      for (const kind of ['apache', 'haproxy'] as const) {
        const label = kind === 'apache' ? 'Apache httpd (route=<node id>, stickysession=ORSSESSIONID, mod_proxy_hcheck)' : 'HAProxy (stick table + session rules, httpchk)';
        const { tally, failover } = await routing(kind, strategiesDir, true);
        const f = failover!;
        figures.push(
          {
            name: `${label}: session requests straight to the owning node (${requests}; ${tally.direct} direct / ${tally.redirected} redirected / ${tally.failed} failed${firstFailure(tally)})`,
            value: share(tally),
            unit: '%',
            better: 'higher',
            baseline: {
              name: `Apache without stickysession: ${baseline.direct} / ${baseline.redirected} / ${baseline.failed} (failed: still on a wrong node after 3 redirects)`,
              value: share(baseline),
            },
            target: '>= 99%, 0 failed',
            met: share(tally) >= 99 && tally.failed === 0,
          },
          {
            name: `${label}: kill -9 of node-1's primary under load (9 sessions, every 20 ms): requests failed (${f.tally.direct} direct / ${f.tally.redirected} redirected / ${f.tally.failed} failed; node without a primary for ${f.primaryBackAt - f.killedAt} ms; last failure ${lastFailureLag(f)})`,
            value: f.tally.failed,
            unit: 'requests',
            better: 'lower',
            target: `only while no primary serves (+ ${FAILOVER_GRACE_MS} ms, two health checks): ${f.lateFailures.length} later`,
            met: f.lateFailures.length === 0 && f.tally.failures.every((x) => x.session.endsWith('.node-1')),
          },
        );
      }
      return figures;
    } finally {
      await rm(strategiesDir, { recursive: true, force: true });
    }
  },
};

export default suite;

// The load balancers of the ORS load-balancing guide (DESIGN §4), configured as it prints
// them, in front of a local cluster (runtime/local): two tiers, an external balancer over
// one balancer per node, each over that node's primary and backup.
//
// - Apache httpd: the external balancer sticks by route (`route=<node id>`,
//   `stickysession=ORSSESSIONID`: the part of the cookie value after its first "."); each
//   per-node balancer health-checks its members with mod_proxy_hcheck on GET /heartbeat.
// - HAProxy: the external tier sticks on ORSSESSIONID (stick table) and routes requests
//   naming a session to its node (runtime/local's rules); each per-node tier has
//   `option httpchk GET /heartbeat`.
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../infra/free-port.ts';
import { startApacheHttpd, type ApacheHttpd } from '../infra/apache-httpd.ts';
import { startHaproxy, type Haproxy } from '../infra/haproxy.ts';
import { serverBinary } from '../infra/server-binaries.ts';
import { sessionRoutingLines } from '../../runtime/local/haproxy-config.ts';
import { LocalCluster } from '../../runtime/local/local-cluster.ts';
import { emptyTally, keepSending, sendSessionRequest, startSession, type RoutingTally, type SessionHandle } from './session-routing-load.ts';
import { waitUntil } from '../infra/wait-until.ts';

export interface SeedNode {
  id: string;
  /** The node's primary and backup (either order), host:port. */
  members: string[];
}

const tierPort = (id: string) => `tier-${id}`;

/** Health-check period of the per-node tiers, ms (mod_proxy_hcheck counts in seconds). */
export const CHECK_INTERVAL_MS = 1000;

/**
 * How long after a node has a primary again its requests may still fail: the balancer
 * sees the new primary at its next passing check, which a loaded machine may run up to
 * one period late.
 */
export const FAILOVER_GRACE_MS = 2 * CHECK_INTERVAL_MS;

/** The guide's two-tier mod_proxy_balancer layout (virtual hosts; httpd.conf adds modules and Listen). */
export function apacheTwoTierSections(nodes: readonly SeedNode[], ports: Record<string, number>, sticky = true): string {
  const lines: string[] = [];
  for (const node of nodes) {
    lines.push(
      `<VirtualHost 127.0.0.1:${ports[tierPort(node.id)]}>`,
      `  <Proxy "balancer://${node.id}">`,
      ...node.members.map(
        // hcfails=2: one check that a loaded machine answers late does not take a primary out.
        (m) => `    BalancerMember "http://${m}" hcmethod=GET hcuri=/heartbeat hcinterval=${CHECK_INTERVAL_MS / 1000} hcpasses=1 hcfails=2 retry=1`,
      ),
      '  </Proxy>',
      `  ProxyPass "/" "balancer://${node.id}/"`,
      '</VirtualHost>',
      '',
    );
  }
  lines.push(
    `<VirtualHost 127.0.0.1:${ports.front}>`,
    '  <Proxy "balancer://ors">',
    ...nodes.map((node) => `    BalancerMember "http://127.0.0.1:${ports[tierPort(node.id)]}" route=${node.id}`),
    ...(sticky ? ['    ProxySet stickysession=ORSSESSIONID'] : []),
    '  </Proxy>',
    '  ProxyPass "/" "balancer://ors/"',
    '</VirtualHost>',
  );
  return lines.join('\n');
}

/** The guide's two tiers in HAProxy: frontend + external backends, then one `listen` per node. */
export function haproxyTwoTierSections(nodes: readonly SeedNode[], ports: Record<string, number>): string {
  // fall 2: one check that a loaded machine answers late does not take a primary out.
  const check = `check inter ${CHECK_INTERVAL_MS} fastinter ${CHECK_INTERVAL_MS} downinter ${CHECK_INTERVAL_MS} rise 1 fall 2`;
  const sections = [
    [
      'frontend ors',
      `  bind 127.0.0.1:${ports.front}`,
      ...sessionRoutingLines(nodes.map((n) => n.id), (id) => `external-${id}`),
      '  default_backend external',
    ].join('\n'),
    [
      'backend external',
      '  balance roundrobin',
      '  option httpchk GET /heartbeat',
      '  timeout check 5s',
      '  stick-table type string len 96 size 1m expire 1h',
      '  stick on req.cook(ORSSESSIONID)',
      '  stick store-response res.cook(ORSSESSIONID)',
      ...nodes.map((n) => `  server ${n.id} 127.0.0.1:${ports[tierPort(n.id)]} ${check}`),
    ].join('\n'),
    // A node's sessions have nowhere else to go: no check (its tier answers 503 itself
    // while the node has no primary), so a check answered late cannot take the node out.
    ...nodes.map((n) => [`backend external-${n.id}`, `  server ${n.id} 127.0.0.1:${ports[tierPort(n.id)]}`].join('\n')),
    ...nodes.map((n) =>
      [
        `listen ${n.id}`,
        `  bind 127.0.0.1:${ports[tierPort(n.id)]}`,
        '  option httpchk GET /heartbeat',
        '  timeout check 5s',
        '  option redispatch',
        '  retries 3',
        '  retry-on conn-failure empty-response',
        ...n.members.map((m, i) => `  server ${n.id}-${i} ${m} ${check}`),
      ].join('\n'),
    ),
  ];
  return sections.join('\n\n') + '\n';
}

/**
 * True once every per-node tier serves a session of its node five times in a row straight
 * from the primary (no 307 from a backup, none failed): the tiers' health checks have seen
 * every backup. (Through the front a balancer without stickiness would redirect anyway.)
 */
async function settled(frontUrl: string, tierUrls: ReadonlyMap<string, string>): Promise<true | undefined> {
  const sessions = new Map<string, SessionHandle>();
  for (let i = 0; i < tierUrls.size * 6 && sessions.size < tierUrls.size; i++) {
    const session = await startSession(frontUrl, PERSISTED_COUNTER_SCXML_NAME).catch(() => undefined);
    if (!session) return undefined;
    sessions.set(session.id.slice(session.id.indexOf('.') + 1), session);
  }
  if (sessions.size < tierUrls.size) return undefined;
  for (const [node, session] of sessions) {
    const tally = emptyTally();
    for (let n = 0; n < 5; n++) await sendSessionRequest(tierUrls.get(node)!, session, n, tally);
    if (tally.direct !== 5) return undefined;
  }
  return true;
}

/** 'apache-unsticky' is the Apache layout without stickysession: the baseline of what the route buys. */
export type SeedBalancerKind = 'apache' | 'haproxy' | 'apache-unsticky';

export interface SeedSetup {
  cluster: LocalCluster;
  frontUrl: string;
  stop(): Promise<void>;
}

/**
 * A local cluster of `nodes` pairs (`ors local`'s processes, file leases and stores, the
 * persisted strategies in `strategiesDir`) behind the guide's two tiers of `kind`, whose
 * front is every node's external-url (so a 307 comes back through it).
 */
export async function startSeedSetup(kind: SeedBalancerKind, options: { nodes: number; strategiesDir: string; leaseDurationMs: number }): Promise<SeedSetup> {
  const frontPort = await freePort();
  const frontUrl = `http://127.0.0.1:${frontPort}`;
  const cluster = new LocalCluster({
    nodes: options.nodes,
    host: '127.0.0.1',
    port: 0,
    leaseDurationMs: options.leaseDurationMs,
    renewDeadlineMs: Math.round(options.leaseDurationMs * 0.66),
    retryPeriodMs: 150,
    restartDelayMs: 500,
    runtimeArgs: ['--strategies-dir', options.strategiesDir, '--log-level', 'warn'],
    haproxyBinary: serverBinary('haproxy'),
    log: () => {},
    externalUrl: frontUrl,
    startTimeoutMs: 120_000,
  });
  let balancer: ApacheHttpd | Haproxy | undefined;
  try {
    await cluster.start();
    const nodes: SeedNode[] = Array.from({ length: options.nodes }, (_, node) => ({
      id: `node-${node}`,
      members: cluster.processes.filter((p) => p.node === node).map((p) => `127.0.0.1:${p.port}`),
    }));
    const portNames = nodes.map((n) => tierPort(n.id));
    balancer =
      kind !== 'haproxy'
        ? await startApacheHttpd(portNames, (ports) => apacheTwoTierSections(nodes, ports, kind === 'apache'), { ports: { front: frontPort } })
        : await startHaproxy(portNames, (ports) => haproxyTwoTierSections(nodes, { ...ports, front: frontPort }));
    // Until the balancer's own checks have seen every primary and every backup, a tier may
    // still send a request to a backup: measure only the settled layout.
    const tiers = new Map(nodes.map((n) => [n.id, `http://127.0.0.1:${balancer!.ports[tierPort(n.id)]}`]));
    await waitUntil(() => settled(frontUrl, tiers), { what: `the ${kind} tiers to settle`, timeoutMs: 30_000, intervalMs: 200 });
  } catch (error) {
    await balancer?.stop();
    await cluster.stop();
    throw error;
  }
  const lb = balancer;
  return {
    cluster,
    frontUrl,
    async stop() {
      await lb.stop();
      await cluster.stop();
    },
  };
}

/** The file name startSeedSetup's callers give PERSISTED_COUNTER_SCXML in their strategies directory. */
export const PERSISTED_COUNTER_SCXML_NAME = 'counter.scxml';

/** A persisted strategy whose every `go` counts: survives a failover with its data. */
export const PERSISTED_COUNTER_SCXML = `<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="main" _persist="true">
  <datamodel><data id="count" expr="0"/></datamodel>
  <state id="main"><transition event="go" type="internal"><assign location="count" expr="count + 1"/></transition></state>
</scxml>`;

export interface FailoverRun {
  tally: RoutingTally & { sent: number };
  killedAt: number;
  /** When a process of the node first answered /heartbeat 200 again. */
  primaryBackAt: number;
  /** Failures later than primaryBackAt + one health-check interval of the balancer (should be none). */
  lateFailures: RoutingTally['failures'];
}

/**
 * kill -9 of `node`'s primary while `sessionsPerNode` sessions of every node keep sending
 * requests through the front; ends `settleMs` after the node has a primary again.
 */
export async function killPrimaryUnderLoad(
  setup: SeedSetup,
  options: { node: number; strategy: string; sessionsPerNode: number; settleMs: number; graceMs: number },
): Promise<FailoverRun> {
  const nodes = setup.cluster.options.nodes;
  const byNode = new Map<string, SessionHandle[]>();
  for (let tries = 0; [...byNode.values()].reduce((n, s) => n + Math.min(s.length, options.sessionsPerNode), 0) < nodes * options.sessionsPerNode; tries++) {
    if (tries > nodes * options.sessionsPerNode * 20) throw new Error('sessions do not spread over the nodes');
    const session = await startSession(setup.frontUrl, options.strategy);
    const owner = session.id.slice(session.id.indexOf('.') + 1);
    const list = byNode.get(owner) ?? [];
    if (list.length < options.sessionsPerNode) list.push(session);
    byNode.set(owner, list);
  }
  let done = false;
  const sending = keepSending(setup.frontUrl, [...byNode.values()].flat(), { pauseMs: 20, until: () => done });
  await sleep(500);
  const killedAt = Date.now();
  const killed = await setup.cluster.kill(options.node);
  if (!killed.startsWith('killed')) throw new Error(killed);
  let primaryBackAt = 0;
  const deadline = killedAt + 30_000;
  while (!primaryBackAt) {
    if (Date.now() > deadline) throw new Error(`node-${options.node} had no primary 30 s after the kill`);
    if (await setup.cluster.primaryOf(options.node)) primaryBackAt = Date.now();
    else await sleep(25);
  }
  await sleep(options.settleMs);
  done = true;
  const tally = await sending;
  return { tally, killedAt, primaryBackAt, lateFailures: tally.failures.filter((f) => f.at > primaryBackAt + options.graceMs) };
}

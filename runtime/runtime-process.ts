// One ORS runtime process: configuration in, a listening REST API out. Wires the role
// source, the strategy loader, the session host and the HTTP server, and shuts them
// down gracefully (stop accepting, finish in-flight requests, drain queues, stop).
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import pino, { type Logger } from 'pino';
import { engineThreadCount, type RuntimeConfig } from './config/runtime-options.ts';
import { FileRoleSource } from './ha/file-role-source.ts';
import type { RoleSource } from './ha/role-source.ts';
import { StaticRoleSource } from './ha/static-role-source.ts';
import type { HighAvailability } from './ha/high-availability.ts';
import { withPodEnvironment } from './ha/pod-environment.ts';
import { apiAccessFromConfig } from './http/api-access.ts';
import { advertisedHttpUrl } from './http/advertised-url.ts';
import { createApiServer } from './http/api-server.ts';
import { openApiDocument } from './http/openapi.ts';
import type { ApiContext } from './http/session-api.ts';
import { createRuntimeMetrics, interactionMetrics, type RuntimeMetrics } from './metrics/runtime-metrics.ts';
import { SessionHost } from './sessions/session-host.ts';
import type { StrategyEngine } from './sessions/strategy-engine.ts';
import { StrategyLoader } from './sessions/strategy-loader.ts';
import { TelephonyActions } from './telephony/telephony-actions.ts';
import { startTelephonyClient, type TelephonyClient } from './telephony/telephony-client.ts';
import { followTreatmentSync, haTreatmentSink, recordFromSync } from './telephony/treatment-sync.ts';

export interface RuntimeProcessOptions {
  config: RuntimeConfig;
  engine: StrategyEngine;
  /** Replaces the role source the configuration describes (the HA issue passes a Lease one). */
  roles?: RoleSource;
  logger?: Logger;
  /** Bound to the telephony client when `telephony-url` is set (the engine's dialog/ixn elements use it). */
  telephony?: TelephonyActions;
  /** Runs strategy code on the I/O thread even when the engine could use engine threads (the bench's baseline). */
  inThreadEngine?: boolean;
}

export interface RuntimeProcess {
  readonly config: RuntimeConfig;
  readonly host: SessionHost;
  readonly roles: RoleSource;
  readonly metrics: RuntimeMetrics;
  readonly server: Server;
  /** The base URL the API listens on (http://host:port). */
  readonly url: string;
  /** The connection to the telephony server, when `telephony-url` is set. */
  readonly telephony: TelephonyClient | undefined;
  /** Leader election, sync and recovery, when the configuration asks for a lease. */
  readonly ha?: HighAvailability;
  /** Graceful: stop accepting, finish in-flight requests, drain, stop. Idempotent. */
  stop(): Promise<void>;
}

export function roleSourceFromConfig(config: RuntimeConfig, logger: Logger): RoleSource {
  if (config['role-file']) {
    return new FileRoleSource(config['role-file'], { onInvalid: (message) => logger.warn(message) });
  }
  return new StaticRoleSource({
    role: config.role,
    epoch: 0,
    ...(config['primary-url'] ? { primaryUrl: config['primary-url'] } : {}),
  });
}

export async function startRuntime(options: RuntimeProcessOptions): Promise<RuntimeProcess> {
  const { config, engine } = options;
  const logger = options.logger ?? pino({ level: config['log-level'], base: { node: config['node-id'] } });
  // First: a configuration that would leave the API open by accident stops the start here.
  const access = apiAccessFromConfig(config, logger);
  const metrics = createRuntimeMetrics({ node: config['node-id'] });
  metrics.maxSessions.set(config['max-sessions']);
  const haConfig = withPodEnvironment(config, process.env);
  const prepared =
    !options.roles && haConfig.lease !== 'none'
      ? await (await import('./ha/start-high-availability.ts')).prepareHighAvailability(haConfig, logger, metrics.registry)
      : undefined;
  const roles = options.roles ?? prepared?.roles ?? roleSourceFromConfig(config, logger);
  await roles.start();
  roles.subscribe((state) => logger.info({ role: state.role, epoch: state.epoch }, 'role changed'));

  const loader = new StrategyLoader({
    engine,
    applications: config.applications,
    strategiesDir: config['strategies-dir'],
    cacheSize: config['document-cache-size'],
    fetchTimeoutMs: config['fetch-timeout'],
    urlPrefixes: config['src-url-prefixes'],
    maxDocumentSize: config['max-document-size'],
  });
  const telephonyActions = options.telephony ?? new TelephonyActions();
  const host = new SessionHost({
    nodeId: config['node-id'],
    sessionIdWithNodeId: config['sessionid-with-nodeid'],
    maxSessions: config['max-sessions'],
    maxQueueLength: config['max-queue-length'],
    requestTimeoutMs: config['request-timeout'],
    fetchTimeoutMs: config['fetch-timeout'],
    loader,
    metrics,
    logger,
    ...(engine.threadEntry ? { threadEntry: engine.threadEntry } : {}),
    engineThreads: engineThreadCount(config),
    inThread: options.inThreadEngine === true,
    macrostepBudgetMs: config['macrostep-budget'],
    macrostepHardLimitMs: config['macrostep-hard-limit'],
    engineThreadHeapMb: config['session-processing-thread-heap'],
    telephony: telephonyActions,
  });
  const nodeUrls = { ...config['node-urls'] };
  if (config['external-url']) nodeUrls[config['node-id']] = config['external-url'];
  const ctx: ApiContext = {
    host,
    roles,
    table: { nodeId: config['node-id'], nodeUrls },
    maxBodySize: config['max-body-size'],
    maxJsonDepth: config['max-json-depth'],
    openApi: openApiDocument({ auth: config.auth, metricsAuth: config['metrics-auth'], maxJsonDepth: config['max-json-depth'], applications: Object.keys(config.applications) }),
    heartbeatBackupStatus: config['heartbeat-backup-status'],
    metrics,
    logger,
  };
  const server = createApiServer(ctx, access);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config['http-port'], config['http-host'], () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const scheme = access.tls ? 'https' : 'http';
  const url = advertisedHttpUrl(scheme, address.address, address.port, undefined);
  // What backups send clients to: this address, or the node's external-url when bound to every address.
  const ha = prepared?.attach(host, advertisedHttpUrl(scheme, address.address, address.port, config['external-url']));
  if (ha) ctx.takeover = ha.takeoverGate(config['request-timeout']);
  // Every process (primary and backup) follows the telephony server; with HA, treatment
  // state goes to the backup over the sync port and HA restarts sessions on switchover.
  const telephony = config['telephony-url']
    ? startTelephonyClient({
        config,
        url: config['telephony-url'],
        host,
        roles,
        actions: telephonyActions,
        logger,
        haManagesRecovery: ha !== undefined,
        interactionMetrics: interactionMetrics(metrics),
        ...(ha ? { treatmentSync: haTreatmentSink(ha) } : {}),
      })
    : undefined;
  if (ha && telephony && prepared) {
    // One gate for treatment ends: the agent completes what was playing at a promotion
    // (HA's replica) and also hears the server's own ends; its ledger follows the sync.
    ha.delegateTreatmentEnds((treatments) => telephony.agent.completeSyncedTreatments(treatments.flatMap((t) => recordFromSync(t) ?? [])));
    followTreatmentSync(prepared.syncClient, telephony.agent.treatments);
    // A finished multimedia session's record stays until its completion is acknowledged.
    ha.holdRecordsUntil((sessionId) => telephony.puller.completionOf(sessionId));
    ha.onRecovery((report) => {
      telephony.agent.adoptRecoveredSessions();
      if (config['restart-session-on-switchover']) telephony.agent.restartOrphanedCalls();
      // The interactions the node holds carry on here (recovered sessions) before any pull.
      telephony.puller.adoptRecoveredSessions(report.sessions);
    });
  }
  logger.info({ url, role: roles.current().role }, 'ors runtime listening');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down: no new connections, finishing in-flight requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timeout = config['shutdown-timeout'];
      const forced = setTimeout(() => server.closeAllConnections(), timeout);
      await telephony?.stop();
      await host.drain(timeout);
      await closed;
      clearTimeout(forced);
      // Persisted sessions were snapshotted at their last stable point; closing them here
      // is a hand-over ('shutdown'), not their end, so the backup recovers them.
      await host.close();
      await roles.stop();
      await prepared?.stop();
      access.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { config, host, roles, metrics, server, url, telephony, ha, stop };
}

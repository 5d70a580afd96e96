// The telephony module every runtime process runs (primary and backup alike): one
// connection to the telephony server, the voice agent that follows every call, and the
// interaction puller that works only while this process is primary.
import type { Logger } from 'pino';
import { sessionProcessingThreads, type RuntimeConfig } from '../config/runtime-options.ts';
import type { RoleSource } from '../ha/role-source.ts';
import type { SessionHost } from '../sessions/session-host.ts';
import { TelephonyConnection } from './telephony-connection.ts';
import { VoiceCallAgent } from './voice-call-agent.ts';
import { InteractionPuller } from './interaction-puller.ts';
import { SessionHostPort } from './session-host-port.ts';
import type { TelephonyActions } from './telephony-actions.ts';
import type { InteractionMetrics } from './interaction-puller.ts';
import type { TreatmentSyncSink } from './treatment-ledger.ts';

export interface TelephonyClient {
  readonly connection: TelephonyConnection;
  readonly agent: VoiceCallAgent;
  readonly puller: InteractionPuller;
  stop(): Promise<void>;
}

/** The nodes calls are placed over: the configured list, else this node and those it knows URLs of. */
export function clusterNodeIds(config: RuntimeConfig): string[] {
  const configured = config['cluster-nodes'];
  if (configured && configured.length > 0) return [...new Set([...configured, config['node-id']])];
  return [...new Set([config['node-id'], ...Object.keys(config['node-urls'])])].sort();
}

export function startTelephonyClient(options: {
  config: RuntimeConfig;
  url: string;
  host: SessionHost;
  roles: RoleSource;
  actions: TelephonyActions;
  logger: Logger;
  treatmentSync?: TreatmentSyncSink;
  /**
   * HA runs (a lease is configured): it restarts sessions on switchover itself (shadow
   * sessions with the old ids, replaying recorded events), so the agent must not.
   */
  haManagesRecovery?: boolean;
  /** The puller's counters on the runtime's /metrics. */
  interactionMetrics?: InteractionMetrics;
}): TelephonyClient {
  const { config, host, roles } = options;
  const log = options.logger.child({ component: 'telephony' });
  const role = roles.current().role;
  const connection = new TelephonyConnection({
    url: options.url,
    nodeId: config['node-id'],
    processId: `${config['node-id']}-${process.pid}`,
    role,
    capabilities: ['voice', 'multimedia'],
    log,
  });
  const port = new SessionHostPort(host);
  const agent = new VoiceCallAgent({
    nodeId: config['node-id'],
    clusterNodeIds: clusterNodeIds(config),
    connection,
    sessions: port,
    role: roles,
    callWatchingTimeoutMs: config['call-watching-timeout'],
    newSessionOnReroute: config['new-session-on-reroute'],
    sameNodeForConsultAndPrimary: config['same-node-for-cons-prim-calls'],
    restartSessionOnSwitchover: config['restart-session-on-switchover'] && options.haManagesRecovery !== true,
    haManagesRecovery: options.haManagesRecovery === true,
    restartBatchSize: sessionProcessingThreads(config),
    // The failover window: how long a node can be without a primary.
    unsyncedTreatmentEndWindowMs: config['lease-duration'] + config['lease-retry-period'] + config['call-watching-timeout'],
    restartIntervalMs: config['session-restart-timeout'],
    ...(options.treatmentSync ? { treatmentSync: options.treatmentSync } : {}),
    log,
  });
  const puller = new InteractionPuller({
    nodeId: config['node-id'],
    connection,
    sessions: port,
    role: roles,
    ...(config['multimedia-queues'] ? { queues: config['multimedia-queues'] } : {}),
    maxSessions: config['max-sessions'],
    maxPerPull: sessionProcessingThreads(config),
    idlePollMs: config['multimedia-pull-interval'],
    leaseRenewMs: config['interaction-lease-renew-interval'],
    // With HA, a new primary takes over what its node holds before it pulls anything.
    awaitRecovery: options.haManagesRecovery === true,
    ...(options.interactionMetrics ? { metrics: options.interactionMetrics } : {}),
    log,
  });
  options.actions.bind(agent, puller);
  agent.start();
  puller.start();
  connection.start();
  return {
    connection,
    agent,
    puller,
    stop: async () => {
      puller.stop();
      agent.stop();
      await connection.stop();
    },
  };
}

// Builds the HA parts a runtime process needs from its configuration: the leader
// elector (file lease or Kubernetes Lease) as its role source, the session store, the
// sync port (server side, for when it is primary) and the sync client (for when it is
// backup). `attach` connects them to the session host once the HTTP API listens.
import os from 'node:os';
import type { Logger } from 'pino';
import type { Counter, Registry } from 'prom-client';
import type { RuntimeConfig } from '../config/runtime-options.ts';
import type { SessionHost } from '../sessions/session-host.ts';
import { cassandraStoreConfigFromOptions } from '../store/cassandra-options.ts';
import { createSessionStore, type SessionStoreConfig } from '../store/create-session-store.ts';
import type { SessionStore } from '../store/session-store.ts';
import { CrashFailover, type PodWitness } from './crash/crash-failover.ts';
import { Failsafe } from './failsafe.ts';
import { createHaMetrics } from './ha-metrics.ts';
import { HighAvailability } from './high-availability.ts';
import { FileLeaseLock } from './leader-election/file-lease-lock.ts';
import { LeaderElector } from './leader-election/leader-elector.ts';
import {
  ACTIVE_SESSIONS_ANNOTATION,
  DRAIN_ANNOTATION,
  STEP_DOWN_ANNOTATION,
  SYNC_STATE_ANNOTATION,
} from './leader-election/lease-record.ts';
import type { LeaseLock } from './leader-election/lease-lock.ts';
import { holderAnnotations, LeaseRoleSource, primaryLoadAnnotation } from './lease-role-source.ts';
import { loadSyncKey, parseSyncKey } from './sync/sync-key.ts';
import { SyncClient } from './sync/sync-client.ts';
import { SyncServer } from './sync/sync-server.ts';

export class HaConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HaConfigError';
  }
}

export interface PreparedHighAvailability {
  roles: LeaseRoleSource;
  elector: LeaderElector;
  store: SessionStore;
  syncServer: SyncServer;
  syncClient: SyncClient;
  /** host:port backups dial. */
  syncAddress: string;
  identity: string;
  attach(host: SessionHost, httpUrl: string): HighAvailability;
  stop(): Promise<void>;
}

/** The lease, and in Kubernetes the kubelet's witness of the primary's pod (crash evidence). */
async function leaseLock(config: RuntimeConfig): Promise<{ lock: LeaseLock; pods?: PodWitness }> {
  if (config.lease === 'file') {
    if (!config['lease-dir']) throw new HaConfigError('lease=file needs lease-dir (a directory both processes of the node share)');
    return { lock: new FileLeaseLock(config['lease-dir']) };
  }
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { KubernetesLeaseLock } = await import('./leader-election/kubernetes-lease-lock.ts');
  const { KubernetesPodWitness } = await import('./crash/kubernetes-pod-witness.ts');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  const namespace = config['lease-namespace'] ?? process.env.POD_NAMESPACE ?? 'default';
  return {
    lock: new KubernetesLeaseLock({
      kubeConfig,
      namespace,
      name: config['lease-name'] ?? `ors-${config['node-id']}`,
      labels: { 'app.kubernetes.io/name': 'ors', 'ors.dev/node': config['node-id'] },
    }),
    // Lease holder identities are pod names (pod-environment.ts).
    pods: new KubernetesPodWitness(kubeConfig, namespace),
  };
}

function sessionStoreConfig(config: RuntimeConfig): SessionStoreConfig {
  switch (config['session-store']) {
    case 'file':
      return { kind: 'file', directory: config['session-store-dir']! };
    case 'cassandra':
      try {
        return { kind: 'cassandra', ...cassandraStoreConfigFromOptions(config) };
      } catch (error) {
        throw new HaConfigError((error as Error).message);
      }
    case 'memory':
      return { kind: 'memory' };
  }
}

export async function prepareHighAvailability(
  config: RuntimeConfig,
  logger: Logger,
  /** Where the store's metrics go (the runtime's /metrics registry). */
  registry?: Registry,
): Promise<PreparedHighAvailability> {
  if (config.lease === 'none') throw new HaConfigError('prepareHighAvailability needs lease=file or lease=kubernetes');
  const key = config['sync-key'] ? parseSyncKey(config['sync-key'], 'option sync-key') : loadSyncKey({ file: config['sync-key-file'] });
  if (config['session-store'] === 'file' && !config['session-store-dir']) {
    throw new HaConfigError('session-store=file needs session-store-dir (a directory both processes of the node share)');
  }
  const identity = config.identity ?? `${os.hostname()}-${process.pid}`;
  const haLog = logger.child({ component: 'ha' });
  const { lock, pods } = await leaseLock(config);
  const metrics = createHaMetrics(registry);
  const elector = new LeaderElector({
    lock,
    identity,
    timings: {
      leaseDurationMs: config['lease-duration'],
      renewDeadlineMs: config['lease-renew-deadline'],
      retryPeriodMs: config['lease-retry-period'],
    },
    log: haLog,
  });
  const roles = new LeaseRoleSource(elector);
  const store = createSessionStore(sessionStoreConfig(config), haLog, registry);
  await store.open();
  const syncServer = new SyncServer({
    nodeId: config['node-id'],
    identity,
    key,
    epoch: () => roles.current().epoch,
    limits: { maxBufferBytes: config['backup-synch-max-buffer'] * 1024, maxAgeMs: config['backup-synch-max-age'] * 1000 },
    host: config['sync-host'],
    port: config['sync-port'],
    log: haLog,
  });
  syncServer.setAccepting(false);
  const bound = await syncServer.listen();
  const syncAddress = config['sync-advertise-address'] ?? `${bound.host.includes(':') ? `[${bound.host}]` : bound.host}:${bound.port}`;
  const syncClient = new SyncClient({ nodeId: config['node-id'], identity, key, log: haLog });
  elector.setAnnotations(holderAnnotations(undefined, syncAddress));
  let ha: HighAvailability | undefined;
  const crash = new CrashFailover({
    syncClient,
    elector,
    roles,
    ...(pods ? { pods } : {}),
    kubeletPatienceMs: config['lease-duration'],
    log: haLog,
    onTakeover: () => metrics.crashTakeovers.inc(),
  });
  const failsafe = new Failsafe({
    identity,
    elector,
    roles,
    lock,
    syncServer,
    syncClient,
    leaseDurationMs: config['lease-duration'],
    retryPeriodMs: config['lease-retry-period'],
    metrics,
    log: haLog,
  });
  const timers: NodeJS.Timeout[] = [];
  const unsubscribers: (() => void)[] = [];
  metrics.observe({
    isPrimary: () => roles.current().role === 'primary',
    backupSynced: () => (roles.current().role === 'primary' ? syncServer.hasSyncedBackup() : syncClient.isSynced()),
    syncLagSeconds: () => (roles.current().role === 'primary' ? syncServer.syncLagMs() / 1000 : 0),
  });
  unsubscribers.push(countPromotions(roles, metrics.promotions));
  return {
    roles,
    elector,
    store,
    syncServer,
    syncClient,
    syncAddress,
    identity,
    attach(host, httpUrl) {
      // Backups redirect (307) to this process's own URL. The load report rides along with
      // every renewal (no write of its own); it is in the set from the start, so the write
      // that acquires the Lease replaces the previous holder's report with this process's,
      // and a release removes it with the other holder keys.
      const publishHolderAnnotations = () => elector.setAnnotations({
        ...holderAnnotations(httpUrl, syncAddress),
        ...primaryLoadAnnotation({ primary: identity, sessions: host.size, syncLagMs: syncServer.syncLagMs() }, new Date()),
      });
      publishHolderAnnotations();
      ha = new HighAvailability({ config, host, roles, store, syncServer, syncClient, logger: haLog, recoveryErrors: metrics.recoveryErrors });
      ha.start();
      crash.start();
      failsafe.start();
      const contract = new PodContract({ lock, roles, syncClient, host, identity, holdOffMs: config['lease-duration'], log: haLog });
      unsubscribers.push(roles.subscribe(() => {
        publishHolderAnnotations();
        contract.onLeaseChange(elector.state().observed?.annotations ?? {});
      }));
      unsubscribers.push(syncClient.subscribe({ onSnapshot: () => contract.reportSyncState() }));
      timers.push(setInterval(() => {
        publishHolderAnnotations();
        contract.reportSyncState();
        contract.onLeaseChange(elector.state().observed?.annotations ?? {});
      }, config['lease-retry-period']));
      return ha;
    },
    async stop() {
      for (const timer of timers) clearInterval(timer);
      for (const unsubscribe of unsubscribers) unsubscribe();
      crash.stop();
      failsafe.stop();
      await ha?.stop();
      await syncServer.close();
      await store.close();
    },
  };
}

/** Counts each tenure as primary once: a role change to primary, or a new epoch while primary. */
function countPromotions(roles: LeaseRoleSource, promotions: Counter): () => void {
  let last = roles.current();
  if (last.role === 'primary') promotions.inc();
  return roles.subscribe((state) => {
    if (state.role === 'primary' && (last.role !== 'primary' || state.epoch !== last.epoch)) promotions.inc();
    last = state;
  });
}

/**
 * The pod side of the operator contract (operator/api/pod-contract.md): a backup reports
 * on the Lease whether it is synced with the current holder; a primary named in the
 * step-down annotation hands over (stops serving, flushes sync, releases, holds off for a
 * lease duration); a draining primary stops taking new sessions and reports how many it
 * still runs.
 */
class PodContract {
  private readonly options: {
    lock: LeaseLock;
    roles: LeaseRoleSource;
    syncClient: SyncClient;
    host: SessionHost;
    identity: string;
    holdOffMs: number;
    log: Logger;
  };
  private lastSyncState = '';
  private steppingDown = false;
  private drainStarted = false;
  private lastActive = '';

  constructor(options: PodContract['options']) {
    this.options = options;
  }

  reportSyncState(): void {
    const { roles, syncClient, identity, lock, log } = this.options;
    const role = roles.current();
    if (role.role !== 'backup' || !role.primaryIdentity) return;
    const state = { backup: identity, primary: role.primaryIdentity, synced: syncClient.isSynced() };
    const key = JSON.stringify(state);
    if (key === this.lastSyncState) return;
    this.lastSyncState = key;
    lock.patchAnnotations({ [SYNC_STATE_ANNOTATION]: JSON.stringify({ ...state, at: new Date().toISOString() }) }).catch((error: unknown) => {
      this.lastSyncState = '';
      log.warn({ err: String(error) }, 'could not report the sync state on the lease');
    });
  }

  onLeaseChange(annotations: Record<string, string>): void {
    const { roles, identity, holdOffMs, host, lock, log } = this.options;
    const role = roles.current();
    if (role.role !== 'primary') {
      this.steppingDown = false;
      return;
    }
    if (annotations[STEP_DOWN_ANNOTATION] === identity && !this.steppingDown) {
      this.steppingDown = true;
      log.info({ identity }, 'the operator asked this primary to step down: handing over to the backup');
      void roles.stepDown(holdOffMs, 'step-down requested by the operator');
      return;
    }
    if (!annotations[DRAIN_ANNOTATION] && this.drainStarted) {
      // Undrained (kubectl ors undrain) or scaled back up: new sessions are welcome again.
      this.drainStarted = false;
      this.lastActive = '';
      host.setDraining(false);
      log.info('node is no longer drained: taking new sessions');
    }
    if (annotations[DRAIN_ANNOTATION]) {
      if (!this.drainStarted) {
        this.drainStarted = true;
        log.info({ since: annotations[DRAIN_ANNOTATION] }, 'node is draining: no new sessions');
        host.setDraining(true);
      }
      const active = String(host.size);
      if (active !== this.lastActive) {
        this.lastActive = active;
        lock.patchAnnotations({ [ACTIVE_SESSIONS_ANNOTATION]: active }).catch(() => {
          this.lastActive = '';
        });
      }
    }
  }
}

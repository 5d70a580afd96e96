// Builds the HA parts a runtime process needs from its configuration: the leader
// elector (file lease or Kubernetes Lease) as its role source, the session store, the
// sync port (server side, for when it is primary) and the sync client (for when it is
// backup). `attach` connects them to the session host once the HTTP API listens.
import os from 'node:os';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime-options.ts';
import type { SessionHost } from '../sessions/session-host.ts';
import { createSessionStore } from '../store/create-session-store.ts';
import type { SessionStore } from '../store/session-store.ts';
import { HighAvailability } from './high-availability.ts';
import { FileLeaseLock } from './leader-election/file-lease-lock.ts';
import { LeaderElector } from './leader-election/leader-elector.ts';
import type { LeaseLock } from './leader-election/lease-lock.ts';
import { holderAnnotations, LeaseRoleSource } from './lease-role-source.ts';
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

async function leaseLock(config: RuntimeConfig): Promise<LeaseLock> {
  if (config.lease === 'file') {
    if (!config['lease-dir']) throw new HaConfigError('lease=file needs lease-dir (a directory both processes of the node share)');
    return new FileLeaseLock(config['lease-dir']);
  }
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { KubernetesLeaseLock } = await import('./leader-election/kubernetes-lease-lock.ts');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return new KubernetesLeaseLock({
    kubeConfig,
    namespace: config['lease-namespace'] ?? process.env.POD_NAMESPACE ?? 'default',
    name: config['lease-name'] ?? `ors-${config['node-id']}`,
    labels: { 'app.kubernetes.io/name': 'ors', 'ors.dev/node': config['node-id'] },
  });
}

export async function prepareHighAvailability(config: RuntimeConfig, logger: Logger): Promise<PreparedHighAvailability> {
  if (config.lease === 'none') throw new HaConfigError('prepareHighAvailability needs lease=file or lease=kubernetes');
  const key = config['sync-key'] ? parseSyncKey(config['sync-key'], 'option sync-key') : loadSyncKey({ file: config['sync-key-file'] });
  if (config['session-store'] === 'file' && !config['session-store-dir']) {
    throw new HaConfigError('session-store=file needs session-store-dir (a directory both processes of the node share)');
  }
  const identity = config.identity ?? `${os.hostname()}-${process.pid}`;
  const haLog = logger.child({ component: 'ha' });
  const elector = new LeaderElector({
    lock: await leaseLock(config),
    identity,
    timings: {
      leaseDurationMs: config['lease-duration'],
      renewDeadlineMs: config['lease-renew-deadline'],
      retryPeriodMs: config['lease-retry-period'],
    },
    log: haLog,
  });
  const roles = new LeaseRoleSource(elector);
  const store = createSessionStore(
    config['session-store'] === 'file' ? { kind: 'file', directory: config['session-store-dir']! } : { kind: 'memory' },
    haLog,
  );
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
  return {
    roles,
    elector,
    store,
    syncServer,
    syncClient,
    syncAddress,
    identity,
    attach(host, httpUrl) {
      // Backups redirect (307) to this process's own URL.
      elector.setAnnotations(holderAnnotations(httpUrl, syncAddress));
      ha = new HighAvailability({ config, host, roles, store, syncServer, syncClient, logger: haLog });
      ha.start();
      return ha;
    },
    async stop() {
      await ha?.stop();
      await syncServer.close();
      await store.close();
    },
  };
}

// The operator process: health/metrics server, leader election, and the controller
// while leading. SIGTERM/SIGINT stop the controller, release the Lease and exit.
import os from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { ApiAccessProbe, requiredAccess } from './api-access.ts';
import { startHealthServer } from './health-server.ts';
import { KubeClient } from './kube-client.ts';
import { OperatorController } from './operator-controller.ts';
import { OperatorLeadership } from './operator-leadership.ts';
import { OperatorMetrics } from './operator-metrics.ts';
import { KubernetesRequestAuthorizer } from './request-authorizer.ts';
import { KubernetesStatusSource } from '../status-page/kubernetes-source.ts';

export interface OperatorOptions {
  kubeconfig?: string;
  leaseNamespace: string;
  leaseName: string;
  identity?: string;
  metricsHost: string;
  metricsPort: number;
  /** Who may read /metrics and the status page: anyone (none), or what TokenReview + SubjectAccessReview allow (kubernetes). */
  metricsAuth: 'none' | 'kubernetes';
  workers: number;
  watchNamespace?: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  logLevel: string;
}

export function loadKubeConfig(file?: string): KubeConfig {
  const config = new KubeConfig();
  if (file) config.loadFromFile(file);
  else config.loadFromDefault();
  return config;
}

export async function runOperator(options: OperatorOptions): Promise<{ stop: () => Promise<void>; port: number }> {
  const log = pino({ level: options.logLevel, base: { component: 'ors-operator' } });
  const kubeConfig = loadKubeConfig(options.kubeconfig);
  const client = new KubeClient(kubeConfig);
  const metrics = new OperatorMetrics();
  const identity = options.identity ?? `${os.hostname()}-${process.pid}`;
  const controller = new OperatorController({
    client, log, metrics, workers: options.workers, identity, ...(options.watchNamespace ? { watchNamespace: options.watchNamespace } : {}),
  });

  const leadership = new OperatorLeadership({
    kubeConfig,
    namespace: options.leaseNamespace,
    leaseName: options.leaseName,
    identity,
    leaseDurationMs: options.leaseDurationSeconds * 1000,
    renewDeadlineMs: options.renewDeadlineSeconds * 1000,
    retryPeriodMs: options.retryPeriodSeconds * 1000,
    log,
    onStartedLeading: async () => {
      metrics.leader.set(1);
      await controller.start();
    },
    onStoppedLeading: async () => {
      metrics.leader.set(0);
      await controller.stop();
    },
  });

  const access = new ApiAccessProbe(client, requiredAccess(options.watchNamespace, options.leaseNamespace));
  await access.check();
  access.start();
  const status = new KubernetesStatusSource({ client, caches: () => controller.caches(), ...(options.watchNamespace ? { namespace: options.watchNamespace } : {}) });
  const authorizer = new KubernetesRequestAuthorizer(client);
  const health = await startHealthServer(options.metricsHost, options.metricsPort, {
    registry: metrics.registry,
    status,
    ...(options.metricsAuth === 'kubernetes' ? { authorize: (authorization, path) => authorizer.authorize(authorization, path) } : {}),
    // Ready: the API server takes this replica's requests, and a leader has filled its caches.
    ready: () => access.state().ok && (!leadership.isLeader() || controller.isSynced()),
    describe: () => {
      const api = access.state();
      return { identity, leader: leadership.isLeader(), synced: controller.isSynced(), apiAccess: api.ok ? 'ok' : api.problem, apiAccessCheckedAt: api.checkedAt };
    },
  });
  log.info({ identity, metricsPort: health.port, lease: `${options.leaseNamespace}/${options.leaseName}` }, 'operator started');
  leadership.start();

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('stopping');
      await access.stop();
      await leadership.stop();
      await controller.stop();
      await new Promise<void>((resolve) => health.server.close(() => resolve()));
    })());
  return { stop, port: health.port };
}

// The operator's own leader election, so two replicas can run: the Lease elector the
// HA work wrote for the runtime pods (client-go semantics), over a Lease in the
// operator's namespace. Leading starts the controller; losing leadership stops it at
// once (a deposed leader must not keep writing), and the process stays a candidate.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { LeaderElector } from '../../runtime/ha/leader-election/leader-elector.ts';
import { KubernetesLeaseLock } from '../../runtime/ha/leader-election/kubernetes-lease-lock.ts';

export interface LeadershipOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  leaseName: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  onStartedLeading: () => Promise<void>;
  onStoppedLeading: () => Promise<void>;
}

export class OperatorLeadership {
  private readonly elector: LeaderElector;
  private readonly options: LeadershipOptions;
  private leading = false;
  /** Serialises start/stop of the controller across quick leadership flips. */
  private transition: Promise<void> = Promise.resolve();

  constructor(options: LeadershipOptions) {
    this.options = options;
    this.elector = new LeaderElector({
      lock: new KubernetesLeaseLock({
        kubeConfig: options.kubeConfig,
        namespace: options.namespace,
        name: options.leaseName,
        labels: { 'app.kubernetes.io/name': 'ors-operator' },
      }),
      identity: options.identity,
      timings: { leaseDurationMs: options.leaseDurationMs, renewDeadlineMs: options.renewDeadlineMs, retryPeriodMs: options.retryPeriodMs },
      log: {
        info: (fields, message) => options.log.info(fields, message),
        warn: (fields, message) => options.log.warn(fields, message),
      },
    });
    this.elector.onChange((state) => {
      if (state.leading === this.leading) return;
      this.leading = state.leading;
      const { log } = this.options;
      this.transition = this.transition.then(async () => {
        try {
          if (state.leading) {
            log.info({ identity: options.identity }, 'became leader');
            await this.options.onStartedLeading();
          } else {
            log.warn({ identity: options.identity, holder: state.observed?.holderIdentity }, 'lost leadership; stopping the controller');
            await this.options.onStoppedLeading();
          }
        } catch (error) {
          log.error({ err: String(error) }, 'leadership transition failed');
        }
      });
    });
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  start(): void {
    this.elector.start();
  }

  async stop(): Promise<void> {
    await this.elector.stop();
    await this.transition;
  }
}

// Crash failover on the backup (runtime/ha/FAILOVER.md): when the sync connection to the
// lease holder ends, look at the holder's own address at once; if both its ports refuse
// connections (and, in Kubernetes, the kubelet reports its container terminated or
// restarted), take the lease now instead of waiting for it to expire. Anything less —
// a port that answers or stays silent, a Pod that looks healthy or cannot be read —
// leaves the decision to lease expiry, as before.
import type { ElectionLogger, LeaderElector } from '../leader-election/leader-elector.ts';
import type { RoleSource } from '../role-source.ts';
import type { SyncClient, SyncConnectionLoss } from '../sync/sync-client.ts';
import { judgeCrash, type CrashVerdict, type PortAnswer } from './crash-evidence.ts';
import type { PodVerdict } from './pod-termination.ts';
import { probePort } from './port-probe.ts';

/** Reads the kubelet's view of the primary's pod (lease=kubernetes only). */
export interface PodWitness {
  /** Remembers the pod's restart count while it is healthy (called when sync is established). */
  baseline(podName: string): Promise<void>;
  verdict(podName: string): Promise<PodVerdict | undefined>;
}

export interface CrashFailoverOptions {
  syncClient: SyncClient;
  elector: Pick<LeaderElector, 'takeOver'>;
  roles: RoleSource;
  /** Present in Kubernetes: then the kubelet's verdict is required. */
  pods?: PodWitness;
  /** How long the kubelet may take to report the termination (the lease duration: after that, expiry decides anyway). */
  kubeletPatienceMs: number;
  probeTimeoutMs?: number;
  log: ElectionLogger;
  onTakeover?(evidence: string): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Tries before giving up on refusals: a dying process's sockets close together, but not in the same instant as the sync connection. */
const PORT_ROUNDS = 3;
const PORT_ROUND_GAP_MS = 30;
const KUBELET_POLL_MS = 200;

export class CrashFailover {
  private readonly options: CrashFailoverOptions;
  private unsubscribe: (() => void) | undefined;
  private investigating: string | undefined;
  private stopped = false;

  constructor(options: CrashFailoverOptions) {
    this.options = options;
  }

  start(): void {
    const { syncClient, roles, pods } = this.options;
    this.unsubscribe = syncClient.subscribe({
      onConnectionLost: (loss) => void this.investigate(loss),
      onSnapshot: () => {
        const primary = roles.current().primaryIdentity;
        if (pods && primary) void pods.baseline(primary).catch(() => undefined);
      },
    });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }

  /** The whole investigation of one loss; exported behaviour is its effect on the lease. */
  async investigate(loss: SyncConnectionLoss): Promise<CrashVerdict> {
    const { roles, log } = this.options;
    const still = () => !this.stopped && roles.current().role === 'backup' && roles.current().primaryIdentity === loss.identity;
    const role = roles.current();
    if (!still()) return { crashed: false, missing: 'the lost connection was not to the current lease holder' };
    const httpPort = role.primaryUrl ? Number(new URL(role.primaryUrl).port || 80) : undefined;
    if (!httpPort) return { crashed: false, missing: "the primary's HTTP port is unknown" };
    if (this.investigating === loss.identity) return { crashed: false, missing: 'already investigating' };
    this.investigating = loss.identity;
    try {
      const ports = await this.refusals(loss.remoteAddress, loss.remotePort, httpPort);
      const observation = { syncLost: true, syncPort: ports.sync, httpPort: ports.http, kubeletRequired: this.options.pods !== undefined };
      let verdict = judgeCrash(observation);
      if (!verdict.crashed && observation.kubeletRequired && ports.sync === 'refused' && ports.http === 'refused') {
        verdict = await this.askKubelet(loss, observation, still);
      }
      if (!verdict.crashed) {
        log.info({ primary: loss.identity, address: loss.remoteAddress, missing: verdict.missing }, 'sync connection lost, but no proof the primary crashed: waiting for the lease to expire');
        return verdict;
      }
      if (!still()) return { crashed: false, missing: 'the roles changed during the investigation' };
      log.warn({ primary: loss.identity, address: loss.remoteAddress, evidence: verdict.evidence }, 'the primary crashed: taking the lease over now');
      if (await this.options.elector.takeOver(loss.identity, verdict.evidence)) this.options.onTakeover?.(verdict.evidence);
      return verdict;
    } finally {
      this.investigating = undefined;
    }
  }

  private async refusals(host: string, syncPort: number, httpPort: number): Promise<{ sync: PortAnswer; http: PortAnswer }> {
    const timeout = this.options.probeTimeoutMs ?? 250;
    let answers = { sync: 'no-answer' as PortAnswer, http: 'no-answer' as PortAnswer };
    for (let round = 0; round < PORT_ROUNDS; round++) {
      if (round > 0) await sleep(PORT_ROUND_GAP_MS);
      const [sync, http] = await Promise.all([probePort(host, syncPort, timeout), probePort(host, httpPort, timeout)]);
      answers = { sync, http };
      if (sync === 'refused' && http === 'refused') break;
    }
    return answers;
  }

  /** The kubelet reports a dead container within a second or two (its relist period): ask until then. */
  private async askKubelet(
    loss: SyncConnectionLoss,
    observation: Parameters<typeof judgeCrash>[0],
    still: () => boolean,
  ): Promise<CrashVerdict> {
    const deadline = loss.at + this.options.kubeletPatienceMs;
    let verdict: CrashVerdict = { crashed: false, missing: 'no word from the kubelet' };
    while (still() && Date.now() < deadline) {
      const kubelet = await this.options.pods!.verdict(loss.identity).catch(() => undefined);
      verdict = judgeCrash({ ...observation, ...(kubelet ? { kubelet } : {}) });
      if (verdict.crashed) return verdict;
      await sleep(KUBELET_POLL_MS);
    }
    return verdict;
  }
}

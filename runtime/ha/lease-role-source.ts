// The runtime's role from leader election: leader = primary, everyone else = backup.
// The primary publishes its HTTP URL and sync address on the lease; a backup reads them
// from there to know where to redirect (307) and where to connect for sync.
import {
  HOLDER_HTTP_URL_ANNOTATION,
  HOLDER_SYNC_ADDRESS_ANNOTATION,
  PRIMARY_LOAD_ANNOTATION,
} from './leader-election/lease-record.ts';
import type { LeaderElector, LeadershipState } from './leader-election/leader-elector.ts';
import type { RoleSource, RoleState } from './role-source.ts';

export function roleStateOf(identity: string, state: LeadershipState): RoleState {
  if (state.leading) {
    return {
      role: 'primary',
      epoch: state.epoch,
      primaryIdentity: identity,
      primaryUrl: state.observed?.annotations[HOLDER_HTTP_URL_ANNOTATION],
      primarySyncAddress: state.observed?.annotations[HOLDER_SYNC_ADDRESS_ANNOTATION],
      ...(state.failsafe ? { failsafe: true } : {}),
    };
  }
  // A valid lease naming this identity while this elector does not lead was written by an
  // earlier run of this process (killed, restarted with the same name and port): that run
  // is gone, so it is nobody to redirect to or sync from. Naming it would send clients a
  // 307 to this very process.
  const holder = state.observedHolderValid && state.observed?.holderIdentity !== identity ? state.observed : undefined;
  return {
    role: 'backup',
    epoch: state.epoch,
    primaryIdentity: holder?.holderIdentity,
    primaryUrl: holder?.annotations[HOLDER_HTTP_URL_ANNOTATION],
    primarySyncAddress: holder?.annotations[HOLDER_SYNC_ADDRESS_ANNOTATION],
  };
}

/** The annotations a runtime publishes on its node's lease while primary. */
export function holderAnnotations(httpUrl: string | undefined, syncAddress: string | undefined): Record<string, string> {
  const annotations: Record<string, string> = {};
  if (httpUrl) annotations[HOLDER_HTTP_URL_ANNOTATION] = httpUrl;
  if (syncAddress) annotations[HOLDER_SYNC_ADDRESS_ANNOTATION] = syncAddress;
  return annotations;
}

/** What a holder reports of its load (operator/api/pod-contract.ts PrimaryLoadSchema). */
export interface PrimaryLoadFigures {
  /** The identity writing it: readers ignore a report that does not name the Lease's holder. */
  primary: string;
  sessions: number;
  syncLagMs: number;
}

/** The primary-load annotation for figures taken at `at`. */
export function primaryLoadAnnotation(figures: PrimaryLoadFigures, at: Date): Record<string, string> {
  const load = { primary: figures.primary, sessions: figures.sessions, syncLagMs: Math.round(figures.syncLagMs), at: at.toISOString() };
  return { [PRIMARY_LOAD_ANNOTATION]: JSON.stringify(load) };
}

export class LeaseRoleSource implements RoleSource {
  private readonly elector: LeaderElector;

  constructor(elector: LeaderElector) {
    this.elector = elector;
  }

  /** Re-checks the renew deadline by the clock, so a process that was frozen reports backup before acting. */
  current(): RoleState {
    return roleStateOf(this.elector.identity, this.elector.state());
  }

  subscribe(listener: (state: RoleState) => void): () => void {
    return this.elector.onChange((state) => listener(roleStateOf(this.elector.identity, state)));
  }

  async start(): Promise<void> {
    this.elector.start();
  }

  async stop(): Promise<void> {
    await this.elector.stop();
  }

  /** Hands the primary role over (operator-requested switchover); stays backup for holdOffMs. */
  async stepDown(holdOffMs: number, reason: string): Promise<void> {
    await this.elector.stepDown(holdOffMs, reason);
  }
}

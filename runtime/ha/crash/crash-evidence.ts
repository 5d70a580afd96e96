// Whether a backup may take the lease from its primary before it expires: the pure
// judgement over what the backup observed (runtime/ha/FAILOVER.md explains why this
// evidence proves the primary cannot serve, and where it does not hold).
//
// All of it is required: the authenticated sync connection to the lease holder ended,
// then the holder's own address refused connections on both its sync and its HTTP port
// (nothing listens there: the process is gone), and in Kubernetes the kubelet reports the
// container terminated or restarted. Refusals alone are never enough: a firewall that
// answers with resets during a partition looks the same from here.
export type PortAnswer = 'refused' | 'accepted' | 'no-answer';

export interface CrashObservation {
  /** The sync connection to the primary ended (reset or closed) without this side ending it. */
  syncLost: boolean;
  syncPort: PortAnswer;
  httpPort: PortAnswer;
  /** Required in Kubernetes (lease=kubernetes): the kubelet's verdict; undefined elsewhere. */
  kubelet?: { terminated: boolean; detail: string };
  /** Whether the kubelet's verdict is required (the lease is a Kubernetes Lease). */
  kubeletRequired: boolean;
}

export type CrashVerdict = { crashed: true; evidence: string } | { crashed: false; missing: string };

export function judgeCrash(o: CrashObservation): CrashVerdict {
  if (!o.syncLost) return { crashed: false, missing: 'the sync connection is up' };
  if (o.syncPort !== 'refused') return { crashed: false, missing: `the primary's sync port ${o.syncPort === 'accepted' ? 'accepts connections' : 'does not answer'}` };
  if (o.httpPort !== 'refused') return { crashed: false, missing: `the primary's HTTP port ${o.httpPort === 'accepted' ? 'accepts connections' : 'does not answer'}` };
  const ports = 'sync connection lost; sync and HTTP ports refuse connections at the primary\'s address';
  if (!o.kubeletRequired) return { crashed: true, evidence: ports };
  if (!o.kubelet) return { crashed: false, missing: 'no word from the kubelet (the Pod could not be read)' };
  if (!o.kubelet.terminated) return { crashed: false, missing: o.kubelet.detail };
  return { crashed: true, evidence: `${ports}; ${o.kubelet.detail}` };
}

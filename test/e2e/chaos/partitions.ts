// The partition kinds of the e2e and chaos suites, as link faults of one pod's network
// namespace (test/infra/pod-network/partition-rules.ts). "From everything" keeps the
// kubelet's address (the host's end of the pod network): a node's network fails, but the
// kubelet on the same machine still probes its pods, and the harness still sees what
// each pod's /heartbeat says (that is how two serving primaries would be caught). Pure.
import type { Endpoint, LinkFault } from '../../infra/pod-network/partition-rules.ts';

export const PARTITION_KINDS = ['from-api-server', 'from-peer', 'from-everything', 'lossy-link'] as const;
export type PartitionKind = (typeof PARTITION_KINDS)[number];

export interface PartitionPeers {
  /** The API server's address and port. */
  apiServer: Endpoint;
  /** The other pod of the same ORS node (its sync peer). */
  peer: string;
  /** The kubelet's (process node's) address, kept by "from everything". */
  kubelet: string;
}

/** Share of packets a lossy link drops: TCP still gets through, slowly. */
export const LOSSY_LINK_PERCENT = 10;

export function partitionFaults(kind: PartitionKind, peers: PartitionPeers): LinkFault[] {
  switch (kind) {
    case 'from-api-server':
      return [{ kind: 'cut', peers: [peers.apiServer] }];
    case 'from-peer':
      return [{ kind: 'cut', peers: [{ address: peers.peer }] }];
    case 'from-everything':
      return [{ kind: 'isolate', except: [peers.kubelet] }];
    case 'lossy-link':
      return [{ kind: 'loss', percent: LOSSY_LINK_PERCENT }];
  }
}

// Link faults of one pod as an nftables ruleset for the pod's own network namespace: a
// partition drops packets silently (as a broken link or a dead switch does: connections
// stall and time out, nothing is refused), loss drops a random share. Rules live in the
// pod's namespace, so a fault never touches another pod or the host. Pure.
//
// This kernel has no netem (CONFIG_NET_SCH_NETEM is off), so random loss is nftables'
// `numgen random`; latency is not offered as a link fault.

/** A remote end: an address, optionally only its port (the API server's, Cassandra's...). */
export interface Endpoint {
  address: string;
  port?: number;
}

export type Direction = 'both' | 'outbound' | 'inbound';

export type LinkFault =
  /** No packet between the pod and these endpoints (both ways unless `direction` says). */
  | { kind: 'cut'; peers: readonly Endpoint[]; direction?: Direction }
  /** No packet between the pod and anything but loopback and the `except` addresses. */
  | { kind: 'isolate'; except?: readonly string[] }
  /** `percent` of the packets between the pod and `peers` (everyone when absent) dropped. */
  | { kind: 'loss'; percent: number; peers?: readonly Endpoint[] };

export const FAULT_TABLE = 'ors_faults';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function checkAddress(address: string): string {
  const match = IPV4.exec(address);
  if (!match || match.slice(1).some((part) => Number(part) > 255)) throw new Error(`not an IPv4 address: ${JSON.stringify(address)}`);
  return address;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a TCP port: ${port}`);
  return port;
}

/** The match of packets going to (`out`) or coming from the endpoint. */
function endpointMatch(peer: Endpoint, out: boolean): string {
  const address = `ip ${out ? 'daddr' : 'saddr'} ${checkAddress(peer.address)}`;
  if (peer.port === undefined) return address;
  return `${address} tcp ${out ? 'dport' : 'sport'} ${checkPort(peer.port)}`;
}

function faultRules(fault: LinkFault): { input: string[]; output: string[] } {
  switch (fault.kind) {
    case 'cut': {
      const direction = fault.direction ?? 'both';
      if (fault.peers.length === 0) throw new Error('a cut needs at least one peer');
      return {
        output: direction === 'inbound' ? [] : fault.peers.map((p) => `${endpointMatch(p, true)} drop`),
        input: direction === 'outbound' ? [] : fault.peers.map((p) => `${endpointMatch(p, false)} drop`),
      };
    }
    case 'isolate': {
      const except = (fault.except ?? []).map(checkAddress);
      const keep = except.length > 0 ? [`ip daddr { ${except.join(', ')} } accept`] : [];
      const keepIn = except.length > 0 ? [`ip saddr { ${except.join(', ')} } accept`] : [];
      return { output: [...keep, 'drop'], input: [...keepIn, 'drop'] };
    }
    case 'loss': {
      if (!Number.isInteger(fault.percent) || fault.percent < 1 || fault.percent > 100) {
        throw new Error(`loss is a whole percentage 1-100, not ${fault.percent}`);
      }
      const drop = `numgen random mod 100 < ${fault.percent} drop`;
      if (!fault.peers) return { output: [drop], input: [drop] };
      return {
        output: fault.peers.map((p) => `${endpointMatch(p, true)} ${drop}`),
        input: fault.peers.map((p) => `${endpointMatch(p, false)} ${drop}`),
      };
    }
  }
}

/**
 * The `nft -f` input that replaces the pod's fault table with `faults` in one
 * transaction (declaring the table first makes the delete valid when it does not exist).
 * Loopback is never filtered: a pod's own processes keep talking to each other.
 */
export function partitionRuleset(faults: readonly LinkFault[]): string {
  const input: string[] = [];
  const output: string[] = [];
  for (const fault of faults) {
    const rules = faultRules(fault);
    input.push(...rules.input);
    output.push(...rules.output);
  }
  const lines = [`table inet ${FAULT_TABLE}`, `delete table inet ${FAULT_TABLE}`];
  if (faults.length > 0) {
    lines.push(
      `table inet ${FAULT_TABLE} {`,
      '  chain input {',
      '    type filter hook input priority 0; policy accept;',
      '    iif lo accept',
      ...input.map((rule) => `    ${rule}`),
      '  }',
      '  chain output {',
      '    type filter hook output priority 0; policy accept;',
      '    oif lo accept',
      ...output.map((rule) => `    ${rule}`),
      '  }',
      '}',
    );
  }
  return lines.join('\n') + '\n';
}

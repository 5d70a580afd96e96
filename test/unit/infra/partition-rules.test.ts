import { describe, expect, it } from 'vitest';
import { FAULT_TABLE, partitionRuleset } from '../../infra/pod-network/partition-rules.ts';
import { LOSSY_LINK_PERCENT, PARTITION_KINDS, partitionFaults } from '../../e2e/chaos/partitions.ts';

describe('partitionRuleset (a pod\'s link faults as nftables rules)', () => {
  it('heals by replacing the table with nothing, valid whether or not it existed', () => {
    expect(partitionRuleset([])).toBe(`table inet ${FAULT_TABLE}\ndelete table inet ${FAULT_TABLE}\n`);
  });

  it('drops both ways for a cut, by address and optionally the remote port, never loopback', () => {
    const rules = partitionRuleset([{ kind: 'cut', peers: [{ address: '10.1.0.3', port: 6443 }, { address: '10.1.2.3' }] }]);
    expect(rules).toContain('ip daddr 10.1.0.3 tcp dport 6443 drop');
    expect(rules).toContain('ip saddr 10.1.0.3 tcp sport 6443 drop');
    expect(rules).toContain('ip daddr 10.1.2.3 drop');
    expect(rules).toContain('ip saddr 10.1.2.3 drop');
    expect(rules.indexOf('iif lo accept')).toBeLessThan(rules.indexOf('ip saddr'));
    expect(rules.indexOf('oif lo accept')).toBeLessThan(rules.indexOf('ip daddr 10.1.0.3'));
  });

  it('cuts one way only when asked', () => {
    const inbound = partitionRuleset([{ kind: 'cut', peers: [{ address: '10.1.2.3' }], direction: 'inbound' }]);
    expect(inbound).toContain('ip saddr 10.1.2.3 drop');
    expect(inbound).not.toContain('ip daddr 10.1.2.3 drop');
    const outbound = partitionRuleset([{ kind: 'cut', peers: [{ address: '10.1.2.3' }], direction: 'outbound' }]);
    expect(outbound).toContain('ip daddr 10.1.2.3 drop');
    expect(outbound).not.toContain('ip saddr 10.1.2.3 drop');
  });

  it('isolates from all but the kept addresses, and combines faults', () => {
    const rules = partitionRuleset([{ kind: 'isolate', except: ['10.1.255.254'] }, { kind: 'loss', percent: 20 }]);
    expect(rules).toContain('ip daddr { 10.1.255.254 } accept');
    expect(rules).toContain('ip saddr { 10.1.255.254 } accept');
    expect(rules).toMatch(/accept\n\s+drop\n\s+numgen random mod 100 < 20 drop/);
  });

  it('refuses what is not an address, a port or a whole percentage (no rule injection)', () => {
    expect(() => partitionRuleset([{ kind: 'cut', peers: [{ address: '10.0.0.1 accept; flush ruleset' }] }])).toThrow(/not an IPv4 address/);
    expect(() => partitionRuleset([{ kind: 'cut', peers: [{ address: '10.0.0.256' }] }])).toThrow(/not an IPv4 address/);
    expect(() => partitionRuleset([{ kind: 'cut', peers: [{ address: '10.0.0.1', port: 70000 }] }])).toThrow(/not a TCP port/);
    expect(() => partitionRuleset([{ kind: 'cut', peers: [] }])).toThrow(/at least one peer/);
    expect(() => partitionRuleset([{ kind: 'loss', percent: 0 }])).toThrow(/whole percentage/);
    expect(() => partitionRuleset([{ kind: 'isolate', except: ['::1'] }])).toThrow(/not an IPv4 address/);
  });
});

describe('partitionFaults (the e2e partition kinds)', () => {
  const peers = { apiServer: { address: '10.1.0.3', port: 6443 }, peer: '10.1.7.7', kubelet: '10.1.255.254' };
  it('cuts the API server by address and port, the peer by address, everything but the kubelet', () => {
    expect(partitionFaults('from-api-server', peers)).toEqual([{ kind: 'cut', peers: [{ address: '10.1.0.3', port: 6443 }] }]);
    expect(partitionFaults('from-peer', peers)).toEqual([{ kind: 'cut', peers: [{ address: '10.1.7.7' }] }]);
    expect(partitionFaults('from-everything', peers)).toEqual([{ kind: 'isolate', except: ['10.1.255.254'] }]);
    expect(partitionFaults('lossy-link', peers)).toEqual([{ kind: 'loss', percent: LOSSY_LINK_PERCENT }]);
    for (const kind of PARTITION_KINDS) expect(() => partitionRuleset(partitionFaults(kind, peers))).not.toThrow();
  });
});

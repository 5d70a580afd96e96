import { describe, expect, it } from 'vitest';
import { renderStatus } from '../../../runtime/cli/kubectl-ors/status-view.ts';
import { twoNodeSnapshot } from './snapshot-fixture.ts';

describe('kubectl ors status view', () => {
  it('shows every node with its primary, backup, sync, sessions, failsafe and last switchover', () => {
    const text = renderStatus(twoNodeSnapshot(), { colour: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe('OrsCluster cc  namespace ors  phase Degraded  ready nodes 2/2');
    expect(lines[1]).toBe('switchover request 0/x: handled');
    const header = lines.find((l) => l.startsWith('NODE'))!;
    expect(header.split(/\s{2,}/)).toEqual(['NODE', 'PRIMARY', 'READY', 'BACKUP', 'SYNCED', 'SYNC LAG', 'SESSIONS', 'FAILSAFE', 'LAST SWITCHOVER', 'LEASE TRANSITIONS']);
    const row = (id: string) => lines.find((l) => l.startsWith(`${id} `))!.split(/\s{2,}/);
    expect(row('0')).toEqual(['0', 'cc-node-0-1', 'yes', 'cc-node-0-0', 'yes', '2.5ms', '7', '-', '2m ago', '1']);
    expect(row('1')).toEqual(['1', 'cc-node-1-0', 'yes', 'cc-node-1-1', 'no', '-', '3', 'ACTIVE', '-', '0']);
  });

  it('lists the conditions and the newest events, oldest first', () => {
    const text = renderStatus(twoNodeSnapshot(), { colour: false, events: 1 });
    expect(text).toContain('Degraded  True  BackupNotSynced  30s ago  node 1: backup not synced');
    expect(text).toContain('Recent events (1 of 2)');
    expect(text).toContain('30s ago  Warning  BackupNotSynced  OrsCluster/cc  node 1: backup not synced (x3)');
    expect(text).not.toContain('SwitchoverRequested');
  });

  it('colours only when asked (a terminal)', () => {
    expect(renderStatus(twoNodeSnapshot(), { colour: false })).not.toContain('\u001b[');
    const coloured = renderStatus(twoNodeSnapshot(), { colour: true });
    expect(coloured).toContain('\u001b[31mno\u001b[0m');
    expect(coloured).toContain('\u001b[32myes\u001b[0m');
    // Columns stay aligned: colour codes take no width.
    const plainRows = renderStatus(twoNodeSnapshot(), { colour: false }).split('\n');
    // eslint-disable-next-line no-control-regex
    const strippedRows = coloured.replace(/\u001b\[[0-9;]*m/g, '').split('\n');
    expect(strippedRows).toEqual(plainRows);
  });

  it('says a node has no primary and that nothing is reported yet', () => {
    const snapshot = { ...twoNodeSnapshot(), nodes: [{ id: 0, ready: false, synced: false }], leases: [], pods: [] };
    expect(renderStatus(snapshot, { colour: false })).toMatch(/^0 +none +no +none +no/m);
    expect(renderStatus({ ...snapshot, nodes: [] }, { colour: false })).toContain('(no nodes reported yet)');
  });

  it('falls back to the primary\'s current load report on the Lease when its /metrics cannot be read', () => {
    const base = twoNodeSnapshot();
    const report = (primary: string, at: string) => ({ primary, sessions: 6, syncLagMs: 1.5, at });
    const withLoad = (primaryLoad: ReturnType<typeof report>) => ({
      ...base,
      pods: base.pods.map((p) => (p.node === 1 ? { ...p, figures: { error: '502 BadGateway' } } : p)),
      leases: base.leases.map((l) => (l.node === 1 ? { ...l, leaseDurationSeconds: 15, primaryLoad } : l)),
    });
    const row = (text: string) => text.split('\n').find((l) => l.startsWith('1 '))!.split(/\s{2,}/);
    const fresh = row(renderStatus(withLoad(report('cc-node-1-0', new Date(Date.parse(base.at) - 5_000).toISOString())), { colour: false }));
    expect(fresh.slice(5, 7)).toEqual(['1.5ms (lease)', '6 (lease)']);
    const stale = row(renderStatus(withLoad(report('cc-node-1-0', new Date(Date.parse(base.at) - 60_000).toISOString())), { colour: false }));
    expect(stale.slice(5, 7)).toEqual(['-', '? (502 BadGateway)']);
    const otherHolder = row(renderStatus(withLoad(report('cc-node-1-1', base.at)), { colour: false }));
    expect(otherHolder.slice(5, 7)).toEqual(['-', '? (502 BadGateway)']);
  });
});

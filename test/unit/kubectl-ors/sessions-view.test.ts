import { describe, expect, it } from 'vitest';
import { renderSessions } from '../../../runtime/cli/kubectl-ors/sessions-view.ts';
import { runtimeFigures } from '../../../runtime/cli/kubectl-ors/runtime-metrics-text.ts';
import { twoNodeSnapshot } from './snapshot-fixture.ts';

describe('kubectl ors sessions view', () => {
  it('counts sessions per node, pod and state, with totals', () => {
    const rows = renderSessions(twoNodeSnapshot()).split('\n').map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['Sessions of OrsCluster cc (namespace ors)']);
    expect(rows[1]).toEqual(['NODE', 'POD', 'ROLE', 'LIVE', 'CREATED', 'FINISHED DONE', 'FINISHED TERMINATED']);
    expect(rows[2]).toEqual(['0', 'cc-node-0-0', 'backup', '0', '0', '0', '0']);
    expect(rows[3]).toEqual(['0', 'cc-node-0-1', 'primary', '7', '12', '4', '1']);
    expect(rows[4]).toEqual(['1', 'cc-node-1-0', 'primary', '3', '3', '0', '0']);
    expect(rows[5]).toEqual(['1', 'cc-node-1-1', 'backup', '? (503 ServiceUnavailable)']);
    expect(rows[6]).toEqual(['total', '10', '15', '4', '1']);
  });

  it('reads the figures from a runtime\'s Prometheus text', () => {
    const text = [
      '# HELP ors_active_sessions live sessions on this node',
      '# TYPE ors_active_sessions gauge',
      'ors_active_sessions{node="node-0"} 5',
      'ors_sessions_created_total{node="node-0"} 9',
      'ors_sessions_finished_total{reason="done",node="node-0"} 3',
      'ors_sessions_finished_total{node="node-0",reason="failed"} 1',
      'ors_sync_lag_seconds{node="node-0"} 0.004',
      'ors_sync_lag_seconds_bucket{le="0.01",node="node-0"} 2',
      'ors_process_cpu_seconds_total{node="node-0"} 1.5',
    ].join('\n');
    expect(runtimeFigures(text)).toEqual({ activeSessions: 5, sessionsCreated: 9, sessionsFinished: { done: 3, failed: 1 }, syncLagSeconds: 0.004 });
  });
});

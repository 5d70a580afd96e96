// The scrape-to-promtool conversion the alert-rules test relies on (test/support/prometheus-series.ts).
import { describe, expect, it } from 'vitest';
import { metricNamesIn, parseExposition, promtoolInputSeries } from '../../support/prometheus-series.ts';

describe('parseExposition', () => {
  it('reads samples with labels (escaped quotes too) and skips comments', () => {
    const samples = parseExposition('# HELP x y\n# TYPE ors_a gauge\nors_a{node="n-0",reason="say \\"hi\\""} 1.5\nors_b 2\n');
    expect(samples).toEqual([
      { name: 'ors_a', labels: { node: 'n-0', reason: 'say "hi"' }, value: 1.5 },
      { name: 'ors_b', labels: {}, value: 2 },
    ]);
  });
});

describe('promtoolInputSeries', () => {
  it('holds each phase for its minutes; a series that is gone goes stale, one that is new starts empty', () => {
    const series = promtoolInputSeries(
      [
        { minutes: 2, samples: [{ name: 'ors_a', labels: { pod: 'p0' }, value: 1 }, { name: 'skip_me', labels: {}, value: 1 }] },
        { minutes: 3, samples: [{ name: 'ors_a', labels: { pod: 'p1' }, value: 7 }] },
      ],
      (name) => name.startsWith('ors_'),
    );
    expect(series).toEqual([
      { series: 'ors_a{pod="p0"}', values: '1 1 stale _ _' },
      { series: 'ors_a{pod="p1"}', values: '_ _ 7 7 7' },
    ]);
  });
});

describe('metricNamesIn', () => {
  it('names the metrics, not the label names of matchers, grouping clauses or label_values', () => {
    expect(metricNamesIn('max by (namespace, ors_cluster, node) (ors_active_sessions{ors_cluster=~"$cluster"} / on (pod) ors_max_sessions) > 0.9')).toEqual(['ors_active_sessions', 'ors_max_sessions']);
    expect(metricNamesIn('label_values(ors_ha_primary{namespace=~"$namespace"}, ors_cluster)')).toEqual(['ors_ha_primary']);
  });
});

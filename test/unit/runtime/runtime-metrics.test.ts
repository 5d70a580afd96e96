// The runtime's Prometheus series that the chart's alerts and dashboard use
// (charts/ors-operator/rules/ors-alerts.yaml): their names, no doubled prefix, and the
// HA gauges that are read from the live state at each scrape.
import { describe, expect, it } from 'vitest';
import { createHaMetrics, type HaObservation } from '../../../runtime/ha/ha-metrics.ts';
import { createRuntimeMetrics } from '../../../runtime/metrics/runtime-metrics.ts';

/** Sample lines of a Prometheus text exposition by series (name{labels}), without comments. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

const names = (text: string) => [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!);

describe('runtime metrics', () => {
  it('every series starts with ors_ once: process and Node metrics too', async () => {
    const metrics = createRuntimeMetrics({ node: 'node-0' });
    createHaMetrics(metrics.registry);
    const all = names(await metrics.registry.metrics());
    expect(all).toContain('ors_process_cpu_seconds_total');
    expect(all).toContain('ors_nodejs_heap_size_used_bytes');
    for (const name of all) {
      expect(name).toMatch(/^ors_/);
      expect(name).not.toMatch(/^ors_(ors|process_process|nodejs_nodejs)_/);
    }
  });

  it('exports max-sessions beside the live sessions, with the node label', async () => {
    const metrics = createRuntimeMetrics({ node: 'node-3' });
    metrics.maxSessions.set(250);
    metrics.activeSessions.set(7);
    const series = samples(await metrics.registry.metrics());
    expect(series.get('ors_max_sessions{node="node-3"}')).toBe(250);
    expect(series.get('ors_active_sessions{node="node-3"}')).toBe(7);
  });

  it('reads primary, backup synced and sync lag from the live HA state at each scrape', async () => {
    const metrics = createRuntimeMetrics({ node: 'node-0' });
    const ha = createHaMetrics(metrics.registry);
    // Before HA is attached, they read 0.
    let series = samples(await metrics.registry.metrics());
    expect(series.get('ors_ha_primary{node="node-0"}')).toBe(0);
    const state = { primary: true, synced: false, lag: 0 };
    const observation: HaObservation = { isPrimary: () => state.primary, backupSynced: () => state.synced, syncLagSeconds: () => state.lag };
    ha.observe(observation);
    series = samples(await metrics.registry.metrics());
    expect(series.get('ors_ha_primary{node="node-0"}')).toBe(1);
    expect(series.get('ors_ha_backup_synced{node="node-0"}')).toBe(0);
    Object.assign(state, { primary: false, synced: true, lag: 1.5 });
    series = samples(await metrics.registry.metrics());
    expect(series.get('ors_ha_primary{node="node-0"}')).toBe(0);
    expect(series.get('ors_ha_backup_synced{node="node-0"}')).toBe(1);
    expect(series.get('ors_ha_sync_lag_seconds{node="node-0"}')).toBe(1.5);
    // Labelled counters the alerts take increase() of exist at 0 before their first event.
    expect(series.get('ors_ha_recovery_errors_total{kind="restart",node="node-0"}')).toBe(0);
    expect(series.get('ors_watchdog_sessions_ended_total{reason="watchdog",node="node-0"}')).toBe(0);
    ha.promotions.inc();
    ha.recoveryErrors.inc({ kind: 'recover' });
    series = samples(await metrics.registry.metrics());
    expect(series.get('ors_ha_promotions_total{node="node-0"}')).toBe(1);
    expect(series.get('ors_ha_recovery_errors_total{kind="recover",node="node-0"}')).toBe(1);
  });
});

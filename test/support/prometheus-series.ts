// Turns /metrics scrapes of real runtime processes into the input of a promtool rule
// test (`promtool test rules`), so the chart's alerts are evaluated on the very series
// the runtime exports. Pure.

/** One sample line of a Prometheus text exposition: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * The ors_ metric names a PromQL expression (or a Grafana label_values query) uses: label
 * matchers, grouping clauses and label_values' label argument are label names, not metrics.
 */
export function metricNamesIn(expr: string): string[] {
  const metricsOnly = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/label_values\(([^,)]*),[^)]*\)/g, '$1');
  return [...new Set([...metricsOnly.matchAll(/\bors_[a-z0-9_]+\b/g)].map((m) => m[0]))];
}

function seriesKey(name: string, labels: Record<string, string>): string {
  const body = Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',');
  return `${name}{${body}}`;
}

/**
 * A timeline of scrapes: each phase is the samples of every process then (with the
 * target labels Prometheus would add, e.g. namespace and pod), held for `minutes`
 * one-minute steps. A series missing from a later phase goes stale there, as when
 * Prometheus stops seeing it.
 */
export function promtoolInputSeries(phases: { minutes: number; samples: Sample[] }[], keep: (name: string) => boolean): { series: string; values: string }[] {
  const keys = new Map<string, (number | undefined)[]>();
  const totalMinutes = phases.reduce((sum, phase) => sum + phase.minutes, 0);
  let start = 0;
  for (const phase of phases) {
    for (const sample of phase.samples) {
      if (!keep(sample.name)) continue;
      const key = seriesKey(sample.name, sample.labels);
      let values = keys.get(key);
      if (!values) keys.set(key, (values = new Array<number | undefined>(totalMinutes).fill(undefined)));
      for (let minute = start; minute < start + phase.minutes; minute++) values[minute] = sample.value;
    }
    start += phase.minutes;
  }
  return [...keys].map(([series, values]) => {
    const seen = values.findIndex((v) => v !== undefined);
    const written = values.map((v, minute) => {
      if (v !== undefined) return String(v);
      // Before the series exists: no sample; after it ended: a staleness marker, then nothing.
      return minute > seen && values[minute - 1] !== undefined ? 'stale' : '_';
    });
    return { series, values: written.join(' ') };
  });
}

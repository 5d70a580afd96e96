// What a benchmark reports: each figure is measured next to a baseline taken in the
// same run on the same machine, because absolute numbers on a shared, noisy machine
// mean little while ratios travel.
export interface BenchFigure {
  /** What was measured, e.g. "events/s through a two-state toggle". */
  name: string;
  value: number;
  unit: string;
  /** Whether a larger value is better (throughput) or a smaller one (latency, memory). */
  better: 'higher' | 'lower';
  baseline?: { name: string; value: number };
  /** The target the issue sets, in words, e.g. ">= 2x SCION". */
  target?: string;
  /** Whether the target is met, judged by the benchmark itself. */
  met?: boolean;
}

export interface BenchSuite {
  title: string;
  run(): Promise<BenchFigure[]>;
}

/** Ratio of value to baseline, oriented so that > 1 always means "better than baseline". */
export function advantage(figure: BenchFigure): number | undefined {
  if (!figure.baseline || figure.baseline.value === 0 || figure.value === 0) return undefined;
  return figure.better === 'higher'
    ? figure.value / figure.baseline.value
    : figure.baseline.value / figure.value;
}

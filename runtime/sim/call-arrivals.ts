// The load plan: when calls arrive, on which routing point, how long callers wait before
// abandoning and how long they talk. Poisson arrivals at `ratePerSecond`, bounded by a
// count and/or a duration; all drawn from a seeded source, so a plan is reproducible.
import type { RandomSource } from './seeded-random.ts';

export interface ArrivalPlanOptions {
  ratePerSecond: number;
  /** Stop after this many calls (undefined: no count bound). */
  maxCalls: number | undefined;
  /** Stop generating after this long (undefined: no time bound). */
  durationMs: number | undefined;
  routingPoints: readonly string[];
  meanPatienceMs: number;
  meanTalkMs: number;
}

export interface PlannedCall {
  /** Offset from the start of the run. */
  atMs: number;
  routingPoint: string;
  patienceMs: number;
  talkMs: number;
}

export function planArrivals(options: ArrivalPlanOptions, random: RandomSource): PlannedCall[] {
  if (options.maxCalls === undefined && options.durationMs === undefined) {
    throw new Error('a load plan needs a call count or a duration (or both)');
  }
  if (!(options.ratePerSecond > 0)) throw new Error('the arrival rate must be > 0 calls/s');
  if (options.routingPoints.length === 0) throw new Error('a load plan needs at least one routing point');
  const plan: PlannedCall[] = [];
  const meanGapMs = 1000 / options.ratePerSecond;
  let at = 0;
  for (;;) {
    if (options.maxCalls !== undefined && plan.length >= options.maxCalls) break;
    at += random.exponential(meanGapMs);
    if (options.durationMs !== undefined && at > options.durationMs) break;
    plan.push({
      atMs: at,
      routingPoint: options.routingPoints[random.int(options.routingPoints.length)]!,
      patienceMs: random.exponential(options.meanPatienceMs),
      talkMs: random.exponential(options.meanTalkMs),
    });
  }
  return plan;
}

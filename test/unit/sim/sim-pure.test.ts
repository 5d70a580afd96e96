import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../runtime/sim/seeded-random.ts';
import { percentile, summarize } from '../../../runtime/sim/latency-summary.ts';
import { planArrivals } from '../../../runtime/sim/call-arrivals.ts';
import { SimConfigSchema } from '../../../runtime/sim/sim-config.ts';

describe('seeded random', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = seededRandom(7), b = seededRandom(7), c = seededRandom(8);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('draws exponentials with the requested mean', () => {
    const r = seededRandom(1);
    const n = 20000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += r.exponential(100);
    expect(sum / n).toBeGreaterThan(95);
    expect(sum / n).toBeLessThan(105);
  });
});

describe('latency summary', () => {
  it('uses nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([], 50)).toBeNull();
    expect(summarize([3, 1, 2])).toEqual({ count: 3, p50: 2, p90: 3, p99: 3, max: 3, mean: 2 });
    expect(summarize([])).toMatchObject({ count: 0, p50: null });
  });
});

describe('arrival plan', () => {
  const opts = { ratePerSecond: 100, maxCalls: 500, durationMs: undefined, routingPoints: ['rp1', 'rp2'], meanPatienceMs: 1000, meanTalkMs: 500 };

  it('is bounded by the call count, in time order, at about the requested rate', () => {
    const plan = planArrivals(opts, seededRandom(3));
    expect(plan).toHaveLength(500);
    for (let i = 1; i < plan.length; i++) expect(plan[i]!.atMs).toBeGreaterThanOrEqual(plan[i - 1]!.atMs);
    const rate = plan.length / (plan[plan.length - 1]!.atMs / 1000);
    expect(rate).toBeGreaterThan(85);
    expect(rate).toBeLessThan(115);
    expect(new Set(plan.map((p) => p.routingPoint))).toEqual(new Set(['rp1', 'rp2']));
  });

  it('is bounded by duration, and the same seed gives the same plan', () => {
    const timed = planArrivals({ ...opts, maxCalls: undefined, durationMs: 2000 }, seededRandom(3));
    expect(timed.every((p) => p.atMs <= 2000)).toBe(true);
    expect(timed.length).toBeGreaterThan(150);
    expect(planArrivals(opts, seededRandom(9))).toEqual(planArrivals(opts, seededRandom(9)));
  });

  it('refuses an endless or empty plan', () => {
    expect(() => planArrivals({ ...opts, maxCalls: undefined }, seededRandom(1))).toThrow(/count or a duration/);
    expect(() => planArrivals({ ...opts, routingPoints: [] }, seededRandom(1))).toThrow(/routing point/);
    expect(() => planArrivals({ ...opts, ratePerSecond: 0 }, seededRandom(1))).toThrow(/rate/);
  });
});

describe('simulator configuration', () => {
  it('has lease expiry off by default, as ORS', () => {
    expect(SimConfigSchema.parse({}).leaseExpiry).toEqual({ enabled: false, leaseMs: 30_000 });
  });

  it('rejects a load without an end', () => {
    const r = SimConfigSchema.safeParse({ load: { ratePerSecond: 5 } });
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues[0]!.message).toMatch(/calls.*durationMs/);
  });
});

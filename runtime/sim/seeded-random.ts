// A small seedable PRNG (mulberry32) so that a load run is reproducible: the same seed
// gives the same arrivals, talk times and patience.
export interface RandomSource {
  /** Uniform in [0, 1). */
  next(): number;
  /** Exponentially distributed with this mean (inter-arrival times, patience). */
  exponential(mean: number): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    exponential: (mean) => -Math.log(1 - next()) * mean,
    int: (n) => Math.floor(next() * n),
  };
}

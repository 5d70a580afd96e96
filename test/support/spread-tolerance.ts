// How far from uniform a rendezvous-hash spread may be before a test calls it skewed.
//
// With n calls placed independently and uniformly over k nodes, each node's share is
// binomial: mean p = 1/k, standard deviation sigma = sqrt(p(1-p)/n). For n = 3,000 and
// k = 3 that is sigma = 0.86 percentage points. The bound is `z` sigma (default 4, i.e.
// 3.4 points: 1,000 +/- 103 calls): a uniform hash exceeds it on some node with
// probability under 3 x 6.3e-5 (union bound over the nodes), so the test does not flake,
// while a real skew (a node getting 37 % or more) still fails. The call ids of a seeded
// load are fixed, so a given run's counts are also reproducible.
export function spreadTolerance(calls: number, nodes: number, z = 4): number {
  if (!(calls > 0) || !(nodes > 0)) throw new Error(`spreadTolerance needs positive counts, got calls=${calls} nodes=${nodes}`);
  const p = 1 / nodes;
  return z * Math.sqrt((p * (1 - p)) / calls);
}

// How many multimedia interactions a primary may ask for now: never more than its free
// capacity, so a busy node pulls less and a free one more, and work spreads across
// nodes in proportion to capacity without any coordinator.
export interface PullBudgetInput {
  /** Sessions this process may hold at once (the node's capacity). */
  maxSessions: number;
  /** Sessions alive now (voice and multimedia; they share the node). */
  liveSessions: number;
  /** Interactions asked for in pulls not yet answered. */
  pendingPulls: number;
  /** Upper bound per pull request (`session-processing-threads` by default). */
  maxPerPull: number;
}

export function pullBudget(input: PullBudgetInput): number {
  const free = input.maxSessions - input.liveSessions - input.pendingPulls;
  return Math.max(0, Math.min(free, input.maxPerPull));
}

export interface PullScheduleInput {
  budget: number;
  /** How many interactions the previous pull returned (undefined before the first). */
  lastPulled: number | undefined;
  /** How many the previous pull asked for. */
  lastAsked: number | undefined;
  idlePollMs: number;
}

/**
 * Delay before the next pull: at once while queues deliver full pulls and capacity is
 * free; otherwise wait `idlePollMs` (queues drained, or no capacity: a session ending
 * also triggers a pull, so a full node does not busy-loop).
 */
export function nextPullDelay(input: PullScheduleInput): number | undefined {
  if (input.budget <= 0) return undefined;
  if (input.lastPulled === undefined || input.lastAsked === undefined) return 0;
  return input.lastPulled >= input.lastAsked && input.lastAsked > 0 ? 0 : input.idlePollMs;
}

// Delay before the n-th reconnect attempt: exponential, capped, with jitter so that every
// runtime process of a cluster does not hammer a restarted telephony server in step.
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Returns a number in [0, 1): injectable for deterministic tests. */
  random: () => number;
}

export const DEFAULT_BACKOFF: Omit<BackoffOptions, 'random'> = { initialMs: 100, maxMs: 5_000 };

/** `attempt` counts from 0 (the first reconnect after a drop). */
export function reconnectDelay(attempt: number, options: BackoffOptions): number {
  const exponential = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  // "Equal jitter": between half and all of the exponential delay.
  return Math.round(exponential / 2 + (exponential / 2) * options.random());
}

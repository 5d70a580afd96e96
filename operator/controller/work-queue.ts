// A keyed work queue like client-go's: a key is processed by one worker at a time, a key
// added while queued is not duplicated, a key added while being processed runs again
// afterwards, failures back off exponentially per key, and `requeueAfter` schedules a
// later pass (for waits that no watch event will end, such as timeouts).
export interface QueueMetrics {
  depth(n: number): void;
  retried(): void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly due = new Map<string, number>();
  private readonly waiters: (() => void)[] = [];
  private shuttingDown = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly metrics: QueueMetrics | undefined;

  constructor(options: { baseDelayMs?: number; maxDelayMs?: number; metrics?: QueueMetrics } = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.metrics = options.metrics;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.metrics?.depth(this.queue.length);
    this.waiters.shift()?.();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.due.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, timer);
    this.due.set(key, Date.now() + delayMs);
  }

  /**
   * Adds the key after `delayMs` unless it is queued or already due soon: a burst of
   * changes (a StatefulSet's pods being created one by one) becomes one pass, and the
   * pending time is never pushed back by later changes.
   */
  addSoon(key: string, delayMs: number): void {
    if (this.shuttingDown || this.queued.has(key)) return;
    // A pending add due sooner (an earlier change) stands; a later one (a wait's recheck, a backoff) is brought forward.
    if ((this.due.get(key) ?? Infinity) <= Date.now() + delayMs) return;
    this.addAfter(key, delayMs);
  }

  /** The key failed: retry with exponential backoff. Returns the delay. */
  retry(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    this.metrics?.retried();
    const delay = Math.min(this.baseDelayMs * 2 ** (n - 1), this.maxDelayMs);
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  async take(): Promise<string | undefined> {
    while (this.queue.length === 0) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const key = this.queue.shift()!;
    this.queued.delete(key);
    this.processing.add(key);
    this.metrics?.depth(this.queue.length);
    return key;
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.due.clear();
    for (const w of this.waiters.splice(0)) w();
  }
}

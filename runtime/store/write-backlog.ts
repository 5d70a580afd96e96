// The bounded write-behind queue in front of a remote store. It is what lets the runtime
// keep serving while Cassandra is unreachable:
//  - each write is keyed (one key per session); a newer write for a key that is still
//    waiting replaces the older one (the older caller is answered when the newer write
//    lands, because its state is then superseded), so an outage costs one entry per
//    session, not one per snapshot;
//  - writes that fail with a transient error (no host, timeout, overload) stay queued and
//    are retried with capped exponential back-off, one probe at a time while unavailable;
//  - past maxPending entries or maxBytes, new keys are shed with BacklogFullError;
//  - a caller's promise resolves only when its write (or a newer one for the same key) has
//    been applied by the store: that is what "acknowledged" means, so nothing
//    acknowledged can be lost by an outage.
// No I/O here: the write itself is a function, the clock and timers are injectable.

export class BacklogFullError extends Error {
  readonly pending: number;
  readonly pendingBytes: number;
  constructor(pending: number, pendingBytes: number, reason: string) {
    super(
      `session store backlog full (${pending} writes, ${pendingBytes} bytes waiting; ${reason}): ` +
        'the store is unreachable or too slow and this write was shed',
    );
    this.name = 'BacklogFullError';
    this.pending = pending;
    this.pendingBytes = pendingBytes;
  }
}

export class BacklogClosedError extends Error {
  constructor(message = 'session store is closed: write not applied') {
    super(message);
    this.name = 'BacklogClosedError';
  }
}

export interface WriteBacklogOptions {
  maxPending: number;
  maxBytes: number;
  maxInFlight: number;
  /** Back-off after the first transient failure; doubles up to maxRetryDelayMs. */
  minRetryDelayMs?: number;
  maxRetryDelayMs: number;
  isTransient(error: unknown): boolean;
  /** Called when availability changes (first transient failure, first success after it). */
  onAvailabilityChange?(available: boolean, error?: unknown): void;
  onShed?(error: BacklogFullError): void;
  setTimer?(fn: () => void, ms: number): unknown;
  now?(): number;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Write {
  run: () => Promise<void>;
  bytes: number;
  waiters: Waiter[];
}

interface Entry {
  key: string;
  /** When the oldest write still waiting under this key was submitted. */
  since: number;
  current: Write;
  /** A newer write that arrived while `current` was in flight. */
  next: Write | undefined;
  inFlight: boolean;
}

export interface BacklogStats {
  pending: number;
  pendingBytes: number;
  inFlight: number;
  available: boolean;
  shed: number;
  lastError: string | undefined;
  /** How long the oldest waiting write has waited (ms): how far persistence is behind. */
  oldestPendingMs: number;
}

export class WriteBacklog {
  private readonly options: WriteBacklogOptions;
  private readonly entries = new Map<string, Entry>();
  /** Keys ready to run, oldest first. */
  private readonly ready: string[] = [];
  private bytes = 0;
  private inFlight = 0;
  private available = true;
  private retryDelayMs: number;
  private retryTimerArmed = false;
  private shed = 0;
  private lastError: string | undefined;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(options: WriteBacklogOptions) {
    this.options = options;
    this.retryDelayMs = options.minRetryDelayMs ?? 50;
  }

  submit(key: string, bytes: number, run: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new BacklogClosedError());
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      const entry = this.entries.get(key);
      if (entry) {
        // Coalesce: the newest write for a key wins; earlier callers wait for it.
        const target = entry.inFlight ? entry.next : entry.current;
        const delta = bytes - (target?.bytes ?? 0);
        if (delta > 0 && this.bytes + delta > this.options.maxBytes) {
          reject(this.shedError('byte bound reached'));
          return;
        }
        this.bytes += delta;
        if (entry.inFlight) {
          entry.next = { run, bytes, waiters: [...(entry.next?.waiters ?? []), waiter] };
        } else {
          entry.current = { run, bytes, waiters: [...entry.current.waiters, waiter] };
        }
        return;
      }
      if (this.entries.size >= this.options.maxPending) {
        reject(this.shedError('entry bound reached'));
        return;
      }
      if (this.bytes + bytes > this.options.maxBytes) {
        reject(this.shedError('byte bound reached'));
        return;
      }
      this.bytes += bytes;
      this.entries.set(key, { key, since: this.now(), current: { run, bytes, waiters: [waiter] }, next: undefined, inFlight: false });
      this.ready.push(key);
      this.pump();
    });
  }

  /** Whether a write for this key is waiting or in flight. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  stats(): BacklogStats {
    // Entries are kept in submission order, so the first is the oldest.
    const oldest = this.entries.values().next().value;
    return {
      oldestPendingMs: oldest ? Math.max(0, this.now() - oldest.since) : 0,
      pending: this.entries.size,
      pendingBytes: this.bytes,
      inFlight: this.inFlight,
      available: this.available,
      shed: this.shed,
      lastError: this.lastError,
    };
  }

  /** Resolves when nothing is pending; rejects after timeoutMs. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.entries.size === 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.entries.size} store writes still pending after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Refuses new writes and fails those still pending. */
  close(reason = new BacklogClosedError('session store closed before the write was applied')): void {
    this.closed = true;
    for (const entry of this.entries.values()) {
      for (const w of [...entry.current.waiters, ...(entry.next?.waiters ?? [])]) w.reject(reason);
    }
    this.entries.clear();
    this.ready.length = 0;
    this.bytes = 0;
    this.notifyIdle();
  }

  private shedError(reason: string): BacklogFullError {
    const error = new BacklogFullError(this.entries.size, this.bytes, reason);
    this.shed++;
    this.options.onShed?.(error);
    return error;
  }

  private pump(): void {
    // While unavailable only one write probes the store; the rest wait for its outcome.
    const limit = this.available ? this.options.maxInFlight : 1;
    while (!this.closed && this.inFlight < limit && this.ready.length > 0 && !this.retryTimerArmed) {
      const key = this.ready.shift()!;
      const entry = this.entries.get(key);
      if (!entry || entry.inFlight) continue;
      this.start(entry);
    }
  }

  private start(entry: Entry): void {
    entry.inFlight = true;
    this.inFlight++;
    const write = entry.current;
    void write.run().then(
      () => this.finish(entry, write, undefined),
      (error: unknown) => this.finish(entry, write, error),
    );
  }

  private finish(entry: Entry, write: Write, error: unknown): void {
    this.inFlight--;
    entry.inFlight = false;
    if (this.closed) return;
    if (error !== undefined && this.options.isTransient(error)) {
      this.lastError = error instanceof Error ? error.message : String(error);
      if (this.available) {
        this.available = false;
        this.options.onAvailabilityChange?.(false, error);
      }
      // A newer write replaces the failed one; otherwise retry the same write.
      if (entry.next) this.supersede(entry, write);
      this.ready.unshift(entry.key);
      this.armRetry();
      return;
    }
    if (error === undefined) {
      this.retryDelayMs = this.options.minRetryDelayMs ?? 50;
      if (!this.available) {
        this.available = true;
        this.lastError = undefined;
        this.options.onAvailabilityChange?.(true);
      }
    }
    if (entry.next) {
      // The write in flight is done (or failed for good); the newer one runs next.
      this.bytes -= write.bytes;
      for (const w of write.waiters) {
        if (error === undefined) w.resolve();
        else w.reject(error);
      }
      entry.current = entry.next;
      entry.next = undefined;
      // Re-queue at the back of the submission order, aged from now.
      this.entries.delete(entry.key);
      entry.since = this.now();
      this.entries.set(entry.key, entry);
      this.ready.push(entry.key);
    } else {
      this.entries.delete(entry.key);
      this.bytes -= write.bytes;
      for (const w of write.waiters) {
        if (error === undefined) w.resolve();
        else w.reject(error);
      }
    }
    if (this.entries.size === 0) this.notifyIdle();
    this.pump();
  }

  /** After a transient failure, a newer write takes the failed one's place and callers. */
  private supersede(entry: Entry, failed: Write): void {
    const next = entry.next!;
    this.bytes -= failed.bytes;
    entry.current = { run: next.run, bytes: next.bytes, waiters: [...failed.waiters, ...next.waiters] };
    entry.next = undefined;
  }

  private armRetry(): void {
    if (this.retryTimerArmed) return;
    this.retryTimerArmed = true;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.options.maxRetryDelayMs);
    const setTimer = this.options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
    setTimer(() => {
      this.retryTimerArmed = false;
      this.pump();
    }, delay);
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

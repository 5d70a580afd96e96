// The elector loop against an in-memory lock and a controllable clock: fencing by the
// renew deadline, release on stop, and that a frozen leader learns it is deposed.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaseConflictError, type LeaseLock } from '../../../runtime/ha/leader-election/lease-lock.ts';
import type { LeaseRecord, VersionedLeaseRecord } from '../../../runtime/ha/leader-election/lease-record.ts';
import { LeaderElector } from '../../../runtime/ha/leader-election/leader-elector.ts';

/** One process's view of a shared lock, which can be cut off (a network partition). */
class PartitionableLock implements LeaseLock {
  cut = false;
  private readonly inner: LeaseLock;
  constructor(inner: LeaseLock) { this.inner = inner; }
  describe() { return this.inner.describe(); }
  private check() { if (this.cut) throw new Error('partitioned'); }
  async get() { this.check(); return this.inner.get(); }
  async create(r: LeaseRecord) { this.check(); return this.inner.create(r); }
  async update(r: LeaseRecord, v: string) { this.check(); return this.inner.update(r, v); }
  async patchAnnotations(a: Record<string, string | null>) { this.check(); return this.inner.patchAnnotations(a); }
}

class MemoryLeaseLock implements LeaseLock {
  current: VersionedLeaseRecord | undefined;
  failing = false;
  private generation = 0;
  describe() { return 'memory lease'; }
  async get() { if (this.failing) throw new Error('unreachable'); return this.current; }
  async create(record: LeaseRecord) {
    if (this.failing) throw new Error('unreachable');
    if (this.current) throw new LeaseConflictError('memory', 'exists');
    this.current = { record, version: String(++this.generation) };
    return this.current;
  }
  async update(record: LeaseRecord, version: string) {
    if (this.failing) throw new Error('unreachable');
    if (this.current?.version !== version) throw new LeaseConflictError('memory', 'stale');
    this.current = { record, version: String(++this.generation) };
    return this.current;
  }
  async patchAnnotations(annotations: Record<string, string | null>) {
    if (!this.current) return;
    const merged = { ...this.current.record.annotations };
    for (const [k, v] of Object.entries(annotations)) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    this.current = { record: { ...this.current.record, annotations: merged }, version: String(++this.generation) };
  }
}

const timings = { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 };

describe('LeaderElector', () => {
  beforeEach(() => { vi.useFakeTimers({ now: 1_000_000 }); });
  afterEach(() => { vi.useRealTimers(); });

  it('one of two candidates leads; the other takes over only after the lease expires', async () => {
    const lock = new MemoryLeaseLock();
    const aView = new PartitionableLock(lock);
    const a = new LeaderElector({ lock: aView, identity: 'a', timings, random: () => 0 });
    const b = new LeaderElector({ lock, identity: 'b', timings, random: () => 0 });
    a.start();
    await vi.advanceTimersByTimeAsync(10);
    b.start();
    await vi.advanceTimersByTimeAsync(2000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(a.state().epoch).toBe(1);

    aView.cut = true; // a can no longer renew
    const lostAt = Date.now();
    let aSteppedDownAt = 0;
    let bLeadingAt = 0;
    a.onChange((s) => { if (!s.leading && !aSteppedDownAt) aSteppedDownAt = Date.now(); });
    b.onChange((s) => { if (s.leading && !bLeadingAt) bLeadingAt = Date.now(); });
    await vi.advanceTimersByTimeAsync(3500);
    expect(a.isLeader()).toBe(false);
    expect(aSteppedDownAt - lostAt).toBeLessThanOrEqual(3000);
    expect(b.isLeader()).toBe(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(bLeadingAt).toBeGreaterThan(aSteppedDownAt);
    expect(b.isLeader()).toBe(true);
    expect(b.state().epoch).toBe(2);
    expect(a.isLeader()).toBe(false);
    await a.stop();
    await b.stop();
  });

  it('releases on stop so the other candidate takes over at its next retry', async () => {
    const lock = new MemoryLeaseLock();
    const a = new LeaderElector({ lock, identity: 'a', timings, random: () => 0, annotations: { url: 'http://a' } });
    const b = new LeaderElector({ lock, identity: 'b', timings, random: () => 0 });
    a.start();
    await vi.advanceTimersByTimeAsync(10);
    b.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.state().observed?.annotations.url).toBe('http://a');
    await a.stop();
    expect(lock.current?.record.holderIdentity).toBe('');
    expect(lock.current?.record.annotations.url).toBeUndefined();
    await vi.advanceTimersByTimeAsync(600);
    expect(b.isLeader()).toBe(true);
    await b.stop();
  });

  it('a step-down releases the lease even when another writer touched it in between, so the successor takes over at its next retry', async () => {
    const lock = new MemoryLeaseLock();
    const a = new LeaderElector({ lock, identity: 'a', timings, random: () => 0 });
    const b = new LeaderElector({ lock, identity: 'b', timings, random: () => 0 });
    a.start();
    await vi.advanceTimersByTimeAsync(10);
    b.start();
    await vi.advanceTimersByTimeAsync(1000);
    // The backup reports its sync state on the lease right between a's read and write.
    const update = lock.update.bind(lock);
    let raced = false;
    lock.update = async (record, version) => {
      if (!raced && record.holderIdentity === '') {
        raced = true;
        await lock.patchAnnotations({ 'ors.dev/sync-state': 'synced' });
      }
      return update(record, version);
    };
    await a.stepDown(4000, 'test');
    expect(raced).toBe(true);
    expect(lock.current?.record.holderIdentity).toBe('');
    await vi.advanceTimersByTimeAsync(600);
    expect(b.isLeader()).toBe(true);
    await a.stop();
    await b.stop();
  });

  it('a step-down whose release fails holds off until the lease has expired for the successor', async () => {
    const lock = new MemoryLeaseLock();
    const a = new LeaderElector({ lock, identity: 'a', timings, random: () => 0 });
    const b = new LeaderElector({ lock, identity: 'b', timings, random: () => 0 });
    a.start();
    await vi.advanceTimersByTimeAsync(10);
    b.start();
    await vi.advanceTimersByTimeAsync(1000);
    const update = lock.update.bind(lock);
    lock.update = async (record, version) => {
      if (record.holderIdentity === '') throw new Error('the API server timed out');
      return update(record, version);
    };
    // A hold-off shorter than the lease: a could re-take its own record before b may.
    await a.stepDown(1000, 'test');
    expect(lock.current?.record.holderIdentity).toBe('a');
    await vi.advanceTimersByTimeAsync(timings.leaseDurationMs + 2 * timings.retryPeriodMs);
    expect(a.isLeader()).toBe(false);
    expect(b.isLeader()).toBe(true);
    await a.stop();
    await b.stop();
  });

  it('a leader whose clock jumped past its renew deadline (frozen process) is not leader when asked', async () => {
    const lock = new MemoryLeaseLock();
    const a = new LeaderElector({ lock, identity: 'a', timings, random: () => 0 });
    a.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(a.isLeader()).toBe(true);
    vi.setSystemTime(Date.now() + 10_000); // time passes without timers running, like SIGSTOP
    expect(a.isLeader()).toBe(false);
    await a.stop();
  });

  it('a deposed leader that comes back gets a new epoch', async () => {
    const lock = new MemoryLeaseLock();
    const a = new LeaderElector({ lock, identity: 'a', timings, random: () => 0 });
    a.start();
    await vi.advanceTimersByTimeAsync(10);
    vi.setSystemTime(Date.now() + 10_000);
    expect(a.isLeader()).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(a.isLeader()).toBe(true);
    expect(a.state().epoch).toBe(2);
    await a.stop();
  });

  it('rejects unsafe timings', () => {
    expect(() => new LeaderElector({ lock: new MemoryLeaseLock(), identity: 'a', timings: { leaseDurationMs: 1000, renewDeadlineMs: 2000, retryPeriodMs: 100 } })).toThrow(/renew deadline/);
  });
});

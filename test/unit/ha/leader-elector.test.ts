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

  it('crash takeover: the backup takes the lease from the named holder at once with a new epoch, and only from that holder', async () => {
    const lock = new MemoryLeaseLock();
    const dead = new LeaderElector({ lock, identity: 'a', timings, random: () => 0 });
    const backup = new LeaderElector({ lock, identity: 'b', timings, random: () => 0 });
    dead.start();
    await vi.advanceTimersByTimeAsync(10);
    backup.start();
    await vi.advanceTimersByTimeAsync(600);
    expect(await backup.takeOver('c', 'test')).toBe(false); // the lease names a, not c
    expect(backup.isLeader()).toBe(false);
    (dead as unknown as { running: boolean }).running = false; // killed: no more renewals, no release
    expect(await backup.takeOver('a', 'refusals')).toBe(true);
    expect(backup.isLeader()).toBe(true);
    expect(backup.state().epoch).toBe(2);
    expect(lock.current?.record.holderIdentity).toBe('b');
    await backup.stop();
  });

  it('failsafe: a leader that cannot renew leads on while confirmations come, and steps down at the deadline after the last one', async () => {
    const lock = new MemoryLeaseLock();
    const aView = new PartitionableLock(lock);
    const a = new LeaderElector({ lock: aView, identity: 'a', timings, random: () => 0 });
    const b = new LeaderElector({ lock, identity: 'b', timings, random: () => 0 });
    a.start();
    await vi.advanceTimersByTimeAsync(10);
    b.start();
    await vi.advanceTimersByTimeAsync(600);
    aView.cut = true;
    expect(a.renewalOverdueSince()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(timings.renewDeadlineMs / 2 + 100);
    expect(a.renewalOverdueSince()).toBeDefined();
    // Ten seconds of confirmations, one per retry period: a never loses the lease, b never takes it.
    for (let i = 0; i < 20; i++) {
      const sentAt = Date.now();
      expect(a.isLeader()).toBe(true);
      expect(b.promiseNotToAcquire('a', timings.leaseDurationMs)).toBe(true);
      expect(a.extendByConfirmation(sentAt)).toBe(true);
      await vi.advanceTimersByTimeAsync(timings.retryPeriodMs);
      expect(a.isLeader()).toBe(true);
      expect(b.isLeader()).toBe(false);
    }
    expect(a.state().failsafe).toBe(true);
    expect(b.state().observedHolderValid).toBe(true); // b still follows a
    // Confirmations stop: a steps down by the last probe + renew deadline; b waits out its promise, then the lease.
    const lastProbe = Date.now() - timings.retryPeriodMs;
    await vi.advanceTimersByTimeAsync(timings.renewDeadlineMs);
    expect(a.isLeader()).toBe(false);
    expect(Date.now()).toBeGreaterThanOrEqual(lastProbe + timings.renewDeadlineMs);
    expect(b.isLeader()).toBe(false);
    await vi.advanceTimersByTimeAsync(timings.leaseDurationMs);
    expect(b.isLeader()).toBe(true);
    expect(a.extendByConfirmation(Date.now())).toBe(false); // a deposed leader is not resurrected
    await a.stop();
    await b.stop();
  });

  it('failsafe: a promise holds against the holder it was given to, not against a lease that holder released (step-down)', async () => {
    const lock = new MemoryLeaseLock();
    const a = new LeaderElector({ lock, identity: 'a', timings, random: () => 0 });
    const b = new LeaderElector({ lock, identity: 'b', timings, random: () => 0 });
    a.start();
    await vi.advanceTimersByTimeAsync(10);
    b.start();
    await vi.advanceTimersByTimeAsync(600);
    expect(b.promiseNotToAcquire('a', 60_000)).toBe(true);
    await a.stepDown(10_000, 'operator');
    await vi.advanceTimersByTimeAsync(600);
    expect(b.isLeader()).toBe(true);
    await a.stop();
    await b.stop();
  });

  it('failsafe: a candidate with an acquiring write in flight cannot promise', async () => {
    const lock = new MemoryLeaseLock();
    const update = lock.update.bind(lock);
    let release: () => void = () => {};
    lock.create = async () => { throw new LeaseConflictError('memory', 'exists'); };
    lock.current = { record: { holderIdentity: '', acquireTime: 0, renewTime: 0, leaseDurationSeconds: 4, leaseTransitions: 1, annotations: {} }, version: '1' };
    let blocked = true;
    lock.update = async (record, version) => {
      if (blocked) await new Promise<void>((resolve) => (release = resolve));
      blocked = false;
      return update(record, version);
    };
    const b = new LeaderElector({ lock, identity: 'b', timings, random: () => 0 });
    b.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(b.promiseNotToAcquire('a', timings.leaseDurationMs)).toBe(false);
    release();
    await vi.advanceTimersByTimeAsync(10);
    expect(b.isLeader()).toBe(true);
    expect(b.promiseNotToAcquire('a', timings.leaseDurationMs)).toBe(false);
    await b.stop();
  });

  it('publishes a changing load report with its renewals without telling listeners; other annotations still do', async () => {
    const lock = new MemoryLeaseLock();
    const a = new LeaderElector({ lock, identity: 'a', timings, random: () => 0 });
    const changes: unknown[] = [];
    a.onChange((s) => changes.push(s.observed?.annotations));
    a.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(a.isLeader()).toBe(true);
    const heard = changes.length;
    for (let n = 1; n <= 3; n++) {
      a.setAnnotations({ 'ors.dev/http-url': 'http://a', 'ors.dev/primary-load': JSON.stringify({ primary: 'a', sessions: n }) });
      await vi.advanceTimersByTimeAsync(timings.retryPeriodMs);
      expect(JSON.parse(lock.current!.record.annotations['ors.dev/primary-load']!)).toEqual({ primary: 'a', sessions: n });
      expect(a.state().observed?.annotations['ors.dev/primary-load']).toBe(lock.current!.record.annotations['ors.dev/primary-load']);
    }
    // The first renewal added http-url (a change); the load's own changes told nobody.
    expect(changes.length).toBe(heard + 1);
    await a.stop();
    expect(lock.current!.record.annotations).toEqual({}); // released with the holder's other keys
  });
});

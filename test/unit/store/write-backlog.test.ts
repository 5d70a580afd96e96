import { describe, expect, test } from 'vitest';
import { BacklogClosedError, BacklogFullError, WriteBacklog, type WriteBacklogOptions } from '../../../runtime/store/write-backlog.ts';

class Transient extends Error {}

/** A store stand-in whose availability the test switches; records what it applied. */
function fakeStore() {
  const applied: string[] = [];
  let up = true;
  const gates: Array<() => void> = [];
  return {
    applied,
    setUp(value: boolean) {
      up = value;
    },
    /** Writes block until released, to observe in-flight behaviour. */
    hold: false,
    release() {
      for (const g of gates.splice(0)) g();
    },
    write(label: string) {
      return async () => {
        if (this.hold) await new Promise<void>((r) => gates.push(r));
        if (!up) throw new Transient('no host available');
        applied.push(label);
      };
    },
  };
}

function backlog(overrides: Partial<WriteBacklogOptions> = {}) {
  const events: boolean[] = [];
  const shed: BacklogFullError[] = [];
  const b = new WriteBacklog({
    maxPending: 3,
    maxBytes: 1000,
    maxInFlight: 2,
    minRetryDelayMs: 5,
    maxRetryDelayMs: 20,
    isTransient: (e) => e instanceof Transient,
    onAvailabilityChange: (available) => events.push(available),
    onShed: (e) => shed.push(e),
    ...overrides,
  });
  return { b, events, shed };
}

const settled = (p: Promise<void>) => p.then(() => 'applied', (e: unknown) => e);

describe('WriteBacklog', () => {
  test('applies writes and resolves only after they are applied', async () => {
    const store = fakeStore();
    const { b } = backlog();
    await b.submit('a', 10, store.write('a1'));
    expect(store.applied).toEqual(['a1']);
    expect(b.stats()).toMatchObject({ pending: 0, pendingBytes: 0, available: true });
  });

  test('holds writes while the store is down, retries, and applies them when it returns', async () => {
    const store = fakeStore();
    store.setUp(false);
    const { b, events } = backlog();
    const a = settled(b.submit('a', 10, store.write('a1')));
    const c = settled(b.submit('c', 10, store.write('c1')));
    await new Promise((r) => setTimeout(r, 60));
    expect(b.stats()).toMatchObject({ pending: 2, available: false, lastError: 'no host available' });
    expect(events).toEqual([false]);
    store.setUp(true);
    expect(await a).toBe('applied');
    expect(await c).toBe('applied');
    expect(store.applied.sort()).toEqual(['a1', 'c1']);
    expect(events).toEqual([false, true]);
    expect(b.stats()).toMatchObject({ pending: 0, available: true, lastError: undefined });
  });

  test('reports how long the oldest waiting write has waited', async () => {
    let now = 1000;
    const store = fakeStore();
    store.setUp(false);
    const { b } = backlog({ now: () => now });
    expect(b.stats().oldestPendingMs).toBe(0);
    const first = settled(b.submit('a', 1, store.write('a')));
    now = 1500;
    const second = settled(b.submit('b', 1, store.write('b')));
    now = 4000;
    expect(b.stats().oldestPendingMs).toBe(3000);
    store.setUp(true);
    await Promise.all([first, second]);
    expect(b.stats().oldestPendingMs).toBe(0);
  });

  test('a newer write for a waiting key replaces the older; both callers resolve when it lands', async () => {
    const store = fakeStore();
    store.setUp(false);
    const { b } = backlog();
    const first = settled(b.submit('a', 10, store.write('a1')));
    await new Promise((r) => setTimeout(r, 10));
    const second = settled(b.submit('a', 30, store.write('a2')));
    const third = settled(b.submit('a', 20, store.write('a3')));
    expect(b.stats()).toMatchObject({ pending: 1 });
    store.setUp(true);
    expect(await Promise.all([first, second, third])).toEqual(['applied', 'applied', 'applied']);
    expect(store.applied).toEqual(['a3']);
    expect(b.stats().pendingBytes).toBe(0);
  });

  test('a write arriving while the same key is in flight runs after it, in order', async () => {
    const store = fakeStore();
    store.hold = true;
    const { b } = backlog();
    const first = settled(b.submit('a', 10, store.write('a1')));
    await new Promise((r) => setTimeout(r, 5));
    const second = settled(b.submit('a', 10, store.write('a2')));
    store.hold = false;
    store.release();
    expect(await Promise.all([first, second])).toEqual(['applied', 'applied']);
    expect(store.applied).toEqual(['a1', 'a2']);
  });

  test('sheds new keys past the entry bound and past the byte bound, counting them', async () => {
    const store = fakeStore();
    store.setUp(false);
    const { b, shed } = backlog();
    const kept = ['a', 'b', 'c'].map((k) => settled(b.submit(k, 100, store.write(k))));
    const overCount = await settled(b.submit('d', 1, store.write('d')));
    expect(overCount).toBeInstanceOf(BacklogFullError);
    expect((overCount as Error).message).toMatch(/3 writes, 300 bytes waiting; entry bound reached/);
    const overBytes = await settled(b.submit('a', 900, store.write('a-big')));
    expect(overBytes).toBeInstanceOf(BacklogFullError);
    expect(shed).toHaveLength(2);
    expect(b.stats().shed).toBe(2);
    store.setUp(true);
    expect(await Promise.all(kept)).toEqual(['applied', 'applied', 'applied']);
  });

  test('a permanent error fails that write only', async () => {
    const { b } = backlog();
    const bad = await settled(b.submit('a', 1, async () => Promise.reject(new Error('syntax error'))));
    expect(bad).toMatchObject({ message: 'syntax error' });
    expect(b.stats()).toMatchObject({ pending: 0, available: true });
  });

  test('limits writes in flight, and probes one at a time while unavailable', async () => {
    let running = 0;
    let peak = 0;
    let up = true;
    const { b } = backlog({ maxPending: 100, maxBytes: 10_000, maxInFlight: 4 });
    const write = () => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (!up) throw new Transient('down');
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => b.submit(`k${i}`, 1, write())));
    expect(peak).toBe(4);
    up = false;
    peak = 0;
    const waiting = Array.from({ length: 10 }, (_, i) => settled(b.submit(`d${i}`, 1, write())));
    await new Promise((r) => setTimeout(r, 40)); // the first wave fails, then one probe at a time
    peak = 0;
    await new Promise((r) => setTimeout(r, 80));
    expect(peak).toBe(1);
    up = true;
    expect(await Promise.all(waiting)).toEqual(Array(10).fill('applied'));
  });

  test('drain waits for pending writes; close fails the rest and refuses new ones', async () => {
    const store = fakeStore();
    store.setUp(false);
    const { b } = backlog();
    const pending = settled(b.submit('a', 1, store.write('a')));
    await expect(b.drain(30)).rejects.toThrow(/1 store writes still pending/);
    b.close();
    expect(await pending).toBeInstanceOf(BacklogClosedError);
    expect(await settled(b.submit('b', 1, store.write('b')))).toBeInstanceOf(BacklogClosedError);
  });
});

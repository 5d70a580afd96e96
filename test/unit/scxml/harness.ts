// Test support: a virtual clock that jumps to the next timer when nothing else is runnable,
// and a driver that runs a session (and the children it invokes) to completion.
import type { Clock } from '../../../runtime/scxml/index.ts';

interface Timer {
  due: number;
  seq: number;
  fire: () => void;
}

export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];
  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }
  now(): number {
    return this.time;
  }
  setTimer(due: number, fire: () => void): unknown {
    const t = { due, seq: this.seq++, fire };
    this.timers.push(t);
    return t;
  }
  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }
  get pending(): number {
    return this.timers.length;
  }
  /** Fires the earliest timer (advancing time to it); false when none is left. */
  advance(): boolean {
    if (this.timers.length === 0) return false;
    this.timers.sort((a, b) => a.due - b.due || a.seq - b.seq);
    const t = this.timers.shift()!;
    this.time = Math.max(this.time, t.due);
    t.fire();
    return true;
  }
  /** Advances to `time`, firing every timer due by then. */
  advanceTo(time: number): void {
    for (;;) {
      this.timers.sort((a, b) => a.due - b.due || a.seq - b.seq);
      const t = this.timers[0];
      if (!t || t.due > time) break;
      this.timers.shift();
      this.time = Math.max(this.time, t.due);
      t.fire();
    }
    this.time = Math.max(this.time, time);
  }
}

/** A scheduler that collects runnable sessions; drain() runs them until none is left. */
export class ManualScheduler {
  private readonly queue: Array<{ run(): void }> = [];
  readonly schedule = (s: { run(): void }) => {
    this.queue.push(s);
  };
  drain(): void {
    let guard = 0;
    while (this.queue.length > 0) {
      this.queue.shift()!.run();
      if (++guard > 1_000_000) throw new Error('scheduler does not settle');
    }
  }
  get idle(): boolean {
    return this.queue.length === 0;
  }
}

/** A deterministic random source (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The default clock: wall time, and one Node timer for however many delayed sends are
// pending. A Node Timeout per delayed send would cost ~1 µs and ~150 bytes each and
// dominate session creation for strategies that always arm a timer; here a binary heap
// holds the due times and a single timer is armed for the earliest one.
import type { Clock } from './types.ts';

interface Entry {
  due: number;
  seq: number;
  fire: (() => void) | undefined;
}

export class SystemClock implements Clock {
  private heap: Entry[] = [];
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedFor = Infinity;
  private live = 0;

  now(): number {
    return Date.now();
  }

  setTimer(dueTime: number, fire: () => void): unknown {
    const entry: Entry = { due: dueTime, seq: this.seq++, fire };
    this.push(entry);
    this.live++;
    if (dueTime < this.armedFor) this.arm();
    return entry;
  }

  clearTimer(handle: unknown): void {
    const entry = handle as Entry;
    if (entry.fire) {
      entry.fire = undefined; // removed lazily when it reaches the top
      this.live--;
    }
    if (this.live === 0) {
      this.heap = [];
      this.disarm();
    }
  }

  private arm(): void {
    this.disarm();
    const top = this.heap[0];
    if (!top) return;
    this.armedFor = top.due;
    this.timer = setTimeout(() => this.fireDue(), Math.max(0, top.due - Date.now()));
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private fireDue(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = Date.now();
    while (this.heap.length > 0 && this.heap[0]!.due <= now) {
      const entry = this.pop()!;
      const fire = entry.fire;
      if (!fire) continue;
      entry.fire = undefined;
      this.live--;
      try {
        fire();
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    while (this.heap.length > 0 && !this.heap[0]!.fire) this.pop();
    if (this.heap.length > 0) this.arm();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** One clock for the process unless the host injects its own. */
export const systemClock = new SystemClock();

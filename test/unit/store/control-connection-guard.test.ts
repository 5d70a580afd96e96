// The guard around cassandra-driver's overlapping ControlConnection refreshes
// (runtime/store/control-connection-guard.ts), on a stand-in with the driver's shape.
import { describe, expect, it } from 'vitest';
import { controlConnectionOf, guardControlConnectionRefresh, type RefreshingControlConnection } from '../../../runtime/store/control-connection-guard.ts';

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Like the driver's _refresh: resets the connection, borrows one, waits on the network, then uses it. */
class RacyControlConnection implements RefreshingControlConnection {
  connection: { once(event: string): void } | null = null;
  listened = 0;
  readonly gates: (() => void)[] = [];

  async _refresh(): Promise<void> {
    this.connection = null;
    await flush(); // borrowing a connection
    this.connection = { once: () => void this.listened++ };
    await new Promise<void>((resolve) => this.gates.push(resolve)); // topology over the network
    // The driver's _setHealthListeners(this.host, this.connection).
    this.connection!.once('socketClose');
  }
}

/** Starts refresh A, lets it borrow a connection, starts B (which resets it), then lets A finish first. */
async function overlap(c: RacyControlConnection): Promise<{ older: Promise<unknown>; newer: Promise<void> }> {
  const older = c._refresh().then(() => undefined, (e: unknown) => e);
  await flush();
  const newer = c._refresh();
  c.gates.shift()!();
  const settled = await older;
  await flush();
  c.gates.shift()!();
  await newer;
  return { older: Promise.resolve(settled), newer };
}

describe('guardControlConnectionRefresh', () => {
  it('unguarded, the older of two overlapping refreshes rejects with the driver\'s TypeError', async () => {
    const c = new RacyControlConnection();
    const { older } = await overlap(c);
    expect(String(await older)).toBe("TypeError: Cannot read properties of null (reading 'once')");
    expect(c.listened).toBe(1);
  });

  it('guarded, the same overlap is logged, the newer refresh sets the listeners, and nothing rejects', async () => {
    const c = new RacyControlConnection();
    const logs: Record<string, unknown>[] = [];
    const scheduled: number[] = [];
    guardControlConnectionRefresh(c, { log: (_m, d) => logs.push(d), retryDelayMs: 1000, schedule: (_run, ms) => scheduled.push(ms) });
    const { older } = await overlap(c);
    expect(await older).toBeUndefined();
    expect(logs).toEqual([{ err: "TypeError: Cannot read properties of null (reading 'once')", othersRunning: true }]);
    expect(scheduled).toEqual([]);
    expect(c.listened).toBe(1);
  });

  it('a failed refresh while another runs is logged, not rejected, and not rescheduled', async () => {
    const logs: Record<string, unknown>[] = [];
    const scheduled: number[] = [];
    const c: RefreshingControlConnection & { calls: number } = {
      calls: 0,
      async _refresh() {
        this.calls++;
        if (this.calls === 1) {
          await flush();
          throw new TypeError("Cannot read properties of null (reading 'once')");
        }
        await flush();
        await flush();
      },
    };
    guardControlConnectionRefresh(c, { log: (_m, d) => logs.push(d), retryDelayMs: 1000, schedule: (_run, ms) => scheduled.push(ms) });
    const first = c._refresh();
    const second = c._refresh();
    await expect(first).resolves.toBeUndefined();
    await expect(second).resolves.toBeUndefined();
    expect(logs).toEqual([{ err: "TypeError: Cannot read properties of null (reading 'once')", othersRunning: true }]);
    expect(scheduled).toEqual([]);
  });

  it('a failed refresh with none other running schedules a new one, which runs the driver\'s refresh again', async () => {
    const runs: (() => void)[] = [];
    let calls = 0;
    const c: RefreshingControlConnection = {
      async _refresh() {
        calls++;
        if (calls === 1) throw new Error('no host available');
      },
    };
    const logs: Record<string, unknown>[] = [];
    guardControlConnectionRefresh(c, { log: (_m, d) => logs.push(d), retryDelayMs: 1000, schedule: (run) => runs.push(run) });
    await expect(c._refresh()).resolves.toBeUndefined();
    expect(logs).toEqual([{ err: 'Error: no host available', othersRunning: false }]);
    expect(runs).toHaveLength(1);
    runs[0]!();
    await flush();
    expect(calls).toBe(2);
  });

  it('retries inside a refresh (with the host iterator) reach their caller unchanged', async () => {
    const c: RefreshingControlConnection = {
      async _refresh(hostIterator?: unknown) {
        if (hostIterator !== undefined) throw new Error(`retry with ${String(hostIterator)} failed`);
      },
    };
    guardControlConnectionRefresh(c, { log: () => undefined, retryDelayMs: 1000, schedule: () => undefined });
    await expect(c._refresh('plan')).rejects.toThrow('retry with plan failed');
  });

  it('finds the ControlConnection of a real cassandra-driver Client, and says so when it cannot', async () => {
    const { default: cassandra } = await import('cassandra-driver');
    const client = new cassandra.Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1' });
    expect(typeof controlConnectionOf(client)._refresh).toBe('function');
    expect(() => controlConnectionOf({})).toThrow(/driver internals changed/);
  });
});

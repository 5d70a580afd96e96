// Plays a load plan into the simulator: offers each planned call at its time, then
// reports when the run is over (every planned call offered and finished).
import { planArrivals } from './call-arrivals.ts';
import type { PlannedCall } from './call-arrivals.ts';
import { seededRandom } from './seeded-random.ts';
import type { Load } from './sim-config.ts';
import type { TelephonySimulator } from './telephony-simulator.ts';

export interface LoadRun {
  planned: number;
  offered: () => number;
  /** The ids of the calls offered so far, in order. */
  callIds: () => readonly string[];
  /** Resolves when every planned call has been offered and has ended. */
  done: Promise<void>;
  stop: () => void;
}

export function startLoad(sim: TelephonySimulator, load: Load, routingPoints: readonly string[]): LoadRun {
  const plan: PlannedCall[] = planArrivals(
    {
      ratePerSecond: load.ratePerSecond,
      maxCalls: load.calls,
      durationMs: load.durationMs,
      routingPoints,
      meanPatienceMs: load.meanPatienceMs,
      meanTalkMs: load.meanTalkMs,
    },
    seededRandom(load.seed),
  );
  const started = performance.now();
  const callIds: string[] = [];
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));

  const waitForCallsToEnd = (): void => {
    const poll = setInterval(() => {
      if (stopped || callIds.every((id) => sim.callInfo(id)?.state === 'released')) {
        clearInterval(poll);
        finish();
      }
    }, 50);
  };

  // One timer walks the plan, offering every call that is due: a timer per call would
  // drift and cost more at high rates.
  const tick = (): void => {
    if (stopped) return;
    const elapsed = performance.now() - started;
    while (next < plan.length && plan[next]!.atMs <= elapsed) {
      const p = plan[next++]!;
      callIds.push(sim.offerCall({ routingPoint: p.routingPoint, patienceMs: p.patienceMs, talkMs: p.talkMs }));
    }
    if (next < plan.length) timer = setTimeout(tick, Math.max(0, Math.min(50, plan[next]!.atMs - elapsed)));
    else waitForCallsToEnd();
  };
  tick();

  return {
    planned: plan.length,
    offered: () => next,
    callIds: () => callIds,
    done,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      finish();
    },
  };
}

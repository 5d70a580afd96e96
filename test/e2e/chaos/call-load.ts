// Voice load for the chaos run: calls offered at a steady rate through `ors sim`'s
// control API, alternating between routing points, each caller waiting `patienceMs`
// before hanging up. At the end every offered call is read back from the simulator: a
// call that was never routed (abandoned, or still ringing) is a failure, whatever the
// faults did to its node. The tally itself is pure (tallyCalls) and unit-tested.
import { setTimeout as sleep } from 'node:timers/promises';

export interface CallLoadOptions {
  /** The simulator's control API (http://host:port). */
  simUrl: string;
  ratePerSecond: number;
  routingPoints: readonly string[];
  /** How long a caller waits on the routing point before abandoning. */
  patienceMs: number;
  /** Talk time once routed. */
  talkMs: number;
  /** Attached data of every call (the strategies read their parameters from it). */
  attachedData: Record<string, string | number>;
}

export interface SimCallEvent {
  type: string;
  at: number;
  nodeId?: string;
  sessionId?: string;
}

export interface SimCallInfo {
  callId: string;
  state: string;
  events: SimCallEvent[];
}

/** What reading a call back gave: its history, or why there is none. */
export type CallReadback = SimCallInfo | { callId: string; error: string };

/** A moment a node's primary was killed or frozen. */
export interface PrimaryFault {
  node: string;
  at: number;
}

export interface CallFigures {
  offered: number;
  routed: number;
  abandoned: number;
  /** Calls without a call.routed: abandoned, still ringing, or never offered successfully. */
  neverRouted: number;
  /** Calls whose assigned node lost its primary while they waited to be routed (all must still be routed). */
  caughtByPrimaryFault: number;
  caughtByPrimaryFaultRouted: number;
  failures: string[];
}

/**
 * Tallies calls read back from the simulator. `assignedNode` names the node a call was
 * assigned to (its session's node when attached; else the rendezvous placement).
 * A call is caught by a primary fault when the fault hit its assigned node between the
 * call's ringing and its routing (or the end, if never routed).
 */
export function tallyCalls(
  calls: readonly CallReadback[],
  primaryFaults: readonly PrimaryFault[],
  assignedNode: (call: SimCallInfo) => string,
): CallFigures {
  const figures: CallFigures = { offered: calls.length, routed: 0, abandoned: 0, neverRouted: 0, caughtByPrimaryFault: 0, caughtByPrimaryFaultRouted: 0, failures: [] };
  for (const call of calls) {
    if ('error' in call) {
      figures.neverRouted++;
      figures.failures.push(`${call.callId}: ${call.error}`);
      continue;
    }
    const ringing = call.events.find((e) => e.type === 'call.ringing');
    const routed = call.events.find((e) => e.type === 'call.routed');
    const abandoned = call.events.some((e) => e.type === 'call.abandoned');
    if (routed) figures.routed++;
    if (abandoned) figures.abandoned++;
    if (!routed) {
      figures.neverRouted++;
      // Times as offsets from the ringing, which is given in UTC: what the fault journal is matched against.
      const start = ringing?.at ?? call.events[0]?.at ?? 0;
      const history = call.events
        .map((e) => `${e.type}${e.nodeId ? `@${e.nodeId}` : ''}${e.at > start ? `+${Math.round(e.at - start)}ms` : ''}`)
        .join(' ');
      const rang = ringing ? `, rang ${new Date(ringing.at).toISOString()}` : '';
      figures.failures.push(`${call.callId} (${call.state}, assigned ${assignedNode(call)}${rang}): ${history}`);
    }
    if (ringing) {
      const node = assignedNode(call);
      const until = routed?.at ?? Number.POSITIVE_INFINITY;
      if (primaryFaults.some((f) => f.node === node && f.at >= ringing.at && f.at <= until)) {
        figures.caughtByPrimaryFault++;
        if (routed) figures.caughtByPrimaryFaultRouted++;
      }
    }
  }
  return figures;
}

export class SteadyCallLoad {
  private readonly options: CallLoadOptions;
  private readonly offered: string[] = [];
  private readonly offerErrors: { callId: string; error: string }[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(options: CallLoadOptions) {
    this.options = options;
  }

  get offeredCount(): number {
    return this.offered.length + this.offerErrors.length;
  }

  start(): void {
    this.running = true;
    this.loop = this.offerLoop();
  }

  /** Stops offering calls and waits (at most `settleMs`) for every offered call to be released. */
  async stop(settleMs: number): Promise<CallReadback[]> {
    this.running = false;
    await this.loop;
    const deadline = Date.now() + settleMs;
    let infos = await this.readAll();
    while (Date.now() < deadline && infos.some((c) => !('error' in c) && c.state !== 'released')) {
      await sleep(1000);
      infos = await this.readAll();
    }
    return [...infos, ...this.offerErrors];
  }

  private async readAll(): Promise<CallReadback[]> {
    const out: CallReadback[] = [];
    // A few at a time: the simulator shares the machine with the cluster.
    for (let i = 0; i < this.offered.length; i += 20) {
      out.push(...(await Promise.all(this.offered.slice(i, i + 20).map(async (callId) => {
        try {
          const response = await fetch(`${this.options.simUrl}/calls/${encodeURIComponent(callId)}`);
          if (!response.ok) return { callId, error: `GET /calls/${callId}: ${response.status}` };
          return (await response.json()) as SimCallInfo;
        } catch (error) {
          return { callId, error: (error as Error).message };
        }
      }))));
    }
    return out;
  }

  private async offerLoop(): Promise<void> {
    const period = 1000 / this.options.ratePerSecond;
    const startedAt = Date.now();
    for (let n = 0; this.running; n++) {
      const due = startedAt + n * period;
      if (due > Date.now()) await sleep(due - Date.now());
      if (!this.running) break;
      const routingPoint = this.options.routingPoints[n % this.options.routingPoints.length]!;
      try {
        const response = await fetch(`${this.options.simUrl}/calls`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ routingPoint, patienceMs: this.options.patienceMs, talkMs: this.options.talkMs, attachedData: this.options.attachedData }),
        });
        const body = (await response.json()) as { callId?: string; message?: string };
        if (response.status === 201 && body.callId) this.offered.push(body.callId);
        else this.offerErrors.push({ callId: `offer-${n}`, error: `POST /calls: ${response.status} ${body.message ?? ''}` });
      } catch (error) {
        this.offerErrors.push({ callId: `offer-${n}`, error: `POST /calls: ${(error as Error).message}` });
      }
    }
  }
}

// What the simulator counts: the load generator's report (calls offered, routed,
// abandoned, time to route) and who pulled, completed and returned which interaction.
import { summarize } from './latency-summary.ts';
import type { LatencySummary } from './latency-summary.ts';

export interface PerNodeInteractionCounts {
  pulled: number;
  completed: number;
  stopped: number;
  returned: number;
}

export interface PullLogEntry {
  at: number;
  processId: string;
  nodeId: string;
  /** The role the process declared when it pulled. */
  role: 'primary' | 'backup';
  queues: string[];
  asked: number;
  interactionIds: string[];
  /** Set when the server refused the pull (a backup asking). */
  refused?: string;
}

export interface SimStatisticsReport {
  calls: {
    offered: number;
    routed: number;
    abandoned: number;
    releasedBeforeRouting: number;
    inProgress: number;
    timeToRouteMs: LatencySummary;
    routedByNode: Record<string, number>;
    sessionsAttachedByNode: Record<string, number>;
    attachRefusals: number;
  };
  treatments: { applied: number; completed: number; cancelled: number };
  interactions: {
    enqueued: number;
    pulled: number;
    completed: number;
    stopped: number;
    returned: number;
    waiting: number;
    inProgress: number;
    /** How long interactions waited in their queue before a node pulled them. */
    queueWaitMs: LatencySummary;
    byNode: Record<string, PerNodeInteractionCounts>;
    pullsRefusedFromBackups: number;
    /** Completions of an interaction its node had completed already (retries), acknowledged and not counted again. */
    completionsRepeated: number;
    /** Completions refused (not the owner, unknown interaction). */
    completionsRefused: number;
  };
  protocol: { connections: number; rejectedMessages: number };
  elapsedMs: number;
}

export class SimStatistics {
  offered = 0;
  routed = 0;
  abandoned = 0;
  releasedBeforeRouting = 0;
  attachRefusals = 0;
  treatmentsApplied = 0;
  treatmentsCompleted = 0;
  treatmentsCancelled = 0;
  enqueued = 0;
  rejectedMessages = 0;
  pullsRefusedFromBackups = 0;
  completionsRepeated = 0;
  completionsRefused = 0;
  readonly timesToRoute: number[] = [];
  readonly queueWaits: number[] = [];
  readonly routedByNode: Record<string, number> = {};
  readonly sessionsAttachedByNode: Record<string, number> = {};
  readonly byNode: Record<string, PerNodeInteractionCounts> = {};
  private readonly startedAt: number;

  constructor(now: number) {
    this.startedAt = now;
  }

  nodeCounts(nodeId: string): PerNodeInteractionCounts {
    return (this.byNode[nodeId] ??= { pulled: 0, completed: 0, stopped: 0, returned: 0 });
  }

  report(now: number, live: { callsInProgress: number; waiting: number; inProgress: number; connections: number }): SimStatisticsReport {
    const sum = (k: keyof PerNodeInteractionCounts) => Object.values(this.byNode).reduce((a, c) => a + c[k], 0);
    return {
      calls: {
        offered: this.offered,
        routed: this.routed,
        abandoned: this.abandoned,
        releasedBeforeRouting: this.releasedBeforeRouting,
        inProgress: live.callsInProgress,
        timeToRouteMs: summarize(this.timesToRoute),
        routedByNode: { ...this.routedByNode },
        sessionsAttachedByNode: { ...this.sessionsAttachedByNode },
        attachRefusals: this.attachRefusals,
      },
      treatments: { applied: this.treatmentsApplied, completed: this.treatmentsCompleted, cancelled: this.treatmentsCancelled },
      interactions: {
        enqueued: this.enqueued,
        pulled: sum('pulled'),
        completed: sum('completed'),
        stopped: sum('stopped'),
        returned: sum('returned'),
        waiting: live.waiting,
        inProgress: live.inProgress,
        queueWaitMs: summarize(this.queueWaits),
        byNode: structuredClone(this.byNode),
        pullsRefusedFromBackups: this.pullsRefusedFromBackups,
        completionsRepeated: this.completionsRepeated,
        completionsRefused: this.completionsRefused,
      },
      protocol: { connections: live.connections, rejectedMessages: this.rejectedMessages },
      elapsedMs: now - this.startedAt,
    };
  }
}

/** A short human-readable summary for the terminal. */
export function formatReport(r: SimStatisticsReport): string {
  const t = r.calls.timeToRouteMs;
  const lines = [
    `calls: offered ${r.calls.offered}, routed ${r.calls.routed}, abandoned ${r.calls.abandoned}, in progress ${r.calls.inProgress}`,
    `time to route: p50 ${t.p50 ?? '-'} ms, p99 ${t.p99 ?? '-'} ms (n=${t.count})`,
    `routed by node: ${JSON.stringify(r.calls.routedByNode)}`,
    `interactions: enqueued ${r.interactions.enqueued}, pulled ${r.interactions.pulled}, completed ${r.interactions.completed}, returned ${r.interactions.returned}, waiting ${r.interactions.waiting}`,
    `interactions by node: ${JSON.stringify(r.interactions.byNode)}`,
  ];
  return lines.join('\n');
}

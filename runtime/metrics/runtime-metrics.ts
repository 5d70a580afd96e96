// The runtime's Prometheus metrics, in a registry of its own (so several runtimes can
// live in one test process). Names follow Prometheus conventions with an `ors_` prefix.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LaneLossReason } from '../engine/engine-lane.ts';
import type { InteractionMetrics } from '../telephony/interaction-puller.ts';

/** Every reason an engine thread is replaced; their series exist at 0 from the start. */
const LANE_LOSS_REASONS = ['watchdog', 'out-of-memory', 'stalled', 'crashed'] as const satisfies readonly LaneLossReason[];

export function createRuntimeMetrics(labels: { node: string }): RuntimeMetrics {
  const metrics = createRuntimeMetricSet(labels);
  // A labelled counter has no series until its first inc(), and increase() over a series
  // that appears at 1 is 0: the first watchdog termination would raise no alert.
  for (const reason of LANE_LOSS_REASONS) {
    metrics.engineThreadRestarts.inc({ reason }, 0);
    metrics.watchdogSessionsEnded.inc({ reason }, 0);
  }
  return metrics;
}

function createRuntimeMetricSet(labels: { node: string }) {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  // Node's default metrics already start with process_ or nodejs_: ors_ alone keeps them
  // from doubling (ors_process_cpu_seconds_total, not ors_process_process_…).
  collectDefaultMetrics({ register: registry, prefix: 'ors_' });
  const latencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
  return {
    registry,
    activeSessions: new Gauge({ name: 'ors_active_sessions', help: 'live sessions on this node', registers: [registry] }),
    // The limit beside the count, so an alert or a dashboard can say how full the node is.
    maxSessions: new Gauge({ name: 'ors_max_sessions', help: 'the max-sessions limit: live sessions beyond it are refused with 503', registers: [registry] }),
    sessionsCreated: new Counter({
      name: 'ors_sessions_created_total',
      help: 'sessions created (rate() of it is the creation rate)',
      registers: [registry],
    }),
    sessionsFinished: new Counter({
      name: 'ors_sessions_finished_total',
      help: 'sessions that ended, by reason (done, terminated, failed, shutdown)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    createSessionSeconds: new Histogram({
      name: 'ors_create_session_seconds',
      help: 'time to create a session (load, compile if not cached, instantiate)',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    eventQueueSeconds: new Histogram({
      name: 'ors_event_queue_seconds',
      help: 'time an event waited in its session queue before its macrostep began',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    engineThreadRestarts: new Counter({
      name: 'ors_engine_thread_restarts_total',
      help: 'engine threads replaced by a fresh one, by reason (watchdog, out-of-memory, stalled, crashed)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    watchdogSessionsEnded: new Counter({
      name: 'ors_watchdog_sessions_ended_total',
      help: 'sessions ended because their engine thread had to be replaced while running them, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    eventsProcessed: new Counter({
      name: 'ors_events_processed_total',
      help: 'external events processed by sessions',
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'ors_http_requests_total',
      help: 'REST API requests by route and status',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    interactionsPulled: new Counter({
      name: 'ors_interactions_pulled_total',
      help: 'multimedia interactions this process pulled from the interaction server',
      registers: [registry],
    }),
    interactionsCompleted: new Counter({
      name: 'ors_interactions_completed_total',
      help: 'interaction completions the interaction server acknowledged',
      registers: [registry],
    }),
    interactionsReturned: new Counter({
      name: 'ors_interactions_returned_total',
      help: 'interactions whose lease lapsed and that went back to their queue',
      registers: [registry],
    }),
    interactionsStopped: new Counter({
      name: 'ors_interactions_stopped_total',
      help: 'interactions a strategy stopped processing (closed or placed into a queue)',
      registers: [registry],
    }),
    interactionsRecovered: new Counter({
      name: 'ors_interactions_recovered_total',
      help: 'interactions taken over after a switchover with their recovered (persisted) session',
      registers: [registry],
    }),
    interactionsRestarted: new Counter({
      name: 'ors_interactions_restarted_total',
      help: 'interactions taken over after a switchover that had no session left, started over',
      registers: [registry],
    }),
    interactionPullSeconds: new Histogram({
      name: 'ors_interaction_pull_seconds',
      help: 'round trip of a pull request to the interaction server',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    }),
    interactionCompletionsPending: new Gauge({
      name: 'ors_interaction_completions_pending',
      help: 'interaction completions sent but not yet acknowledged (retried until they are)',
      registers: [registry],
    }),
    rejections: new Counter({
      name: 'ors_rejections_total',
      help: 'requests refused because a limit was hit',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

export type RuntimeMetrics = ReturnType<typeof createRuntimeMetricSet>;

/** The interaction puller's view of them. */
export function interactionMetrics(m: RuntimeMetrics): InteractionMetrics {
  return {
    pulled: m.interactionsPulled,
    completed: m.interactionsCompleted,
    returned: m.interactionsReturned,
    stopped: m.interactionsStopped,
    recovered: m.interactionsRecovered,
    restarted: m.interactionsRestarted,
    pullSeconds: m.interactionPullSeconds,
    completionsPending: m.interactionCompletionsPending,
  };
}

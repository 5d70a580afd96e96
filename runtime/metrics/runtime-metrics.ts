// The runtime's Prometheus metrics, in a registry of its own (so several runtimes can
// live in one test process). Names follow Prometheus conventions with an `ors_` prefix.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createRuntimeMetrics(labels: { node: string }) {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, prefix: 'ors_process_' });
  const latencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
  return {
    registry,
    activeSessions: new Gauge({ name: 'ors_active_sessions', help: 'live sessions on this node', registers: [registry] }),
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
    rejections: new Counter({
      name: 'ors_rejections_total',
      help: 'requests refused because a limit was hit',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

export type RuntimeMetrics = ReturnType<typeof createRuntimeMetrics>;

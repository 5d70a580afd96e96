// Prometheus metrics of the operator, on its own registry.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({ name: 'ors_operator_reconciles_total', help: 'Reconcile passes by result', labelNames: ['result'], registers: [this.registry] });
  readonly reconcileSeconds = new Histogram({ name: 'ors_operator_reconcile_duration_seconds', help: 'Duration of a reconcile pass', buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'ors_operator_queue_depth', help: 'OrsClusters waiting for a reconcile', registers: [this.registry] });
  readonly retries = new Counter({ name: 'ors_operator_requeues_with_backoff_total', help: 'Reconciles retried after an error', registers: [this.registry] });
  readonly leader = new Gauge({ name: 'ors_operator_leader', help: '1 while this process is the leader', registers: [this.registry] });
  readonly switchovers = new Counter({ name: 'ors_operator_switchovers_requested_total', help: 'Switchovers requested, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly podReplacements = new Counter({ name: 'ors_operator_pod_replacements_total', help: 'Pods deleted to roll out a new template', registers: [this.registry] });
  readonly applies = new Counter({ name: 'ors_operator_applies_total', help: 'Server-side apply requests sent', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}

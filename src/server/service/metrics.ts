import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import { shareWithParent } from '../share-with-parent';

/**
 * The service's Prometheus series, in a registry of their own (never prom-client's global
 * one, so two apps in one process count apart). Made before the app, since the requests
 * Node refuses before fastify sees them (timeouts) are counted too.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  /** `neurules_requests_total{route,status}`; `route` is `unknown` for no route. */
  readonly requests = this.counter(
    'neurules_requests_total',
    'HTTP requests by route and status code',
    ['route', 'status'],
  );
  /** `neurules_request_duration_seconds{route}`. */
  readonly latency = new Histogram({
    name: 'neurules_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  /** `neurules_decisions_total{rule,class}`: decisions answered. */
  readonly decisions = this.counter('neurules_decisions_total', 'Decisions by rule and class', [
    'rule',
    'class',
  ]);
  /** `neurules_decision_log_errors_total`: requests refused because the log failed. */
  readonly logErrors = this.counter(
    'neurules_decision_log_errors_total',
    'Requests refused (503) because their decisions could not be written to the decision log',
    [],
  );

  /**
   * `serve --shadow` only (absent otherwise, so a service without a challenger shows no
   * series of one): `neurules_shadow_decisions_total{champion,challenger}`, records the
   * challenger decided by the champion's class and the challenger's;
   * `neurules_shadow_disagreements_total{champion,challenger}`, those of another class;
   * `neurules_shadow_errors_total`, records the challenger failed on (the answer stood).
   */
  readonly shadow?: {
    decisions: Counter<'champion' | 'challenger'>;
    disagreements: Counter<'champion' | 'challenger'>;
    errors: Counter;
  };

  constructor(options: { shadow?: boolean } = {}) {
    if (options.shadow) {
      this.shadow = {
        decisions: this.counter(
          'neurules_shadow_decisions_total',
          "Records the challenger (serve --shadow) decided, by the champion's class and the challenger's",
          ['champion', 'challenger'],
        ),
        disagreements: this.counter(
          'neurules_shadow_disagreements_total',
          "Records the challenger decided otherwise than the champion, by the champion's class and the challenger's",
          ['champion', 'challenger'],
        ),
        errors: this.counter(
          'neurules_shadow_errors_total',
          "Records the challenger failed to decide (the champion's answer stood)",
          [],
        ),
      };
    }
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}

/**
 * Counts every request by route and status, times it, and serves `GET /metrics`
 * (Prometheus text). Not encapsulated ({@link shareWithParent}): its `onResponse` hook must
 * see the routes of every other plugin and the 404s, so register it before them.
 */
export async function metricsPlugin(
  app: FastifyInstance,
  { metrics }: { metrics: ServiceMetrics },
): Promise<void> {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unknown';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
shareWithParent(metricsPlugin, 'neurules-metrics');

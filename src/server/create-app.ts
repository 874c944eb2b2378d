import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { jsonBodiesPlugin } from './parse-json-body';
import { problemClientErrors, problemsPlugin } from './problems';
import { adminPlugin } from './service/admin';
import { decisionsPlugin } from './service/decisions';
import { healthPlugin } from './service/health';
import { metricsPlugin, ServiceMetrics } from './service/metrics';
import { type ReloadResult, ServingModel, type ServingModelOptions } from './service/serving-model';

/** Options of {@link createApp}: the model and its decision log, and the HTTP limits. */
export interface AppOptions extends ServingModelOptions {
  /** Largest request body in bytes. @defaultValue 1 MiB */
  bodyLimit?: number;
  /** Most records in one request. @defaultValue 10,000 */
  maxBatch?: number;
  /**
   * Bearer token for `POST /v1/admin/reload` (reload the model's files and reopen the
   * decision log); without one the route answers 404.
   */
  adminToken?: string;
  /**
   * Milliseconds a request (headers and body) has to arrive; a slower one is answered 408
   * `REQUEST_TIMEOUT` and its connection closed. 0 turns the limit off.
   * @defaultValue 30,000
   */
  requestTimeout?: number;
  /**
   * Milliseconds the headers alone have to arrive (at most `requestTimeout`).
   * @defaultValue 10,000
   */
  headersTimeout?: number;
  /** fastify's logger. @defaultValue false */
  logger?: boolean;
}

/** A fastify app serving one model, plus reload. */
export type NeurulesApp = FastifyInstance & {
  /** Load the model's files again; a bad rule set is refused and the old one keeps serving. */
  reload(): Promise<ReloadResult>;
  /** The rule-set hash now serving. */
  ruleSetHash(): string;
  /** The challenger's rule-set hash now deciding beside it (`shadow`), if there is one. */
  shadowRuleSetHash(): string | undefined;
  /**
   * Open the decision log again by its name, after a log rotation moved it away (see
   * {@link ServingModel.reopenLog}): no decision is lost or answered unlogged across it.
   * Resolves at once without a decision log; rejects with `DECISION_LOG_FAILED` when the
   * new file cannot be opened, which fails the log (and `onError` is called).
   */
  reopenLog(): Promise<void>;
};

/**
 * Build the HTTP app (fastify) for one model without listening: `app.inject()` in tests,
 * `app.listen()` in `neurules serve`. Stateless between requests apart from the loaded
 * rule set, which is identified by its content hash in every answer.
 *
 * The app is a composition of plugins: problem documents and JSON bodies (shared with the
 * studio), then metrics, health, decisions and admin. The model serving and its decision
 * log ({@link ServingModel}) and the Prometheus series ({@link ServiceMetrics}) are made
 * here and handed to the plugins that use them.
 *
 * @example
 * const app = await createApp({ model: 'german-credit' });
 * await app.listen({ port: 8080 });
 */
export async function createApp(options: AppOptions): Promise<NeurulesApp> {
  const model = await ServingModel.open(options);
  const metrics = new ServiceMetrics({ shadow: options.shadow !== undefined });
  const requestTimeout = options.requestTimeout ?? 30_000;
  const headersTimeout = Math.min(
    options.headersTimeout ?? 10_000,
    requestTimeout || Number.POSITIVE_INFINITY,
  );
  // Typed as the instance alone: fastify's return is also a PromiseLike of it, which the
  // decorated NeurulesApp returned below is not.
  const app: FastifyInstance = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestTimeout,
    http: {
      requestTimeout,
      headersTimeout,
      // Node checks for late requests on this interval (30 s by default): a quarter of the
      // shortest timeout, so a request is cut off at most 25% (and at most 1 s) late.
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(1000, Math.floor(Math.min(headersTimeout || 4000, requestTimeout || 4000) / 4)),
      ),
    },
    // Requests that never reach a route (late, unreadable) are problem documents too, and
    // count as route "unknown".
    clientErrorHandler: problemClientErrors({
      timeout: `the request did not arrive in time (headers: ${headersTimeout} ms, all of it: ${requestTimeout} ms)`,
      onAnswer: (status) => metrics.requests.inc({ route: 'unknown', status: String(status) }),
    }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
  });

  // Registered in this order: the shared plugins first, so their handlers and hooks reach
  // the routes of the encapsulated ones after them.
  void app.register(problemsPlugin);
  void app.register(jsonBodiesPlugin);
  void app.register(metricsPlugin, { metrics });
  void app.register(healthPlugin, { model });
  void app.register(decisionsPlugin, { model, metrics, maxBatch: options.maxBatch ?? 10_000 });
  void app.register(adminPlugin, { model, token: options.adminToken });
  app.addHook('onClose', () => model.close());

  app.decorate('reload', () => model.reload());
  app.decorate('ruleSetHash', () => model.current.model.ruleSetHash);
  app.decorate('shadowRuleSetHash', () => model.current.shadow?.ruleSetHash);
  app.decorate('reopenLog', () => model.reopenLog());
  return app as NeurulesApp;
}

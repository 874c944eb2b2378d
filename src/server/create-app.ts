import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';
import { DecisionLog, type DecisionLogEntry, redactIssues } from '../audit/decision-log';
import { parseRecord } from '../data/parse-record';
import type { DataRecord } from '../data/types';
import { explainDecision, type Tracer } from '../engine/explain-decision';
import type { Decision } from '../engine/types';
import { type Issue, isNeurulesError, NeurulesError, type Result } from '../errors';
import { openModel, type OpenModel } from '../pipeline/open-model';
import { DEFAULT_ENGINE, type RecordEngineName } from '../predict/engines';
import type { BackendChoice } from '../teacher/backend-choice';
import { useJsonBodies } from './parse-json-body';
import { fastifyClientCode, type HttpCode, PROBLEM, sendProblem } from './problem';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** Model name. */
  model: string;
  /** @defaultValue 'models' */
  modelsDir?: string;
  /** @defaultValue 'rules' */
  rulesDir?: string;
  /** Evaluator for decisions. @defaultValue 'compiled' */
  engine?: RecordEngineName;
  /** Load the network too, so explanations carry its probabilities. @defaultValue true */
  network?: boolean;
  /** TensorFlow.js backend for the network. @defaultValue 'auto' */
  backend?: BackendChoice;
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
   * Decision log: a JSON-lines file (a regular file, or none yet: anything else is
   * NOT_A_REGULAR_FILE), the features whose values are written as "[redacted]" (a name
   * that is not a feature of the model is UNKNOWN_FEATURE, here and on every reload), and
   * `onError`, called once when the log cannot be written or reopened (decisions are then
   * refused with 503 `DECISION_LOG_FAILED` and `/healthz` answers 503 until the app is
   * made again).
   */
  decisionLog?: { file: string; redact?: string[]; onError?: (error: NeurulesError) => void };
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

/** The rule set a request is served with: captured once per request. */
interface Serving {
  model: OpenModel;
  decider: Tracer & { decide(record: DataRecord): Decision | Promise<Decision> };
  loadedAt: string;
}

/** A fastify app serving one model, plus reload. */
export type NeurulesApp = FastifyInstance & {
  /**
   * Load the model's files again; a bad rule set is refused and the old one keeps serving.
   * The value is the hash of the rule set now serving.
   */
  reload(): Promise<Result<string>>;
  /** The rule-set hash now serving. */
  ruleSetHash(): string;
  /**
   * Open the decision log again by its name, after a log rotation moved it away (see
   * {@link DecisionLog.reopen}): no decision is lost or answered unlogged across it.
   * Resolves at once without a decision log; rejects with `DECISION_LOG_FAILED` when the
   * new file cannot be opened, which fails the log (and `onError` is called).
   */
  reopenLog(): Promise<void>;
};

// What a client is told; the reason (a file name, ENOSPC) is for the operator, via onError.
const LOG_FAILED =
  'the decision log cannot be written, so no decision is answered until the service is restarted';

/**
 * Build the HTTP app (fastify) for one model without listening: `app.inject()` in tests,
 * `app.listen()` in `neurules serve`. Stateless between requests apart from the loaded
 * rule set, which is identified by its content hash in every answer.
 */
export async function createApp(options: AppOptions): Promise<NeurulesApp> {
  const loc = {
    modelsDir: options.modelsDir ?? 'models',
    rulesDir: options.rulesDir ?? 'rules',
    name: options.model,
  };
  const engineName = options.engine ?? DEFAULT_ENGINE;
  const maxBatch = options.maxBatch ?? 10_000;
  const redact = options.decisionLog?.redact ?? [];
  const load = async (): Promise<Serving> => {
    const model = await openModel(loc, {
      teacher: options.network ?? true,
      backend: options.backend ?? 'auto',
      engine: engineName,
    });
    // A schema that lost a feature to redact (renamed, say) would log it in clear: such a
    // model is refused, at start and on reload.
    const issues = redactIssues(redact, model.schema);
    if (issues.length > 0) {
      model.teacher?.dispose();
      throw NeurulesError.fromIssues(issues);
    }
    const decider = model.compiled ?? model.engine;
    return { model, decider, loadedAt: new Date().toISOString() };
  };
  let serving = await load();
  let log: DecisionLog | undefined;
  try {
    log = options.decisionLog
      ? new DecisionLog(options.decisionLog.file, redact, {
          schema: serving.model.schema,
          ...(options.decisionLog.onError && { onError: options.decisionLog.onError }),
        })
      : undefined;
  } catch (e) {
    serving.model.teacher?.dispose();
    throw e;
  }

  const registry = new Registry();
  const requests = new Counter({
    name: 'neurules_requests_total',
    help: 'HTTP requests by route and status code',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'neurules_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'neurules_decisions_total',
    help: 'Decisions by rule and class',
    labelNames: ['rule', 'class'],
    registers: [registry],
  });
  const logErrors = new Counter({
    name: 'neurules_decision_log_errors_total',
    help: 'Requests refused (503) because their decisions could not be written to the decision log',
    registers: [registry],
  });

  const requestTimeout = options.requestTimeout ?? 30_000;
  const headersTimeout = Math.min(
    options.headersTimeout ?? 10_000,
    requestTimeout || Number.POSITIVE_INFINITY,
  );
  const app = Fastify({
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
    // A request that did not arrive in time (or that Node cannot parse) never reaches a
    // route: answer it on the socket, as a problem document, then close the connection.
    clientErrorHandler: (error: Error & { code?: string }, socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, code, message]: [number, HttpCode, string] =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [
              408,
              'REQUEST_TIMEOUT',
              `the request did not arrive in time (headers: ${headersTimeout} ms, all of it: ${requestTimeout} ms)`,
            ]
          : error.code === 'HPE_HEADER_OVERFLOW'
            ? [431, 'INVALID_JSON', 'the request headers are too large']
            : [400, 'INVALID_JSON', 'the request is not valid HTTP'];
      requests.inc({ route: 'unknown', status: String(status) });
      const response = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
      if (socket.writable && !response?.headersSent) {
        const body = JSON.stringify({ error: code, message });
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM}; charset=utf-8\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy(error);
    },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
  }) as unknown as NeurulesApp;

  // Records are JSON; any other body type is refused (415), a prototype key is PROTOTYPE_KEY.
  useJsonBodies(app);
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unknown';
    requests.inc({ route, status: String(reply.statusCode) });
    latency.observe({ route }, reply.elapsedTime / 1000);
  });
  app.addHook('onClose', async () => {
    await log?.close();
    serving.model.teacher?.dispose();
  });

  // Malformed input is the client's problem: never a 500 for it.
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _req, reply) => {
    // What parseJsonBody refuses: the body, named by its code and the key's place.
    if (
      isNeurulesError(error) &&
      (error.code === 'PROTOTYPE_KEY' || error.code === 'INVALID_JSON')
    ) {
      return sendProblem(reply, error.code, error.message, {
        ...(error.field !== undefined && { field: error.field }),
      });
    }
    const clientError = Boolean(
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500,
    );
    if (!clientError) {
      app.log.error(error);
      return sendProblem(reply, 'INTERNAL', 'internal error');
    }
    // fastify's 4xx statuses are kept as they are (e.g. 400 for an empty JSON body).
    return sendProblem(reply, fastifyClientCode(error), error.message, {}, error.statusCode);
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, 'NOT_FOUND', `no route ${req.method} ${req.url}`),
  );

  // A replica that cannot log its decisions refuses them, so it reports unhealthy: a load
  // balancer then sends its traffic elsewhere.
  app.get('/healthz', async (_req, reply) => {
    const health = { model: loc.name, ruleSet: serving.model.ruleSetHash };
    if (log?.failure) {
      return sendProblem(reply, 'DECISION_LOG_FAILED', LOG_FAILED, {
        status: 'unhealthy',
        ...health,
      });
    }
    return { status: 'ok', ...health };
  });

  app.get('/v1/model', async () => {
    const m = serving.model;
    return {
      name: loc.name,
      ruleSet: m.ruleSetHash,
      loadedAt: serving.loadedAt,
      engine: engineName,
      manifest: m.manifest,
      schema: m.schema,
      metrics: m.metrics,
    };
  });

  app.get('/v1/rules', async (_req, reply) => {
    reply.header('etag', `"${serving.model.ruleSetHash}"`);
    return serving.model.ruleSet;
  });

  app.get('/metrics', async (_req, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });

  app.post(
    '/v1/predict',
    async (req: FastifyRequest<{ Querystring: { explain?: string } }>, reply: FastifyReply) => {
      if (log?.failure) return refuseUnlogged(reply);
      const current = serving; // in-flight requests finish on the rule set they started with
      const body = req.body as unknown;
      const single = !Array.isArray(body);
      const raws = single ? [body] : (body as unknown[]);
      if (raws.length === 0 || raws.length > maxBatch) {
        return sendProblem(
          reply,
          'INVALID_BATCH',
          `expected one record or an array of 1 to ${maxBatch} records, found ${raws.length}`,
        );
      }
      const issues: (Issue & { index?: number })[] = [];
      const records: DataRecord[] = [];
      raws.forEach((raw, index) => {
        const parsed = parseRecord(current.model.schema, raw);
        for (const issue of parsed.issues) issues.push(single ? issue : { ...issue, index });
        records.push(parsed.record);
      });
      if (issues.length > 0) {
        return sendProblem(reply, 'INVALID_RECORD', `${issues.length} problem(s) in the request`, {
          issues,
        });
      }
      const explain = req.query.explain === 'true' || req.query.explain === '1';
      // The network's probabilities for every record at once: one tensor op per request.
      const networkProbabilities = explain
        ? current.model.teacher?.predictProbaFlat(records)
        : undefined;
      const answers = [];
      const entries: DecisionLogEntry[] = [];
      const time = log && new Date().toISOString();
      for (const [index, record] of records.entries()) {
        const decision = await current.decider.decide(record);
        if (time) {
          entries.push({
            time,
            requestId: String(req.id),
            ruleSet: current.model.ruleSetHash,
            ruleId: decision.ruleId,
            class: decision.class,
            inputs: record,
          });
        }
        const answer: Record<string, unknown> = {
          class: decision.class,
          ruleId: decision.ruleId,
          probabilities: decision.probabilities,
          ruleSet: current.model.ruleSetHash,
        };
        if (explain) {
          const K = current.model.schema.classes.length;
          const network = networkProbabilities?.subarray(index * K, (index + 1) * K);
          answer.explanation = await explainDecision(current.decider, record, network, {
            schema: current.model.schema,
          });
        }
        answers.push(answer);
      }
      // No decision is answered before its log line is written.
      if (log) {
        try {
          await log.append(entries);
        } catch {
          return refuseUnlogged(reply);
        }
      }
      for (const a of answers)
        decisions.inc({ rule: a.ruleId as string, class: a.class as string });
      reply.header('x-rule-set', current.model.ruleSetHash);
      return single ? answers[0] : answers;
    },
  );

  /** 503 for a request whose decisions cannot be logged. */
  function refuseUnlogged(reply: FastifyReply): FastifyReply {
    logErrors.inc();
    return sendProblem(reply, 'DECISION_LOG_FAILED', LOG_FAILED);
  }

  app.post('/v1/admin/reload', async (req, reply) => {
    if (!options.adminToken) return reply.callNotFound();
    const given = Buffer.from(String(req.headers.authorization ?? ''));
    const expected = Buffer.from(`Bearer ${options.adminToken}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return sendProblem(reply, 'UNAUTHORIZED', 'expected a valid bearer token');
    }
    const result = await app.reload();
    // The route is the way to rotate the log where signals are not (Windows, some
    // orchestrators): it reopens the log as SIGHUP does. A log that cannot be reopened has
    // failed, and says so before anything else, since no decision is answered from then on.
    const logFailed = await app.reopenLog().then(
      () => false,
      () => true,
    );
    if (logFailed) {
      return sendProblem(reply, 'DECISION_LOG_FAILED', LOG_FAILED, {
        ruleSet: serving.model.ruleSetHash,
      });
    }
    return result.ok
      ? { status: 'reloaded', ruleSet: result.value }
      : sendProblem(
          reply,
          'RELOAD_REFUSED',
          'the new files were refused; the old rule set keeps serving',
          { issues: result.issues, ruleSet: serving.model.ruleSetHash },
        );
  });

  app.decorate('reload', async () => {
    try {
      const next = await load();
      const old = serving;
      serving = next;
      // The old network is freed once requests that captured it are done with it.
      setTimeout(() => old.model.teacher?.dispose(), 30_000).unref();
      return { ok: true as const, value: next.model.ruleSetHash };
    } catch (e) {
      if (isNeurulesError(e)) return { ok: false as const, issues: e.issues };
      return {
        ok: false as const,
        issues: [{ code: 'INVALID_ARTIFACT' as const, message: (e as Error).message }],
      };
    }
  });
  app.decorate('ruleSetHash', () => serving.model.ruleSetHash);
  app.decorate('reopenLog', () => log?.reopen() ?? Promise.resolve());
  return app;
}

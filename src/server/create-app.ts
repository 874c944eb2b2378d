import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { Counter, Histogram, Registry } from 'prom-client';
import { DecisionLog } from '../audit/decision-log';
import { parseRecord } from '../data/parse-record';
import type { DataRecord } from '../data/types';
import { explainDecision, type Tracer } from '../engine/explain-decision';
import type { Decision } from '../engine/rule-engine';
import { ERROR_CATALOGUE, type ErrorCode, type Issue, isNeurulesError } from '../errors';
import { openModel, type OpenModel } from '../pipeline/open-model';
import type { BackendChoice } from '../teacher/backend-choice';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** Model name. */
  model: string;
  /** @defaultValue 'models' */
  modelsDir?: string;
  /** @defaultValue 'rules' */
  rulesDir?: string;
  /** Evaluator for decisions. @defaultValue 'compiled' */
  engine?: 'compiled' | 'json-rules-engine';
  /** Load the network too, so explanations carry its probabilities. @defaultValue true */
  network?: boolean;
  /** TensorFlow.js backend for the network. @defaultValue 'auto' */
  backend?: BackendChoice;
  /** Largest request body in bytes. @defaultValue 1 MiB */
  bodyLimit?: number;
  /** Most records in one request. @defaultValue 10,000 */
  maxBatch?: number;
  /** Bearer token for `POST /v1/admin/reload`; without one the route answers 404. */
  adminToken?: string;
  /** Decision log: a JSON-lines file, and fields whose values are replaced by "[redacted]". */
  decisionLog?: { file: string; redact?: string[] };
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
  /** Load the model's files again; a bad rule set is refused and the old one keeps serving. */
  reload(): Promise<{ ok: true; ruleSet: string } | { ok: false; issues: Issue[] }>;
  /** The rule-set hash now serving. */
  ruleSetHash(): string;
};

const PROBLEM = 'application/problem+json';

/** The codes the service answers with: each has its HTTP status in the catalogue. */
type HttpCode = {
  [C in ErrorCode]: (typeof ERROR_CATALOGUE)[C] extends { status: number } ? C : never;
}[ErrorCode];

/**
 * Answer with a problem document `{ error, message, ... }` and the code's HTTP status
 * (or `status`, where fastify has already chosen a more precise one).
 */
function sendProblem(
  reply: FastifyReply,
  code: HttpCode,
  message: string,
  extra: Record<string, unknown> = {},
  status: number = ERROR_CATALOGUE[code].status,
): FastifyReply {
  return reply
    .status(status)
    .type(PROBLEM)
    .send({ error: code, message, ...extra });
}

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
  const engineName = options.engine ?? 'compiled';
  const maxBatch = options.maxBatch ?? 10_000;
  const load = async (): Promise<Serving> => {
    const model = await openModel(loc, {
      teacher: options.network ?? true,
      backend: options.backend ?? 'auto',
      engine: engineName,
    });
    const decider = model.compiled ?? model.engine;
    return { model, decider, loadedAt: new Date().toISOString() };
  };
  let serving = await load();
  const log = options.decisionLog
    ? new DecisionLog(options.decisionLog.file, options.decisionLog.redact ?? [])
    : undefined;

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

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
  }) as unknown as NeurulesApp;

  // Records are JSON; any other body type is refused (415) rather than guessed at.
  app.removeContentTypeParser('text/plain');
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
    const clientError = Boolean(
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500,
    );
    if (!clientError) {
      app.log.error(error);
      return sendProblem(reply, 'INTERNAL', 'internal error');
    }
    const code: HttpCode =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'BODY_TOO_LARGE'
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'UNSUPPORTED_MEDIA_TYPE'
          : 'INVALID_JSON';
    // fastify's 4xx statuses are kept as they are (e.g. 400 for an empty JSON body).
    return sendProblem(reply, code, error.message, {}, error.statusCode);
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, 'NOT_FOUND', `no route ${req.method} ${req.url}`),
  );

  app.get('/healthz', async () => ({
    status: 'ok',
    model: loc.name,
    ruleSet: serving.model.ruleSetHash,
  }));

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
      for (const [index, record] of records.entries()) {
        const decision = await current.decider.decide(record);
        decisions.inc({ rule: decision.ruleId, class: decision.class });
        log?.append({
          time: new Date().toISOString(),
          requestId: String(req.id),
          ruleSet: current.model.ruleSetHash,
          ruleId: decision.ruleId,
          class: decision.class,
          inputs: record,
        });
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
      reply.header('x-rule-set', current.model.ruleSetHash);
      return single ? answers[0] : answers;
    },
  );

  app.post('/v1/admin/reload', async (req, reply) => {
    if (!options.adminToken) return reply.callNotFound();
    const given = Buffer.from(String(req.headers.authorization ?? ''));
    const expected = Buffer.from(`Bearer ${options.adminToken}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return sendProblem(reply, 'UNAUTHORIZED', 'expected a valid bearer token');
    }
    const result = await app.reload();
    return result.ok
      ? { status: 'reloaded', ruleSet: result.ruleSet }
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
      return { ok: true as const, ruleSet: next.model.ruleSetHash };
    } catch (e) {
      if (isNeurulesError(e)) return { ok: false as const, issues: e.issues };
      return {
        ok: false as const,
        issues: [{ code: 'INVALID_ARTIFACT' as const, message: (e as Error).message }],
      };
    }
  });
  app.decorate('ruleSetHash', () => serving.model.ruleSetHash);
  return app;
}

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DecisionLogEntry } from '../../audit/decision-log';
import { parseRecord } from '../../data/parse-record';
import type { DataRecord } from '../../data/types';
import { explainDecision } from '../../engine/explain-decision';
import type { Issue } from '../../errors';
import { sendProblem } from '../problems';
import type { ServiceMetrics } from './metrics';
import { LOG_FAILED, type ServingModel } from './serving-model';

/** Options of {@link decisionsPlugin}. */
export interface DecisionsOptions {
  model: ServingModel;
  /** Where decisions and refused-unlogged requests are counted. */
  metrics: ServiceMetrics;
  /** Most records in one request. */
  maxBatch: number;
}

/**
 * What decides, and deciding: `GET /v1/model`, `GET /v1/rules` (with an `etag` of the
 * rule set's hash) and `POST /v1/predict` (one record or an array; `?explain=true`). No
 * decision is answered before its decision-log line is written.
 */
export async function decisionsPlugin(
  app: FastifyInstance,
  { model, metrics, maxBatch }: DecisionsOptions,
): Promise<void> {
  app.get('/v1/model', async () => {
    const { model: m, loadedAt } = model.current;
    return {
      name: model.name,
      ruleSet: m.ruleSetHash,
      loadedAt,
      engine: model.engine,
      manifest: m.manifest,
      schema: m.schema,
      metrics: m.metrics,
    };
  });

  app.get('/v1/rules', async (_req, reply) => {
    const m = model.current.model;
    reply.header('etag', `"${m.ruleSetHash}"`);
    return m.ruleSet;
  });

  /** 503 for a request whose decisions cannot be logged. */
  const refuseUnlogged = (reply: FastifyReply): FastifyReply => {
    metrics.logErrors.inc();
    return sendProblem(reply, 'DECISION_LOG_FAILED', LOG_FAILED);
  };

  app.post<{ Querystring: { explain?: string } }>('/v1/predict', async (req, reply) => {
    if (model.logFailed) return refuseUnlogged(reply);
    const current = model.current; // in-flight requests finish on the rule set they started with
    const log = model.log;
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
      metrics.decisions.inc({ rule: a.ruleId as string, class: a.class as string });
    reply.header('x-rule-set', current.model.ruleSetHash);
    return single ? answers[0] : answers;
  });
}

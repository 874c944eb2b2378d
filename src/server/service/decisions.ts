import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DecisionLogEntry, ShadowDecision } from '../../audit/decision-log';
import { parseRecord } from '../../data/parse-record';
import type { DataRecord } from '../../data/types';
import type { Decision } from '../../engine/types';
import { explainDecision } from '../../engine/explain-decision';
import { type Issue, isNeurulesError, type NeurulesError } from '../../errors';
import { checkInterventions } from '../../perception/concepts';
import type { PerceivedFacts } from '../../perception/perceived';
import type { PerceptionFront } from '../../perception/perception-front';
import type { Schema } from '../../data/types';
import { sendProblem } from '../problems';
import type { ServiceMetrics } from './metrics';
import { LOG_FAILED, type Serving, type ServingModel } from './serving-model';

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
    const { model: m, loadedAt, shadow } = model.current;
    return {
      name: model.name,
      ruleSet: m.ruleSetHash,
      loadedAt,
      engine: model.engine,
      manifest: m.manifest,
      schema: m.schema,
      metrics: m.metrics,
      // A model with perception concepts: its concepts and the raw records it reads.
      ...(m.front && { perception: { concepts: m.front.concepts, input: m.front.spec.input } }),
      // `serve --shadow`: the challenger deciding beside the model.
      ...(shadow && { shadow: { ruleSet: shadow.ruleSetHash, from: shadow.source } }),
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
    const front = current.model.front;
    const wrapped = front ? unwrapSet(req.body, front.spec.input) : undefined;
    if (wrapped && 'problem' in wrapped) {
      return sendProblem(reply, 'INVALID_RECORD', wrapped.problem, {
        issues: [{ code: 'INVALID_ARGUMENT', message: wrapped.problem, field: wrapped.field }],
      });
    }
    const body = wrapped ? wrapped.body : (req.body as unknown);
    const single = !Array.isArray(body);
    const raws = single ? [body] : (body as unknown[]);
    if (raws.length === 0 || raws.length > maxBatch) {
      return sendProblem(
        reply,
        'INVALID_BATCH',
        `expected one record or an array of 1 to ${maxBatch} records, found ${raws.length}`,
      );
    }
    let issues: IndexedIssue[] = [];
    const records: DataRecord[] = [];
    const parsedRows: number[] = [];
    raws.forEach((raw, index) => {
      const parsed = parseRecord(front ? front.spec.input : current.model.schema, raw);
      for (const issue of parsed.issues) issues.push(single ? issue : { ...issue, index });
      if (parsed.issues.length === 0) parsedRows.push(index);
      records.push(parsed.record);
    });
    let perceived: PerceivedFacts[] | undefined;
    let setProblem: NeurulesError | undefined;
    if (front) {
      const done = await perceiveRequest(front, records, parsedRows, wrapped?.set ?? [], single, {
        imageRoot: model.imageRoot,
      });
      perceived = done.perceived;
      setProblem = done.setProblem;
      // The set's problems first, then each record's in order, whichever step found them.
      issues = [
        ...(setProblem?.issues ?? []),
        ...[...issues, ...done.issues].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)),
      ];
    }
    if (issues.length > 0) {
      const onlySet = setProblem !== undefined && issues.length === setProblem.issues.length;
      return sendProblem(
        reply,
        'INVALID_RECORD',
        onlySet ? setProblem!.message : `${issues.length} problem(s) in the request`,
        { issues },
      );
    }
    const explain = req.query.explain === 'true' || req.query.explain === '1';
    // The network's probabilities for every record at once: one tensor op per request.
    const networkProbabilities = explain
      ? current.model.teacher?.predictProbaFlat(records)
      : undefined;
    const answers = [];
    const entries: DecisionLogEntry[] = [];
    const time = log && new Date().toISOString();
    const decisions: Decision[] = [];
    for (const record of records) decisions.push(await current.decider.decide(record));
    // The challenger decides the batch after the champion, before the log line is written
    // (which carries its decision); it never changes or fails an answer.
    const shadows = current.shadow && (await decideShadow(current.shadow, records));
    for (const [index, record] of records.entries()) {
      const decision = decisions[index]!;
      if (time) {
        entries.push({
          time,
          requestId: String(req.id),
          model: model.name,
          ruleSet: current.model.ruleSetHash,
          ruleId: decision.ruleId,
          class: decision.class,
          inputs: record,
          ...(perceived && { perceived: perceived[index]! }),
          ...(shadows && { shadow: shadows[index]! }),
        });
      }
      const answer: Record<string, unknown> = {
        ...(perceived && { perceived: perceived[index] }),
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
          ...(perceived && { perceived: perceived[index]! }),
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
    if (shadows && metrics.shadow) countShadows(metrics.shadow, decisions, shadows);
    reply.header('x-rule-set', current.model.ruleSetHash);
    return single ? answers[0] : answers;
  });
}

/**
 * The challenger's decision of each record, in order: a record it fails on (an exception,
 * a rejected promise) gets `{ error }` with the message, and the others are still decided.
 */
async function decideShadow(
  shadow: NonNullable<Serving['shadow']>,
  records: readonly DataRecord[],
): Promise<ShadowDecision[]> {
  const out: ShadowDecision[] = [];
  for (const record of records) {
    try {
      // The compiled evaluator answers at once: awaited only when it is a promise.
      const decided = shadow.decider.decide(record);
      const d = decided instanceof Promise ? await decided : decided;
      out.push({ class: d.class, ruleId: d.ruleId, ruleSet: shadow.ruleSetHash });
    } catch (e) {
      out.push({ error: failureLine(e) });
    }
  }
  return out;
}

/** The first line of what a challenger threw, at most 500 characters: a log line stays one line. */
function failureLine(e: unknown): string {
  let message: string;
  try {
    message = e instanceof Error ? String(e.message) : String(e);
  } catch {
    message = ''; // a thrown value that cannot even be turned into text
  }
  return message.split(/\r?\n/)[0]!.slice(0, 500) || 'the challenger failed';
}

/** Count the challenger's decisions of an answered request, by the champion's class and its. */
function countShadows(
  metrics: NonNullable<ServiceMetrics['shadow']>,
  decisions: readonly Decision[],
  shadows: readonly ShadowDecision[],
): void {
  shadows.forEach((s, i) => {
    if ('error' in s) {
      metrics.errors.inc();
      return;
    }
    const labels = { champion: decisions[i]!.class, challenger: s.class };
    metrics.decisions.inc(labels);
    if (labels.champion !== labels.challenger) metrics.disagreements.inc(labels);
  });
}

/** A problem of a request, with the index of its record in a batch. */
type IndexedIssue = Issue & { index?: number };

/**
 * Perception of a request's records that parsed (`rows`: their indices), batched, before
 * the rules, with what a person set (`setPairs`, see `checkInterventions`): each becomes
 * the rules' record in `records`, in place. Every record that parsed is perceived even when
 * another did not, or the set is refused, so a request's problems are answered together:
 * the perception problems (with their index in a batch) and the set's.
 */
async function perceiveRequest(
  front: PerceptionFront,
  records: DataRecord[],
  rows: readonly number[],
  setPairs: readonly (readonly [string, string])[],
  single: boolean,
  confineImages: { imageRoot: string | undefined },
): Promise<{ perceived: PerceivedFacts[]; issues: IndexedIssue[]; setProblem?: NeurulesError }> {
  let set: Map<string, string> | undefined;
  let setProblem: NeurulesError | undefined;
  try {
    set = checkInterventions(setPairs, front.concepts);
  } catch (e) {
    if (!isNeurulesError(e)) throw e;
    setProblem = e;
  }
  const perceived = new Array<PerceivedFacts>(records.length);
  const issues: IndexedIssue[] = [];
  if (rows.length > 0) {
    // Image files only inside the service's image folder (see PerceiveOptions.confineImages).
    const batch = await front.perceive(
      rows.map((i) => records[i]!),
      { ...(set && { set }), confineImages },
    );
    batch.rows.forEach((row, k) => {
      const index = rows[k]!;
      if ('issues' in row) {
        for (const issue of row.issues) issues.push(single ? issue : { ...issue, index });
      } else {
        records[index] = row.record;
        perceived[index] = row.perceived;
      }
    });
  }
  return { perceived, issues, ...(setProblem && { setProblem }) };
}

/**
 * A request to a model with perception concepts may fix concepts for its records, the way
 * a person corrects a perception: `{"set": {"postcode": "3"}, "record": {...}}` or
 * `{"set": {...}, "records": [...]}`. Recognised only when `set` is not a column of the
 * raw records, so a record is never taken for a wrapper. A wrapper that is not of that form
 * (`set` not an object of class names, neither or both of `record` and `records`,
 * `records` not an array) is a problem, with its field.
 */
function unwrapSet(
  body: unknown,
  input: Schema,
): { body: unknown; set: [string, string][] } | { problem: string; field: string } | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const o = body as Record<string, unknown>;
  if (!Object.hasOwn(o, 'set') || input.features.some((f) => f.name === 'set')) return undefined;
  const set = o.set;
  if (typeof set !== 'object' || set === null || Array.isArray(set)) {
    return {
      problem: `expected 'set' as an object of concepts and their classes (for example {"postcode": "3"}), found ${describe(set)}`,
      field: 'set',
    };
  }
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(set)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      return {
        problem: `expected the class of the concept '${name}' in 'set' as a string, found ${describe(value)}`,
        field: `set.${name}`,
      };
    }
    pairs.push([name, String(value)]);
  }
  const one = Object.hasOwn(o, 'record');
  const many = Object.hasOwn(o, 'records');
  if (one === many) {
    return {
      problem: `a request with 'set' gives its records as 'record' (one) or 'records' (an array), ${one ? 'not both' : 'found neither'}`,
      field: one ? 'records' : 'record',
    };
  }
  if (many && !Array.isArray(o.records)) {
    return {
      problem: `expected 'records' as an array of records, found ${describe(o.records)}`,
      field: 'records',
    };
  }
  return { body: many ? o.records : o.record, set: pairs };
}

/** A JSON value's kind in words, for a problem. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object'
    ? 'an object'
    : `${typeof v === 'string' ? 'a string' : `a ${typeof v}`}`;
}

import { conceptAudit } from './concept-audit';
import { fairnessByGroup, type FairnessPlan } from './fairness';
import type { ConceptReadings } from '../artifacts/model-data';
import type { ModelManifest } from '../artifacts/types';
import type { DataRecord, Feature, Schema, Table } from '../data/types';
import type { Tree } from '../distill/types';
import { NeurulesError } from '../errors';
import { compileRuleSet, type CompiledRules } from '../engine/compiled-rules';
import type { Override } from '../overrides/parse-overrides';
import type { RuleSet } from '../rules/types';
import type { Teacher } from '../teacher/create-teacher';
import { countConditions, describeCondition, formatValue } from '../rules/describe-rule';
import type { AuditReport, DriftSection, FeatureSummary, ProportionInterval } from './types';
import { treeView } from './tree-view';
import { overrideImpact } from './override-impact';
import type { DecisionLogRead } from './read-decision-log';
import { shadowAgreement } from './shadow-agreement';
import { wilsonInterval } from './wilson-interval';

/** The parts of an opened model (`openModel(loc, { teacher: true })`) an audit reads. */
export interface AuditedModel {
  manifest: ModelManifest;
  schema: Schema;
  tree: Tree;
  /** The merged rule set: the distilled rules with the overrides above them. */
  ruleSet: RuleSet;
  distilled: RuleSet;
  overrides: Override[];
  ruleSetHash: string;
  /** `ruleSet` compiled, when the caller has it already. */
  compiled?: CompiledRules;
  /** The network: an audit compares the rules with it. */
  teacher?: Pick<Teacher, 'predict'>;
}

/** What {@link gatherAudit} needs. */
export interface AuditInput {
  /** The model, opened with its network. */
  model: AuditedModel;
  /** The labelled records to measure on (`loadModelData`), and words for where they come from. */
  data: {
    test: Pick<Table, 'records' | 'labels'> & Partial<Pick<Table, 'lines'>>;
    description: string;
    /** A model with perception concepts: what was perceived of `test` (`loadDecisionData`). */
    concepts?: readonly ConceptReadings[];
  };
  /** Records the rules' training shares come from (for drift), usually the training split. */
  training?: { records: readonly DataRecord[]; description: string };
  /** The service's decision log, read for this rule set. */
  log?: DecisionLogRead;
  /** Protected features to report fairness by group of (see `planFairness`). */
  fairness?: FairnessPlan;
  /** @defaultValue new Date() */
  now?: Date;
}

const round = (x: number, digits = 6) => Number(x.toFixed(digits));

function interval(successes: number, trials: number): ProportionInterval {
  const ci = trials > 0 ? wilsonInterval(successes, trials) : { value: NaN, low: NaN, high: NaN };
  return {
    value: round(ci.value),
    low: round(ci.low),
    high: round(ci.high),
    method: 'Wilson score interval, 95%',
    successes,
    trials,
  };
}

function summarise(f: Feature): FeatureSummary {
  const marks: Pick<FeatureSummary, 'immutable' | 'monotone' | 'protected'> = {
    immutable: Boolean(f.immutable),
    ...(f.type === 'numeric' && f.monotone && { monotone: f.monotone }),
    ...(f.protected && { protected: true }),
  };
  if (f.type === 'numeric') {
    const missing = f.missing ? `, ${f.missing} missing` : '';
    return {
      name: f.name,
      type: 'numeric',
      summary: `${formatValue(f.min)} – ${formatValue(f.max)}, mean ${formatValue(round(f.mean, 2))}${f.integer ? ', whole numbers' : ''}${missing}`,
      ...marks,
    };
  }
  // Every level: an auditor must see the whole domain, not its first few.
  return {
    name: f.name,
    type: 'categorical',
    summary: `${f.levels.length} levels: ${f.levels.map(formatValue).join(', ')}`,
    ...marks,
  };
}

function square(k: number): number[][] {
  return Array.from({ length: k }, () => new Array<number>(k).fill(0));
}

/**
 * Everything an auditor's report shows, measured now from the model's files, its rules
 * (compiled; identical to json-rules-engine) and its network on labelled records: quality
 * with confidence intervals and confusion matrices, every rule's figures and hits, the
 * tree, each override's impact, given a decision log, how the rules' shares of live
 * decisions moved against their shares of the training records, and given protected
 * features, the rules' decisions by group of each (see `fairnessByGroup`).
 */
export function gatherAudit(input: AuditInput): AuditReport {
  const { model, data } = input;
  const { schema } = model;
  const classes = schema.classes;
  const K = classes.length;
  const index = new Map(classes.map((c, i) => [c, i]));
  const records = data.test.records;
  const labels = data.test.labels;
  if (!model.teacher)
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      'gatherAudit: expected a model opened with its network (teacher: true), found none',
      { field: 'model.teacher' },
    );
  const network = model.teacher.predict(records as DataRecord[]);
  const merged = model.compiled ?? compileRuleSet(model.ruleSet);
  const distilled = compileRuleSet(model.distilled);

  const rules: number[] = [];
  const own: number[] = [];
  const hits = new Map<string, { n: number; correct: number; agree: number }>();
  for (const r of model.ruleSet.rules) hits.set(r.name, { n: 0, correct: 0, agree: 0 });
  records.forEach((record, i) => {
    const d = merged.decide(record);
    const k = index.get(d.class)!;
    rules.push(k);
    own.push(index.get(distilled.decide(record).class)!);
    const h = hits.get(d.ruleId)!;
    h.n++;
    if (k === labels[i]) h.correct++;
    if (k === network[i]) h.agree++;
  });
  const count = (a: readonly number[], b: readonly number[]) =>
    a.reduce((s, x, i) => s + (x === b[i] ? 1 : 0), 0);
  const n = records.length;
  const confusion = (predicted: readonly number[], truth: readonly number[]) => {
    const m = square(K);
    predicted.forEach((p, i) => m[truth[i]!]![p]!++);
    return m;
  };

  const impact = overrideImpact({
    classes,
    overrides: model.overrides,
    merged: model.ruleSet,
    distilled: model.distilled,
    records,
    labels,
    network,
  });
  const ruleById = new Map(model.ruleSet.rules.map((r) => [r.name, r]));

  const report: AuditReport = {
    format: 'neurules.audit',
    version: 1,
    generatedAt: (input.now ?? new Date()).toISOString(),
    model: {
      name: model.manifest.name,
      createdAt: model.manifest.createdAt,
      ruleSetHash: model.ruleSetHash,
      backend: model.manifest.backend,
      seed: model.manifest.seed,
      dataFile: model.manifest.data.path ?? model.manifest.data.file,
    },
    data: {
      evaluatedOn: data.description,
      records: n,
      schemaFrom: `the model's training split (${schema.rows} rows)`,
      features: schema.features.map(summarise),
      classes: classes.map((name, k) => ({ name, count: labels.filter((l) => l === k).length })),
    },
    quality: {
      classes,
      networkAccuracy: round(count(network, labels) / n),
      rulesAccuracy: round(count(rules, labels) / n),
      distilledAccuracy: round(count(own, labels) / n),
      fidelity: interval(count(rules, network), n),
      distilledFidelity: interval(count(own, network), n),
      confusion: { network: confusion(network, labels), rules: confusion(rules, labels) },
      rulesVsNetwork: confusion(rules, network),
      fidelityPerClass: classes.map((c, k) => {
        const mine = network.map((x, i) => (x === k ? i : -1)).filter((i) => i >= 0);
        const agree = mine.filter((i) => rules[i] === k).length;
        return {
          class: c,
          records: mine.length,
          agree,
          fidelity: mine.length ? round(agree / mine.length) : NaN,
        };
      }),
    },
    rules: model.ruleSet.rules.map((r) => {
      const p = r.event.params;
      const h = hits.get(r.name)!;
      return {
        id: r.name,
        source: p.source,
        class: p.class,
        text: describeCondition(r.conditions),
        conditions: countConditions(r.conditions),
        support: p.source === 'override' ? null : p.support,
        confidence: p.confidence ?? null,
        validationFidelity: p.validationFidelity ?? null,
        hits: h.n,
        hitShare: n ? round(h.n / n) : 0,
        accuracy: h.n ? round(h.correct / h.n) : null,
        fidelity: h.n ? round(h.agree / h.n) : null,
      };
    }),
    tree: treeView(model.tree, schema, model.distilled),
    overrides: {
      accuracyWithout: round(impact.accuracyWithout),
      accuracyWith: round(impact.accuracyWith),
      fidelityWithout: round(impact.fidelityWithout),
      fidelityWith: round(impact.fidelityWith),
      changed: impact.changed,
      items: impact.items.map((o) => ({
        id: o.id,
        file: o.file,
        line: o.line,
        class: o.class,
        priority: o.priority,
        reason: o.reason,
        owner: o.owner,
        text: describeCondition(ruleById.get(o.id)!.conditions),
        fires: o.fires,
        changed: o.changed,
        accuracyDelta: round(o.accuracyDelta),
        fidelityDelta: round(o.fidelityDelta),
      })),
    },
  };
  if (input.log) {
    report.drift = drift(input, merged);
    const shadow = shadowAgreement(input.log.file, input.log.entries);
    if (shadow) report.shadow = shadow;
  }
  if (input.fairness) {
    report.fairness = fairnessByGroup({
      plan: input.fairness,
      schema,
      records,
      decided: rules,
      network,
      labels,
      ruleSet: model.ruleSet,
    });
  }
  if (data.concepts) {
    report.perception = conceptAudit(
      data.concepts,
      records,
      data.test.lines ?? records.map((_, i) => i + 1),
      (r) => merged.decide(r).class,
    );
  }
  return report;
}

/** Fewer logged decisions than this are too few to call any rule drifted. */
export const MIN_DRIFT_DECISIONS = 50;

/** Decisions per rule over time, and each rule's live share against its training share. */
function drift(input: AuditInput, merged: ReturnType<typeof compileRuleSet>): DriftSection {
  const log = input.log!;
  const unreadable = log.badLines.length
    ? `${log.badLines.length} unreadable line(s) (first at line ${log.badLines[0]})`
    : '';
  if (!log.entries.length) {
    throw new NeurulesError(
      'NO_DECISIONS',
      `no decision of rule set ${input.model.ruleSetHash.slice(0, 12)} in the log` +
        [unreadable, log.otherRuleSets ? `${log.otherRuleSets} decision(s) of other rule sets` : '']
          .filter(Boolean)
          .map((x) => `; ${x}`)
          .join(''),
      { file: log.file },
    );
  }
  const warnings: string[] = [];
  if (log.entries.length < MIN_DRIFT_DECISIONS)
    warnings.push(
      `only ${log.entries.length} decision(s) of this rule set: too few to judge drift (at least ${MIN_DRIFT_DECISIONS}); no rule is flagged`,
    );
  if (log.otherRuleSets)
    warnings.push(
      `${log.otherRuleSets} decision(s) made by other rule sets (before a reload, or by another version) are left out`,
    );
  if (unreadable) warnings.push(`${unreadable} left out`);
  const entries = [...log.entries].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const training = input.training?.records ?? input.data.test.records;
  const trainCounts = new Map<string, number>();
  for (const r of training) {
    const id = merged.decide(r).ruleId;
    trainCounts.set(id, (trainCounts.get(id) ?? 0) + 1);
  }
  const logCounts = new Map<string, number>();
  for (const e of entries) logCounts.set(e.ruleId, (logCounts.get(e.ruleId) ?? 0) + 1);
  const n1 = entries.length;
  const n2 = training.length;
  const first = entries[0] ? Date.parse(entries[0].time) : 0;
  const last = entries.length ? Date.parse(entries[entries.length - 1]!.time) : 0;
  const span = last - first;
  // Up to 12 buckets of at least 25 decisions, and never narrower than a millisecond.
  const bucketCount = span > 0 ? Math.max(1, Math.min(12, Math.ceil(n1 / 25), span)) : 1;
  const width = span > 0 ? span / bucketCount : 1;
  const buckets = Array.from({ length: bucketCount }, (_, b) => ({
    start: new Date(first + b * width).toISOString(),
    end: new Date(b === bucketCount - 1 ? last : first + (b + 1) * width).toISOString(),
    total: 0,
    counts: {} as Record<string, number>,
  }));
  for (const e of entries) {
    const b = Math.min(bucketCount - 1, Math.floor((Date.parse(e.time) - first) / width));
    const bucket = buckets[b]!;
    bucket.total++;
    bucket.counts[e.ruleId] = (bucket.counts[e.ruleId] ?? 0) + 1;
  }
  const ids = input.model.ruleSet.rules.map((r) => r.name);
  return {
    logFile: log.file,
    decisions: n1,
    skipped: log.badLines.length + log.otherRuleSets,
    unreadable: log.badLines.length,
    otherRuleSets: log.otherRuleSets,
    warnings,
    from: entries[0]?.time ?? '',
    to: entries[entries.length - 1]?.time ?? '',
    buckets,
    rules: ids.map((id) => {
      const x1 = logCounts.get(id) ?? 0;
      const x2 = trainCounts.get(id) ?? 0;
      const p1 = n1 ? x1 / n1 : 0;
      const p2 = n2 ? x2 / n2 : 0;
      const pooled = n1 + n2 ? (x1 + x2) / (n1 + n2) : 0;
      const se = n1 && n2 ? Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)) : 0;
      const z = se > 0 ? (p1 - p2) / se : 0;
      return {
        id,
        trainingShare: round(p2),
        logShare: round(p1),
        z: round(z, 3),
        drifted: n1 >= MIN_DRIFT_DECISIONS && Math.abs(z) > 3 && Math.abs(p1 - p2) > 0.05,
      };
    }),
  };
}

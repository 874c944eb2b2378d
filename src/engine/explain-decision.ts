import type { DataRecord, Schema } from '../data/types';
import { isNeurulesError } from '../errors';
import { type RuleRegion, ruleRegions } from '../regions/rule-regions';
import { describeComparison, describeRule, formatValue } from '../rules/describe-rule';
import type { NeurulesRule, RuleSet } from '../rules/types';
import { safeCompileRuleSet } from './compiled-rules';
import { type Counterfactual, findCounterfactuals } from './find-counterfactuals';
import { type PrincipalReason, principalReasons } from './principal-reasons';
import { RuleEngine } from './rule-engine';
import type { Decision, RuleTrace } from './types';
import { confidenceFact, describePerceived, type PerceivedFacts } from '../perception/perceived';

/** An evaluator that can show the deciding rule's conditions: json-rules-engine or compiled. */
export interface Tracer {
  readonly ruleSet: RuleSet;
  trace(record: DataRecord): RuleTrace | Promise<RuleTrace>;
}

/** One condition of the deciding rule with the record's value. */
export interface ExplainedCondition {
  /** The comparison in words, e.g. `duration > 22.5`. */
  text: string;
  fact: string;
  operator: string;
  value: unknown;
  /** The record's value (null = missing). */
  recordValue: unknown;
  /** Whether the comparison held (an `or missing` alternative may hold instead). */
  holds: boolean;
}

/** The network's own view of the record. */
export interface NetworkOpinion {
  probabilities: Record<string, number>;
  class: string;
  /** True when the network's most probable class is the rules' decision. */
  agrees: boolean;
}

/** When an override decided: which one, why, and what the distilled rules alone say. */
export interface OverrideNote {
  id: string;
  reason: string | null;
  /** The decision of the distilled rules without any override. */
  distilled: { class: string; ruleId: string; text: string };
}

/** A decision with the reasons for it. */
export interface Explanation {
  decision: Decision;
  rule: {
    id: string;
    source: 'distilled' | 'override';
    text: string;
    conditions: ExplainedCondition[];
    /** Training records in the rule's region, the network's agreement there, and on validation (distilled rules). */
    support: number | null;
    confidence: number | null;
    validationFidelity: number | null;
  };
  /** Present when an override decided. */
  override?: OverrideNote;
  /** Present when the network was available. */
  network?: NetworkOpinion;
  /** The deciding rule's conditions, nearest to flipping first (with a schema). */
  reasons?: PrincipalReason[];
  /** Up to `counterfactuals` smallest changes that change the decision (with a schema). */
  counterfactuals?: Counterfactual[];
  /** Why reasons or counterfactuals are absent, when they are. */
  notes?: string[];
  /**
   * A model with perception concepts: what its networks perceived of the raw inputs (or a
   * person set). The rules decided on these; counterfactuals change them, never a raw input.
   */
  perceived?: PerceivedFacts;
}

/** Options of {@link explainDecision}. */
export interface ExplainOptions {
  /** The model's schema: needed for principal reasons and counterfactuals. */
  schema?: Schema;
  /** Most counterfactuals. @defaultValue 3 */
  counterfactuals?: number;
  /** What perception networks read of the record's raw inputs (see `Explanation.perceived`). */
  perceived?: PerceivedFacts;
}

type Decide = (record: DataRecord) => Decision | Promise<Decision>;

/**
 * The fastest exact evaluator of a rule set, to decide and trace with: the compiled
 * evaluator (deciding synchronously), or json-rules-engine itself for a rule set outside
 * the compiled subset. INVALID_RULES when json-rules-engine refuses the rule set too.
 *
 * @example
 * const decision = await evaluatorOf(ruleSet).decide(record); // as RuleEngine.decide
 */
export function evaluatorOf(
  rules: RuleSet,
): Tracer & { decide(record: DataRecord): Decision | Promise<Decision> } {
  const compiled = safeCompileRuleSet(rules);
  return compiled.ok ? compiled.value : new RuleEngine(rules);
}

/** {@link evaluatorOf}'s decisions as a function. */
function deciderOf(rules: RuleSet): Decide {
  const evaluator = evaluatorOf(rules);
  return (r) => evaluator.decide(r);
}

const deciders = new WeakMap<RuleSet, { merged: Decide; distilled: Decide | null }>();

/** Fast deciders for a rule set and its distilled rules alone (compiled where possible). */
function decidersFor(tracer: Tracer): { merged: Decide; distilled: Decide | null } {
  const ruleSet = tracer.ruleSet;
  const hit = deciders.get(ruleSet);
  if (hit) return hit;
  const distilledRules = ruleSet.rules.filter((r) => r.event.params.source !== 'override');
  const out = {
    merged: deciderOf(ruleSet),
    distilled:
      distilledRules.length === ruleSet.rules.length || distilledRules.length === 0
        ? null
        : deciderOf({ ...ruleSet, rules: distilledRules }),
  };
  deciders.set(ruleSet, out);
  return out;
}

/**
 * Explain the decision for one record: the rule that fired (as a sentence), each of its
 * comparisons with the record's value, the rule's figures, the override that decided (if
 * one did) with its reason and the distilled rules' own answer; given the network's
 * probabilities, what the network says; given the schema, the principal reasons and the
 * counterfactuals (exact, from the rule regions, each verified by running the rules).
 */
export async function explainDecision(
  engine: Tracer,
  record: DataRecord,
  networkProbabilities?: ArrayLike<number>,
  options: ExplainOptions = {},
): Promise<Explanation> {
  const trace = await engine.trace(record);
  const rule = engine.ruleSet.rules.find((r) => r.name === trace.decision.ruleId) as NeurulesRule;
  const params = rule.event.params;
  // Word the "(or missing)" alternatives only when the record has a missing value.
  const hasMissing = Object.values(record).some((v) => v === null);
  const wording = { missing: hasMissing };
  const conditions = trace.conditions
    // `x equal null` alternatives are folded into the comparison's "(or missing)" wording.
    .filter((c) => !(c.operator === 'equal' && c.value === null && !c.result))
    .map((c) => ({
      text: describeComparison(c.fact, c.operator, c.value, wording),
      fact: c.fact,
      operator: c.operator,
      value: c.value,
      recordValue: c.factValue ?? null,
      holds: c.result,
    }));
  const explanation: Explanation = {
    decision: trace.decision,
    rule: {
      id: rule.name,
      source: params.source,
      text: describeRule(rule, wording),
      conditions,
      support: params.source === 'override' ? null : params.support,
      confidence: params.confidence ?? null,
      validationFidelity: params.validationFidelity ?? null,
    },
    ...(options.perceived && { perceived: options.perceived }),
  };
  const decide = decidersFor(engine);
  if (params.source === 'override' && decide.distilled) {
    const own = await decide.distilled(record);
    const ownRule = engine.ruleSet.rules.find((r) => r.name === own.ruleId) as NeurulesRule;
    explanation.override = {
      id: rule.name,
      reason: params.reason ?? null,
      distilled: { class: own.class, ruleId: own.ruleId, text: describeRule(ownRule, wording) },
    };
  }
  if (networkProbabilities) {
    const classes = engine.ruleSet.classes;
    const probabilities: Record<string, number> = {};
    let best = 0;
    classes.forEach((c, k) => {
      probabilities[c] = Number((networkProbabilities[k] ?? 0).toFixed(6));
      if ((networkProbabilities[k] ?? 0) > (networkProbabilities[best] ?? 0)) best = k;
    });
    explanation.network = {
      probabilities,
      class: classes[best]!,
      agrees: classes[best] === trace.decision.class,
    };
  }
  if (options.schema) {
    let regions: RuleRegion[] | undefined;
    try {
      regions = ruleRegions(engine.ruleSet, options.schema);
    } catch (e) {
      if (!isNeurulesError(e)) throw e;
      explanation.notes = [`no reasons or counterfactuals: ${e.message}`];
    }
    if (regions) {
      const conditionText = new Map<string, string>();
      for (const c of conditions) {
        const before = conditionText.get(c.fact);
        conditionText.set(c.fact, before ? `${before} and ${c.text}` : c.text);
      }
      const common = {
        record,
        decision: trace.decision,
        regions,
        // What was perceived can be read otherwise; how sure the network was cannot be
        // changed by anyone: counterfactuals keep each concept's confidence.
        schema: options.perceived
          ? keepConfidences(options.schema, Object.keys(options.perceived))
          : options.schema,
        decide: decide.merged,
      };
      explanation.reasons = await principalReasons({ ...common, conditionText });
      explanation.counterfactuals = await findCounterfactuals({
        ...common,
        max: options.counterfactuals ?? 3,
      });
    }
  }
  return explanation;
}

/** The schema with each concept's confidence fact immutable. */
function keepConfidences(schema: Schema, concepts: readonly string[]): Schema {
  const facts = new Set(concepts.map(confidenceFact));
  return {
    ...schema,
    features: schema.features.map((f) => (facts.has(f.name) ? { ...f, immutable: true } : f)),
  };
}

/** An explanation as text for a terminal. */
export function formatExplanation(e: Explanation): string {
  const pct = (p: Record<string, number>): string =>
    Object.entries(p)
      .map(([c, v]) => `${c} ${(v * 100).toFixed(1)}%`)
      .join(', ');
  const fixed = (v: number | null) => (v === null ? 'n/a' : v.toFixed(2));
  const lines =
    e.rule.source === 'override'
      ? [
          `decision: ${e.decision.class}  (override ${e.rule.id}${e.override?.reason ? `: ${e.override.reason}` : ''})`,
          `rule:     ${e.rule.text}`,
        ]
      : [
          `decision: ${e.decision.class}  (rule ${e.decision.ruleId}, distilled; rule probabilities ${pct(e.decision.probabilities)}; support ${e.decision.support})`,
          `rule:     ${e.rule.text}`,
          `figures:  support ${e.rule.support ?? 'n/a'}, confidence ${fixed(e.rule.confidence)}, validation fidelity ${fixed(e.rule.validationFidelity)}`,
        ];
  for (const [name, p] of Object.entries(e.perceived ?? {})) {
    lines.push(`perceived: ${describePerceived(name, p)}`);
  }
  lines.push(
    'conditions:',
    ...e.rule.conditions.map(
      (c) => `  ${c.holds ? '✓' : '✗'} ${c.text.padEnd(48)} record: ${formatValue(c.recordValue)}`,
    ),
  );
  if (e.override) {
    const d = e.override.distilled;
    lines.push(`without overrides: ${d.class}  (rule ${d.ruleId}: ${d.text})`);
  }
  if (e.network) {
    lines.push(
      `network:  ${e.network.class}  (${pct(e.network.probabilities)}) — ${e.network.agrees ? 'agrees with the rules' : 'DISAGREES with the rules'}`,
    );
  }
  if (e.reasons?.length) {
    lines.push('principal reasons (nearest to changing the decision first):');
    e.reasons.forEach((r, i) => {
      const head = `  ${i + 1}. ${r.condition} (record: ${formatValue(r.recordValue)})`;
      lines.push(
        r.flip
          ? `${head}: ${r.feature} = ${formatValue(r.flip.to)} would decide ${r.flip.class} (rule ${r.flip.ruleId}; ${r.flip.distance.toFixed(2)} spreads)`
          : `${head}: no value of ${r.feature} alone changes the decision`,
      );
    });
  }
  if (e.counterfactuals) {
    lines.push(
      e.counterfactuals.length
        ? 'counterfactuals (fewest features changed, then smallest change; each checked by the rules):'
        : 'counterfactuals: none (no change of the changeable features gives another class)',
    );
    e.counterfactuals.forEach((c, i) => {
      const changes = c.changes
        .map((x) =>
          e.perceived?.[x.feature]
            ? `had ${x.feature} been ${e.perceived[x.feature]!.perceivedAs ? 'set to' : 'read as'} ${formatValue(x.to)} (not ${formatValue(x.from)})`
            : `${x.feature} ${formatValue(x.from)} → ${formatValue(x.to)}`,
        )
        .join(', ');
      lines.push(`  ${i + 1}. ${changes}  ⇒ ${c.class} (rule ${c.ruleId})`);
    });
  }
  for (const note of e.notes ?? []) lines.push(`note: ${note}`);
  return lines.join('\n');
}

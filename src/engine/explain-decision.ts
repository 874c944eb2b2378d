import type { DataRecord } from '../data/types';
import { describeComparison, describeRule, formatValue } from '../rules/describe-rule';
import type { NeurulesRule } from '../rules/types';
import type { RuleSet } from '../rules/types';
import type { Decision, RuleTrace } from './rule-engine';

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

/** A decision with the reasons for it. */
export interface Explanation {
  decision: Decision;
  rule: { id: string; text: string; conditions: ExplainedCondition[] };
  /** Present when the network was available. */
  network?: NetworkOpinion;
}

/**
 * Explain the decision for one record: the rule that fired (as a sentence), each of its
 * comparisons with the record's value, and, given the network's probabilities for the
 * record, what the network says and whether it agrees.
 */
export async function explainDecision(
  engine: Tracer,
  record: DataRecord,
  networkProbabilities?: ArrayLike<number>,
): Promise<Explanation> {
  const trace = await engine.trace(record);
  const rule = engine.ruleSet.rules.find((r) => r.name === trace.decision.ruleId) as NeurulesRule;
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
    rule: { id: rule.name, text: describeRule(rule, wording), conditions },
  };
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
  return explanation;
}

/** An explanation as text for a terminal. */
export function formatExplanation(e: Explanation): string {
  const pct = (p: Record<string, number>): string =>
    Object.entries(p)
      .map(([c, v]) => `${c} ${(v * 100).toFixed(1)}%`)
      .join(', ');
  const lines = [
    `decision: ${e.decision.class}  (rule ${e.decision.ruleId}, ${e.decision.source}; rule probabilities ${pct(e.decision.probabilities)}; support ${e.decision.support})`,
    `rule:     ${e.rule.text}`,
    'conditions:',
    ...e.rule.conditions.map(
      (c) => `  ${c.holds ? '✓' : '✗'} ${c.text.padEnd(48)} record: ${formatValue(c.recordValue)}`,
    ),
  ];
  if (e.network) {
    lines.push(
      `network:  ${e.network.class}  (${pct(e.network.probabilities)}) — ${e.network.agrees ? 'agrees with the rules' : 'DISAGREES with the rules'}`,
    );
  }
  return lines.join('\n');
}

import type { Engine } from 'json-rules-engine';
import type { DataRecord } from '../data/types';
import { NeurulesError } from '../errors';
import type { DecisionParams, RuleSet } from '../rules/types';
import type { ConditionResult, Decision, RuleTrace } from './types';

/**
 * Evaluates a rule set with json-rules-engine, the format of record. Missing values must be
 * `null` in the record (json-rules-engine rejects undefined facts by default, and so do we).
 */
export class RuleEngine {
  private readonly engine: Engine;
  readonly ruleSet: RuleSet;

  constructor(ruleSet: RuleSet) {
    this.ruleSet = ruleSet;
    // json-rules-engine loads with the first RuleEngine: the compiled evaluator needs none.
    const { Engine } = require('json-rules-engine') as typeof import('json-rules-engine');
    try {
      this.engine = new Engine(ruleSet.rules);
    } catch (e) {
      throw new NeurulesError(
        'INVALID_RULES',
        `json-rules-engine refused the rule set: ${(e as Error).message}`,
      );
    }
  }

  /** The decision for one record. */
  async decide(record: DataRecord): Promise<Decision> {
    return (await this.trace(record)).decision;
  }

  /** The decision for one record with the deciding rule's evaluated conditions. */
  async trace(record: DataRecord): Promise<RuleTrace> {
    const { results } = await this.engine.run({ ...record });
    // json-rules-engine evaluates priority groups from the highest down; results keep that order.
    const fired = results.filter((r) => r.result);
    const first = fired[0];
    if (!first) {
      throw new NeurulesError(
        'NO_RULE_FIRED',
        `no rule of model '${this.ruleSet.model}' matched the record`,
      );
    }
    const params = first.event!.params as DecisionParams;
    const conditions: ConditionResult[] = [];
    flattenConditions(
      (first.conditions as unknown as { toJSON(s: false): unknown }).toJSON(false),
      conditions,
    );
    return {
      decision: {
        class: params.class,
        ruleId: params.ruleId,
        probabilities: params.probabilities,
        support: params.support,
        source: params.source,
      },
      conditions,
      fired: fired.map((r) => r.name),
    };
  }
}

/** Flatten json-rules-engine's evaluated condition tree into its comparisons, in rule order. */
export function flattenConditions(node: unknown, out: ConditionResult[]): void {
  if (!node || typeof node !== 'object') return;
  const c = node as Record<string, unknown>;
  for (const key of ['all', 'any'] as const) {
    const children = c[key];
    if (Array.isArray(children)) {
      for (const child of children) flattenConditions(child, out);
      return;
    }
  }
  if (c.not) return flattenConditions(c.not, out);
  if (typeof c.fact === 'string') {
    out.push({
      fact: c.fact,
      operator: String(c.operator),
      value: c.value,
      factValue: c.factResult,
      result: c.result === true,
    });
  }
}

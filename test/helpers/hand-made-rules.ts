import type { TopLevelCondition } from 'json-rules-engine';
import { DECISION_EVENT, type NeurulesRule, type RuleSet } from '../../src/rules/types';

/** A rule written by hand: distilled with priority 1 unless told otherwise. */
export function handRule(
  name: string,
  cls: string,
  conditions: TopLevelCondition,
  options: { source?: 'distilled' | 'override'; priority?: number; support?: number } = {},
): NeurulesRule {
  return {
    name,
    priority: options.priority ?? 1,
    conditions,
    event: {
      type: DECISION_EVENT,
      params: {
        ruleId: name,
        class: cls,
        probabilities: {},
        support: options.support ?? 0,
        source: options.source ?? 'distilled',
      },
    },
  };
}

/** An override written by hand, at json-rules-engine priority `priority`. */
export function handOverride(
  name: string,
  cls: string,
  conditions: TopLevelCondition,
  priority: number,
): NeurulesRule {
  return handRule(name, cls, conditions, { source: 'override', priority });
}

/** A rule set of model `m` (target `y`) of these rules. */
export function handRuleSet(rules: NeurulesRule[], classes: string[]): RuleSet {
  return { format: 'neurules.rules', version: 1, model: 'm', target: 'y', classes, rules };
}

import type { TopLevelCondition } from 'json-rules-engine';
import type { Schema } from '../../src/data/types';
import type { NeurulesRule, RuleSet } from '../../src/rules/types';

/**
 * A tiny hand-made model for tests of what rules decide: three features (a numeric `age`,
 * a categorical `c`, a numeric `y`), classes bad and good, and {@link TINY}'s rules.
 */
export const TINY_SCHEMA: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'outcome',
  classes: ['bad', 'good'],
  rows: 100,
  features: [
    {
      name: 'age',
      type: 'numeric',
      min: 18,
      max: 90,
      mean: 40,
      std: 10,
      integer: true,
      missing: 0,
    },
    { name: 'c', type: 'categorical', levels: ['a', 'b', 'z'], missing: 0 },
    { name: 'y', type: 'numeric', min: 0, max: 10, mean: 5, std: 2, integer: false, missing: 0 },
  ],
};

/** A decision rule as neurules writes it (an override when its priority is above 1). */
export function rule(
  name: string,
  priority: number,
  conditions: TopLevelCondition,
  cls: string,
): NeurulesRule {
  return {
    name,
    priority,
    conditions,
    event: {
      type: 'neurules.decision',
      params: {
        ruleId: name,
        class: cls,
        probabilities: { bad: cls === 'bad' ? 1 : 0, good: cls === 'good' ? 1 : 0 },
        support: 1,
        source: priority > 1 ? 'override' : 'distilled',
      },
    },
  };
}

/** A rule set of model `tiny` holding `rules`. */
export const ruleSet = (rules: NeurulesRule[]): RuleSet => ({
  format: 'neurules.rules',
  version: 1,
  model: 'tiny',
  target: 'outcome',
  classes: ['bad', 'good'],
  rules,
});

/**
 * An override above three distilled rules that partition the records:
 * minors (age < 18) are declined; else c in {a, z, missing} is good; c = b is bad when
 * y <= 5, good when y > 5 or missing.
 */
export const TINY = ruleSet([
  rule('minors', 10, { all: [{ fact: 'age', operator: 'lessThan', value: 18 }] }, 'bad'),
  rule('R1', 1, { all: [{ fact: 'c', operator: 'in', value: ['a', 'z', null] }] }, 'good'),
  rule(
    'R2',
    1,
    {
      all: [
        { fact: 'c', operator: 'equal', value: 'b' },
        { fact: 'y', operator: 'lessThanInclusive', value: 5 },
      ],
    },
    'bad',
  ),
  rule(
    'R3',
    1,
    {
      all: [
        { fact: 'c', operator: 'equal', value: 'b' },
        {
          any: [
            { fact: 'y', operator: 'greaterThan', value: 5 },
            { fact: 'y', operator: 'equal', value: null },
          ],
        },
      ],
    },
    'good',
  ),
]);

import type { Schema } from '../../src/data/types';
import type { NeurulesRule, RuleSet } from '../../src/rules/types';

/** A two-feature model with the given names: three rules in three priorities. */
export function hostileModel(
  num: string,
  cat: string,
  levels: string[],
  classes: string[],
): { ruleSet: RuleSet; schema: Schema } {
  const schema: Schema = {
    format: 'neurules.schema',
    version: 1,
    target: 'y',
    classes,
    rows: 10,
    features: [
      { name: num, type: 'numeric', min: 0, max: 5, mean: 2, std: 1, integer: false, missing: 0 },
      { name: cat, type: 'categorical', levels, missing: 0 },
    ],
  };
  const rule = (
    name: string,
    priority: number,
    conditions: NeurulesRule['conditions'],
    cls: string,
  ): NeurulesRule => ({
    name,
    priority,
    conditions,
    event: {
      type: 'neurules.decision',
      params: { class: cls, ruleId: name } as unknown as NeurulesRule['event']['params'],
    },
  });
  const ruleSet = {
    format: 'neurules.rules',
    version: 1,
    model: `hostile ${num}`,
    target: 'y',
    classes,
    rules: [
      rule(
        `r1 ${cat}`,
        3,
        { all: [{ fact: cat, operator: 'in', value: [levels[0]!] }] },
        classes[0]!,
      ),
      rule(
        "r2 'x'",
        2,
        {
          all: [
            {
              any: [
                { fact: num, operator: 'lessThanInclusive', value: 2.5 },
                { fact: num, operator: 'equal', value: null },
              ],
            },
          ],
        },
        classes[1]!,
      ),
      rule('r3', 1, { all: [] }, classes[0]!),
    ],
  } as unknown as RuleSet;
  return { ruleSet, schema };
}

/** Rows of {@link hostileModel}'s two columns that reach each of its rules, a missing value, an unseen level and a text that is no number. */
export function hostileRows(levels: string[]): (string | null)[][] {
  return [
    ['1', levels[0]!],
    ['3', levels[1]!],
    ['3', levels[2]!],
    [null, levels[0]!],
    ['2.5', 'unseen level'],
    ['x', levels[0]!],
  ];
}

import type { TopLevelCondition } from 'json-rules-engine';
import type { Schema } from '../../src/data/types';
import type { NeurulesRule } from '../../src/rules/types';
import { handRule as rule } from './hand-made-rules';

/** A small schema: an integer `n` (0–40), a real `x` (−1–1), a categorical `k` (p, q, r); classes a, b, c. */
export const partitionSchema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'y',
  classes: ['a', 'b', 'c'],
  rows: 100,
  features: [
    { name: 'n', type: 'numeric', min: 0, max: 40, mean: 20, std: 8, integer: true, missing: 0 },
    { name: 'x', type: 'numeric', min: -1, max: 1, mean: 0, std: 0.5, integer: false, missing: 0 },
    { name: 'k', type: 'categorical', levels: ['p', 'q', 'r'], missing: 0 },
  ],
};

const lowN: TopLevelCondition = {
  any: [
    { fact: 'n', operator: 'lessThanInclusive', value: 20 },
    { fact: 'n', operator: 'equal', value: null },
  ],
};

/**
 * A tree's leaves over {@link partitionSchema}: a partition of every record (missing n goes
 * left, as a tree sends it): n ≤ 20 and k p → a (L1); n ≤ 20, k not p → b (L2); n > 20 → c (L3).
 */
export const partitionRules: NeurulesRule[] = [
  rule('L1', 'a', { all: [lowN, { fact: 'k', operator: 'in', value: ['p'] }] }),
  rule('L2', 'b', { all: [lowN, { fact: 'k', operator: 'notIn', value: ['p'] }] }),
  rule('L3', 'c', { all: [{ fact: 'n', operator: 'greaterThan', value: 20 }] }),
];

/**
 * A region in parts: the conditions on the features named first, the others after, and the
 * unseen levels and missing values it includes said once for the region, not in every
 * condition; `describeBox` (what `neurules diff` prints) words the same box whole.
 */
import type { Schema } from '../../src/data/types';
import {
  describeBox,
  describeIncluded,
  describeRegionParts,
} from '../../src/regions/describe-region';
import type { Box } from '../../src/regions/region';
import { complementSet, levelPoints, numericComparison } from '../../src/regions/value-set';

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'y',
  classes: ['good', 'bad'],
  rows: 10,
  features: [
    {
      name: 'duration',
      type: 'numeric',
      min: 4,
      max: 72,
      mean: 20,
      std: 12,
      integer: true,
      missing: 0,
    },
    { name: 'purpose', type: 'categorical', levels: ['car', 'education', 'radio'], missing: 0 },
    {
      name: 'age',
      type: 'numeric',
      min: 19,
      max: 75,
      mean: 35,
      std: 11,
      integer: true,
      missing: 0,
    },
  ],
};
const levels = ['car', 'education', 'radio'];

/** Age under 25 or missing (a `not` of `age >= 25`), purpose not car (unseen and missing in). */
const box: Box = {
  duration: numericComparison('greaterThan', 36),
  purpose: complementSet(levelPoints(levels, ['car']), levels),
  age: complementSet(numericComparison('greaterThanInclusive', 25)),
};

describe('describeRegionParts', () => {
  it("states the override's features first, in its order, and the rest in schema order", () => {
    const parts = describeRegionParts(box, schema, ['age', 'purpose']);
    expect(parts.first).toEqual(['age < 25', "purpose is one of 'education', 'radio'"]);
    expect(parts.rest).toEqual(['duration > 36']);
    expect(parts.unseen).toEqual(['purpose']);
    expect(parts.missing).toEqual(['purpose', 'age']);
    for (const text of [...parts.first, ...parts.rest]) {
      expect(text).not.toMatch(/missing|not seen in training/);
    }
  });

  it('says unseen levels and missing values once for the region', () => {
    const parts = describeRegionParts(box, schema, ['age']);
    expect(describeIncluded(parts)).toBe(
      'unseen levels of purpose and missing values of purpose and age included',
    );
    expect(describeIncluded({ unseen: ['purpose'], missing: ['purpose'] })).toBe(
      'unseen levels and missing values of purpose included',
    );
    expect(describeIncluded({ unseen: [], missing: [] })).toBe('');
  });

  it('keeps a condition that is only a missing value, or only unseen levels', () => {
    const only: Box = {
      age: complementSet(numericComparison('greaterThan', -Infinity)),
      purpose: complementSet(levelPoints(levels, [...levels, null]), levels),
    };
    const parts = describeRegionParts(only, schema);
    expect(parts.rest).toEqual(['purpose is a level not seen in training', 'age is missing']);
    expect(parts.unseen).toEqual([]);
    expect(parts.missing).toEqual([]);
  });

  it('skips names the box does not constrain; an unconstrained box has no parts', () => {
    expect(describeRegionParts(box, schema, ['credit_amount']).first).toEqual([]);
    expect(describeRegionParts({}, schema, ['age'])).toEqual({
      first: [],
      rest: [],
      unseen: [],
      missing: [],
    });
  });

  it('leaves the whole sentence of `neurules diff` as it was', () => {
    expect(describeBox(box, schema)).toBe(
      "duration > 36 and (purpose is one of 'education', 'radio' or purpose is a level not seen in training or purpose is missing) and (age < 25 or age is missing)",
    );
  });
});

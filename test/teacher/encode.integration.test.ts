import type { Schema } from '../../src/data/types';
import { createEncoder, encodeRecords, encoderFromSpec } from '../../src/teacher';

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'class',
  features: [
    {
      name: 'age',
      type: 'numeric',
      min: 20,
      max: 60,
      mean: 40,
      std: 10,
      integer: true,
      missing: 0,
    },
    { name: 'color', type: 'categorical', levels: ['red', 'green', 'blue'], missing: 1 },
    {
      name: 'income',
      type: 'numeric',
      min: 0,
      max: 10,
      mean: 5,
      std: 2,
      integer: false,
      missing: 3,
    },
    { name: 'flat', type: 'numeric', min: 7, max: 7, mean: 7, std: 0, integer: true, missing: 0 },
  ],
  classes: ['no', 'yes'],
  rows: 10,
};

describe('createEncoder', () => {
  const encoder = createEncoder(schema);

  it('lays out columns in schema order with indicators only where missing values were seen', () => {
    expect(encoder.featureColumns).toEqual([
      'age',
      'color=red',
      'color=green',
      'color=blue',
      'income',
      'income (missing)',
      'flat',
    ]);
    expect(encoder.width).toBe(7);
  });

  it('standardises numbers and one-hot encodes levels', () => {
    const x = encoder.encode([{ age: 50, color: 'green', income: 4, flat: 7 }]);
    expect(Array.from(x)).toEqual([1, 0, 1, 0, -0.5, 0, 0]);
  });

  it('uses scale 1 for a constant feature', () => {
    const x = encoder.encode([{ age: 40, color: 'red', income: 5, flat: 9 }]);
    expect(x[6]).toBe(2);
  });

  it('encodes a missing number as the mean plus its indicator, a missing level as zeros', () => {
    const x = encoder.encode([{ age: null, color: null, income: null, flat: null }]);
    expect(Array.from(x)).toEqual([0, 0, 0, 0, 0, 1, 0]);
  });

  it('encodes an unknown level as all zeros and a non-number as missing', () => {
    const x = encoder.encode([{ age: 'old', color: 'purple', income: Number.NaN, flat: 7 }]);
    expect(Array.from(x)).toEqual([0, 0, 0, 0, 0, 1, 0]);
  });

  it('matches a numeric value against string levels', () => {
    const numericLevels: Schema = {
      ...schema,
      features: [{ name: 'grade', type: 'categorical', levels: ['1', '2'], missing: 0 }],
    };
    expect(Array.from(encodeRecords(numericLevels, [{ grade: 2 }]))).toEqual([0, 1]);
  });

  it('encodes many records row by row and rebuilds identically from its spec', () => {
    const records = [
      { age: 30, color: 'blue', income: 9, flat: 7 },
      { age: 60, color: 'red', income: null, flat: 7 },
    ];
    const x = encoder.encode(records);
    expect(x).toHaveLength(2 * encoder.width);
    expect(Array.from(x.subarray(7))).toEqual(Array.from(encoder.encode([records[1]!])));
    const rebuilt = encoderFromSpec(JSON.parse(JSON.stringify(encoder.spec)));
    expect(rebuilt.encode(records)).toEqual(x);
    expect(rebuilt.featureColumns).toEqual(encoder.featureColumns);
  });
});

import * as path from 'node:path';
import { fitSchema } from '../../src/data/fit-schema';
import { readTable } from '../../src/data/read-csv';
import { splitTable } from '../../src/data/split-table';
import type { NumericFeature } from '../../src/data/types';

const table = readTable(path.join(__dirname, '..', '..', 'data', 'german-credit.csv'));

describe('fitSchema', () => {
  const { train } = splitTable(table, { seed: 7 });
  const fitted = fitSchema(table.schema, train.records);

  test('numeric statistics come from the given records only', () => {
    const whole = table.schema.features.find((f) => f.name === 'duration') as NumericFeature;
    const mine = fitted.features.find((f) => f.name === 'duration') as NumericFeature;
    const values = train.records.map((r) => r.duration as number);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    expect(mine.mean).toBeCloseTo(mean, 10);
    expect(mine.std).toBeCloseTo(std, 10);
    expect([mine.min, mine.max]).toEqual([Math.min(...values), Math.max(...values)]);
    expect(mine.mean).not.toBeCloseTo(whole.mean, 6);
    expect(fitted.rows).toBe(train.records.length);
  });

  test('features, types, levels and classes stay those of the whole file', () => {
    expect(fitted.features.map((f) => [f.name, f.type])).toEqual(
      table.schema.features.map((f) => [f.name, f.type]),
    );
    for (const [i, f] of fitted.features.entries()) {
      if (f.type === 'categorical')
        expect(f.levels).toEqual((table.schema.features[i] as typeof f).levels);
    }
    expect(fitted.classes).toEqual(table.schema.classes);
  });

  test('missing values and whole numbers are judged on the records given', () => {
    const records = [
      { ...train.records[0]!, duration: null },
      { ...train.records[1]!, duration: 1.5 },
    ];
    const d = fitSchema(table.schema, records).features.find(
      (f) => f.name === 'duration',
    ) as NumericFeature;
    expect([d.missing, d.integer, d.min, d.max, d.mean]).toEqual([1, false, 1.5, 1.5, 1.5]);
  });
});

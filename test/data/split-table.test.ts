import * as path from 'node:path';
import fc from 'fast-check';
import { readTable } from '../../src/data/read-csv';
import { foldTable, splitTable } from '../../src/data/split-table';
import type { Schema, Table } from '../../src/data/types';
import { catchError } from './catch-error';

const german = readTable(path.join(__dirname, '../../data/german-credit.csv'));

/** A table of `labels` whose records carry their row index, so parts can be traced back. */
function tableOf(labels: number[], classes = 1 + Math.max(0, ...labels)): Table {
  const schema: Schema = {
    format: 'neurules.schema',
    version: 1,
    target: 'class',
    features: [
      { name: 'row', type: 'numeric', min: 0, max: 0, mean: 0, std: 0, integer: true, missing: 0 },
    ],
    classes: Array.from({ length: classes }, (_, i) => `c${i}`),
    rows: labels.length,
  };
  return {
    schema,
    records: labels.map((_, i) => ({ row: i })),
    labels,
    lines: labels.map((_, i) => i + 2),
  };
}

const rowsOf = (t: Table): number[] => t.records.map((r) => r['row'] as number);
const countOf = (labels: number[], c: number): number => labels.filter((l) => l === c).length;

describe('splitTable', () => {
  test('german-credit: default sizes, stratified, file order within each part', () => {
    const { train, validation, test } = splitTable(german, { seed: 1 });
    expect([train.records.length, validation.records.length, test.records.length]).toEqual([
      550, 150, 300,
    ]);
    expect(countOf(test.labels, 0)).toBe(90); // 30% of the 300 'bad'
    expect(countOf(validation.labels, 0)).toBe(45);
    expect(countOf(train.labels, 0)).toBe(165);
    for (const part of [train, validation, test]) {
      expect(part.schema).toBe(german.schema);
      expect([...part.lines].sort((a, b) => a - b)).toEqual(part.lines);
      part.records.forEach((record, i) => {
        expect(german.records[part.lines[i]! - 2]).toBe(record);
      });
    }
  });

  test('deterministic for a seed, different for another seed', () => {
    const a = splitTable(german, { seed: 7 });
    const b = splitTable(german, { seed: 7 });
    const c = splitTable(german, { seed: 8 });
    expect(b.test.lines).toEqual(a.test.lines);
    expect(b.validation.lines).toEqual(a.validation.lines);
    expect(c.test.lines).not.toEqual(a.test.lines);
  });

  test('custom fractions, and zero means an empty part', () => {
    const labels = Array.from({ length: 40 }, (_, i) => i % 2);
    const split = splitTable(tableOf(labels), { testFraction: 0.25, validationFraction: 0 });
    expect(split.test.records).toHaveLength(10);
    expect(split.validation.records).toHaveLength(0);
    expect(split.train.records).toHaveLength(30);
  });

  test('a one-row class stays in train', () => {
    const labels = [...Array(20).fill(0), 1];
    const split = splitTable(tableOf(labels));
    expect(split.train.labels).toContain(1);
  });

  test('TOO_FEW_ROWS for fewer than 10 rows or an empty part', () => {
    const small = catchError(() => splitTable(tableOf([0, 1, 0, 1, 0, 1, 0, 1, 0])));
    expect(small.code).toBe('TOO_FEW_ROWS');
    expect(small.message).toContain('9 row(s)');
    expect(small.message).toContain('at least 10');
    const tiny = catchError(() =>
      splitTable(tableOf(Array.from({ length: 20 }, (_, i) => i % 2)), { testFraction: 0.01 }),
    );
    expect(tiny.code).toBe('TOO_FEW_ROWS');
    expect(tiny.message).toContain('at least 50');
    const singletons = catchError(() =>
      splitTable(tableOf(Array.from({ length: 12 }, (_, i) => i))),
    );
    expect(singletons.code).toBe('TOO_FEW_ROWS');
  });

  test('INVALID_ARGUMENT for bad fractions', () => {
    const table = tableOf(Array.from({ length: 20 }, (_, i) => i % 2));
    for (const options of [
      { testFraction: -0.1 },
      { testFraction: 1 },
      { validationFraction: Number.NaN },
      { testFraction: 0.6, validationFraction: 0.4 },
      { seed: Number.POSITIVE_INFINITY },
    ]) {
      expect(catchError(() => splitTable(table, options)).code).toBe('INVALID_ARGUMENT');
    }
  });

  test('property: disjoint, complete, stratified, rare classes in train', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 10, maxLength: 300 }),
        fc.integer(),
        fc.double({ min: 0.05, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 0.4, noNaN: true }),
        (labels, seed, testFraction, validationFraction) => {
          let split;
          try {
            split = splitTable(tableOf(labels), { seed, testFraction, validationFraction });
          } catch (e) {
            // Only small inputs may be refused, and only as TOO_FEW_ROWS / INVALID_ARGUMENT.
            const code = (e as { code?: string }).code;
            return code === 'INVALID_ARGUMENT'
              ? testFraction + validationFraction >= 1
              : code === 'TOO_FEW_ROWS';
          }
          const all = [split.train, split.validation, split.test].flatMap(rowsOf);
          expect(all.sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
          const testShare = Math.round(labels.length * testFraction) / labels.length;
          for (let c = 0; c <= 4; c++) {
            const n = countOf(labels, c);
            if (n > 0) expect(countOf(split.train.labels, c)).toBeGreaterThan(0);
            // Within two rows of the exact share (one for rounding, one for rare classes).
            expect(Math.abs(countOf(split.test.labels, c) - n * testShare)).toBeLessThan(2);
          }
          const again = splitTable(tableOf(labels), { seed, testFraction, validationFraction });
          expect(rowsOf(again.test)).toEqual(rowsOf(split.test));
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('foldTable', () => {
  it('deals every row to exactly one fold, stratified, with fold sizes one row apart', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2, maxLength: 120 }),
        fc.integer({ min: 2, max: 7 }),
        fc.integer(),
        (labels, k, seed) => {
          const table = tableOf(labels, 3);
          const { folds } = foldTable(table, k, seed);
          const held = folds.flatMap((f) => rowsOf(f.validation)).sort((a, b) => a - b);
          expect(held).toEqual(labels.map((_, i) => i));
          for (const f of folds) {
            // A fold's training rows are exactly the rows it does not hold out, in file order.
            const own = new Set(rowsOf(f.validation));
            expect(rowsOf(f.train)).toEqual(labels.map((_, i) => i).filter((i) => !own.has(i)));
          }
          const sizes = folds.map((f) => f.validation.records.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          // Each class is spread as evenly as the deal allows.
          for (let c = 0; c < 3; c++) {
            const per = folds.map((f) => countOf(f.validation.labels, c));
            expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });

  it('is seeded: the same seed gives the same folds, another seed others', () => {
    const a = foldTable(german, 5, 1).folds.map((f) => f.validation.lines);
    expect(foldTable(german, 5, 1).folds.map((f) => f.validation.lines)).toEqual(a);
    expect(foldTable(german, 5, 2).folds.map((f) => f.validation.lines)).not.toEqual(a);
  });

  it('makes fewer folds when a class has fewer rows than folds, and says why', () => {
    const labels = [...Array<number>(20).fill(0), 1, 1, 1];
    const made = foldTable(tableOf(labels), 5, 3);
    expect(made.folds).toHaveLength(3);
    expect(made.asked).toBe(5);
    expect(made.fewer).toMatch(/3 folds instead of 5: class .* has 3 rows/);
    // Every fold holds one row of the rare class out.
    expect(made.folds.map((f) => countOf(f.validation.labels, 1))).toEqual([1, 1, 1]);
    expect(foldTable(tableOf(labels), 3, 3).fewer).toBeUndefined();
  });

  it('refuses fewer than 2 folds (INVALID_ARGUMENT) and fewer than 2 rows (TOO_FEW_ROWS)', () => {
    expect(catchError(() => foldTable(tableOf([0, 1]), 1, 1))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'folds',
    });
    expect(catchError(() => foldTable(tableOf([0]), 2, 1))).toMatchObject({
      code: 'TOO_FEW_ROWS',
    });
  });
});

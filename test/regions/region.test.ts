import * as path from 'node:path';
import fc from 'fast-check';
import type { NestedCondition, TopLevelCondition } from 'json-rules-engine';
import { readRecords } from '../../src/data/read-records';
import type { DataRecord, NumericFeature, Schema } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { isNeurulesError } from '../../src/errors';
import { loadModelFiles, loadRuleSet } from '../../src/artifacts/model-store';
import {
  intersectRegions,
  regionContains,
  regionOf,
  subtractRegions,
} from '../../src/regions/region';
import { ruleRegions } from '../../src/regions/rule-regions';
import { nearestValue } from '../../src/regions/nearest-value';
import { complementSet, numericPoints, unionSets } from '../../src/regions/value-set';
import { catchError } from '../data/catch-error';
import { GERMAN_CREDIT } from '../helpers/german-credit';

const ROOT = path.join(__dirname, '..', '..');

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'y',
  classes: ['a', 'b'],
  rows: 100,
  features: [
    { name: 'n', type: 'numeric', min: 0, max: 10, mean: 5, std: 2, integer: true, missing: 0 },
    { name: 'x', type: 'numeric', min: -1, max: 1, mean: 0, std: 0.5, integer: false, missing: 0 },
    { name: 'c', type: 'categorical', levels: ['p', 'q', 'r'], missing: 0 },
    { name: 'd', type: 'categorical', levels: ['u', 'v'], missing: 0 },
  ],
};

const numbersN = [0, 1, 2.5, 3, 5, 7, 10];
const numbersX = [-1, -0.5, 0, 0.25, 0.5, 1];

const numericLeaf = (fact: string, values: number[]) =>
  fc.oneof(
    fc.record({
      fact: fc.constant(fact),
      operator: fc.constantFrom(
        'lessThan',
        'lessThanInclusive',
        'greaterThan',
        'greaterThanInclusive',
      ),
      value: fc.constantFrom(...values),
    }),
    fc.record({
      fact: fc.constant(fact),
      operator: fc.constantFrom('equal', 'notEqual'),
      value: fc.constantFrom<number | null>(...values, null),
    }),
    fc.record({
      fact: fc.constant(fact),
      operator: fc.constantFrom('in', 'notIn'),
      value: fc.subarray<number | null>([...values, null]),
    }),
  );
const levelLeaf = (fact: string, levels: string[]) =>
  fc.oneof(
    fc.record({
      fact: fc.constant(fact),
      operator: fc.constantFrom('equal', 'notEqual'),
      value: fc.constantFrom<string | null>(...levels, null),
    }),
    fc.record({
      fact: fc.constant(fact),
      operator: fc.constantFrom('in', 'notIn'),
      value: fc.subarray<string | null>([...levels, null]),
    }),
  );
const leaf = fc.oneof(
  numericLeaf('n', numbersN),
  numericLeaf('x', numbersX),
  levelLeaf('c', ['p', 'q', 'r']),
  levelLeaf('d', ['u', 'v']),
);
const { node: condition } = fc.letrec<{ node: NestedCondition }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 3, depthSize: 'small' },
    leaf as fc.Arbitrary<NestedCondition>,
    fc.record({ all: fc.array(tie('node'), { maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('node'), { maxLength: 3 }) }),
    fc.record({ not: tie('node') }),
  ) as fc.Arbitrary<NestedCondition>,
}));
const top = fc.oneof(
  fc.record({ all: fc.array(condition, { maxLength: 4 }) }),
  fc.record({ any: fc.array(condition, { maxLength: 4 }) }),
) as fc.Arbitrary<TopLevelCondition>;

const record = fc.record({
  n: fc.constantFrom<number | null>(...numbersN, 4, 6, 2, null),
  x: fc.constantFrom<number | null>(...numbersX, 0.1, -0.75, null),
  // A number for a categorical feature: json-rules-engine compares with ===, never a level.
  c: fc.constantFrom<string | number | null>('p', 'q', 'r', 'unseen', 1, null),
  d: fc.constantFrom<string | null>('u', 'v', null),
}) as fc.Arbitrary<DataRecord>;

/** Whether json-rules-engine semantics (the compiled evaluator, differential-tested) match. */
function matches(conditions: TopLevelCondition, r: DataRecord): boolean {
  const compiled = compileRuleSet({
    rules: [{ name: 'r', priority: 1, conditions, event: { type: 'hit' } }],
  });
  return compiled.run(r).events.length > 0;
}

describe('regions', () => {
  test('a condition tree matches exactly the records of its region', () => {
    fc.assert(
      fc.property(top, fc.array(record, { minLength: 1, maxLength: 12 }), (c, records) => {
        const region = regionOf(c, schema);
        for (const r of records) expect(regionContains(region, r, schema)).toBe(matches(c, r));
      }),
      { numRuns: 400 },
    );
  });

  test('intersection and difference of regions are exact', () => {
    fc.assert(
      fc.property(top, top, fc.array(record, { minLength: 1, maxLength: 12 }), (a, b, records) => {
        const ra = regionOf(a, schema);
        const rb = regionOf(b, schema);
        const both = intersectRegions(ra, rb, schema);
        const aNotB = subtractRegions(ra, rb, schema);
        for (const r of records) {
          const inA = matches(a, r);
          const inB = matches(b, r);
          expect(regionContains(both, r, schema)).toBe(inA && inB);
          expect(regionContains(aNotB, r, schema)).toBe(inA && !inB);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('numeric sets: union merges touching intervals, complement flips ends and missing', () => {
    const lt3 = regionOf({ all: [{ fact: 'n', operator: 'lessThan', value: 3 }] }, schema)[0]!.n!;
    const ge3 = complementSet(lt3);
    expect(ge3).toEqual({
      kind: 'numeric',
      intervals: [{ lo: 3, loClosed: true, hi: Infinity, hiClosed: false }],
      missing: true,
    });
    expect(unionSets(lt3, numericPoints([3]))).toEqual({
      kind: 'numeric',
      intervals: [{ lo: -Infinity, loClosed: false, hi: 3, hiClosed: true }],
      missing: false,
    });
  });

  test('overlapping rules of one priority group are refused: json-rules-engine order decides them', () => {
    const event = (id: string, cls: string) => ({
      type: 'neurules.decision' as const,
      params: {
        ruleId: id,
        class: cls,
        probabilities: {},
        support: 0,
        source: 'distilled' as const,
      },
    });
    const rules = (a: number, b: number) => ({
      format: 'neurules.rules' as const,
      version: 1 as const,
      model: 'm',
      target: 'y',
      classes: ['a', 'b'],
      rules: [
        {
          name: 'A',
          priority: a,
          conditions: { all: [{ fact: 'n', operator: 'greaterThan', value: 5 }] },
          event: event('A', 'b'),
        },
        {
          name: 'B',
          priority: b,
          conditions: { all: [{ fact: 'n', operator: 'greaterThan', value: 3 }] },
          event: event('B', 'a'),
        },
        { name: 'C', priority: 1, conditions: { all: [] }, event: event('C', 'b') },
      ],
    });
    // 2.5 and 2 are one group for json-rules-engine (parseInt).
    const e = catchError(() => ruleRegions(rules(2.5, 2), schema));
    expect(isNeurulesError(e) && [e.code, e.field]).toEqual(['OVERLAPPING_RULES', 'B']);
    expect(ruleRegions(rules(3, 2), schema).map((r) => r.rule.name)).toEqual(['A', 'B', 'C']);
  });

  test.each([
    ['a custom operator', { fact: 'n', operator: 'contains', value: 1 }, 'UNSUPPORTED_OPERATOR'],
    ['a fact that is no feature', { fact: 'nn', operator: 'equal', value: 1 }, 'UNKNOWN_FACT'],
    ['a non-number bound', { fact: 'n', operator: 'lessThan', value: '3' }, 'UNSUPPORTED_VALUE'],
    [
      'fact params',
      { fact: 'n', operator: 'equal', value: 1, params: {} },
      'UNSUPPORTED_FACT_PARAMS',
    ],
    [
      'a fact path',
      { fact: 'n', operator: 'equal', value: 1, path: '$.a' },
      'UNSUPPORTED_FACT_PATH',
    ],
    ['a condition reference', { condition: 'shared' }, 'UNSUPPORTED_CONDITION_REFERENCE'],
  ])('%s is refused with its own code', (_what, condition, code) => {
    const e = catchError(() => regionOf({ all: [condition as never] }, schema, "rule 'R9'"));
    expect(isNeurulesError(e) && e.code).toBe(code);
  });

  test('the German credit rules with overrides: decides-regions pick the deciding rule of every record', () => {
    const loc = GERMAN_CREDIT;
    const { schema: german } = loadModelFiles(loc);
    const distilled = loadRuleSet(loc);
    const ruleSet = {
      ...distilled,
      rules: [
        {
          name: 'O1',
          priority: 3,
          conditions: {
            all: [
              { fact: 'age', operator: 'lessThan', value: 25 },
              { fact: 'purpose', operator: 'in', value: ['new car', 'education'] },
            ],
          },
          event: {
            type: 'neurules.decision' as const,
            params: {
              ruleId: 'O1',
              class: 'bad',
              probabilities: {},
              support: 0,
              source: 'override' as const,
            },
          },
        },
        {
          name: 'O2',
          priority: 2,
          conditions: {
            any: [
              { fact: 'credit_amount', operator: 'greaterThan', value: 10000 },
              { not: { fact: 'housing', operator: 'equal', value: 'own' } },
            ],
          },
          event: {
            type: 'neurules.decision' as const,
            params: {
              ruleId: 'O2',
              class: 'good',
              probabilities: {},
              support: 0,
              source: 'override' as const,
            },
          },
        },
        ...distilled.rules,
      ],
    };
    const compiled = compileRuleSet(ruleSet);
    const regions = ruleRegions(ruleSet, german);
    const { records } = readRecords(path.join(ROOT, 'data', 'german-credit.csv'), german);
    for (const r of records.slice(0, 400)) {
      const deciding = regions.filter((x) => regionContains(x.decides, r, german));
      expect(deciding.map((x) => x.rule.name)).toEqual([compiled.decide(r).ruleId]);
    }
  });
});

describe('nearestValue', () => {
  const n = schema.features[0] as NumericFeature;
  const x = schema.features[1]!;
  const c = schema.features[2]!;
  const set = (cond: TopLevelCondition, name: string) => regionOf(cond, schema)[0]![name]!;

  test('whole-number features move to whole numbers past an open bound', () => {
    const gt2 = set({ all: [{ fact: 'n', operator: 'greaterThan', value: 2.5 }] }, 'n');
    expect(nearestValue(n, gt2, 1)).toEqual({ value: 3, cost: 1 });
  });

  test('real features move to a round number just past an open bound', () => {
    const gt = set({ all: [{ fact: 'x', operator: 'greaterThan', value: 0.25 }] }, 'x');
    const move = nearestValue(x, gt, 0)!;
    expect(move.value).toBeGreaterThan(0.25);
    expect(move.value).toBeLessThanOrEqual(0.255);
  });

  test('moves stay inside the training range, and immutable or monotone marks are honoured', () => {
    const gt20 = set({ all: [{ fact: 'n', operator: 'greaterThan', value: 20 }] }, 'n');
    expect(nearestValue(n, gt20, 1)).toBeNull();
    const lt3 = set({ all: [{ fact: 'n', operator: 'lessThan', value: 3 }] }, 'n');
    expect(nearestValue({ ...n, monotone: 'increasing' }, lt3, 5)).toBeNull();
    expect(nearestValue({ ...n, monotone: 'decreasing' }, lt3, 5)).toEqual({ value: 2, cost: 1.5 });
    expect(nearestValue({ ...n, immutable: true }, lt3, 5)).toBeNull();
    expect(nearestValue({ ...n, immutable: true }, lt3, 5, { actionable: false })?.value).toBe(2);
    const qr = set({ all: [{ fact: 'c', operator: 'in', value: ['q', 'r'] }] }, 'c');
    expect(nearestValue(c, qr, 'p')).toEqual({ value: 'q', cost: 1 });
  });
});

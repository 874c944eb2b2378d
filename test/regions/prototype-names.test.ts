/**
 * Features named like Object.prototype's properties (`constructor`, `toString`,
 * `hasOwnProperty`, `valueOf`, `__proto__`) are features like any other: a box looks only
 * at its own properties, so the region algebra, the descriptions, the changed regions and
 * the counterfactuals built on it answer as for any other name.
 */
import type { DataRecord, Schema } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { explainDecision } from '../../src/engine/explain-decision';
import { changedRegions } from '../../src/regions/changed-regions';
import { coverRegions } from '../../src/regions/cover-regions';
import { decisiveFields } from '../../src/regions/decisive-fields';
import { describeBox } from '../../src/regions/describe-region';
import { ExampleMaker } from '../../src/regions/example-record';
import {
  type Box,
  EVERYTHING,
  intersectRegions,
  regionContains,
  regionOf,
  subtractRegions,
} from '../../src/regions/region';
import { ruleRegions } from '../../src/regions/rule-regions';
import { numericComparison } from '../../src/regions/value-set';
import type { RuleSet } from '../../src/rules/types';
import { handOverride, handRule as rule, handRuleSet } from '../helpers/hand-made-rules';

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'y',
  classes: ['a', 'b', 'c'],
  rows: 100,
  features: [
    {
      name: 'constructor',
      type: 'numeric',
      min: 0,
      max: 40,
      mean: 20,
      std: 8,
      integer: true,
      missing: 0,
    },
    { name: 'toString', type: 'categorical', levels: ['p', 'q', 'r'], missing: 0 },
    {
      name: '__proto__',
      type: 'numeric',
      min: -1,
      max: 1,
      mean: 0,
      std: 0.5,
      integer: false,
      missing: 0,
    },
    { name: 'hasOwnProperty', type: 'categorical', levels: ['u', 'v'], missing: 0 },
    {
      name: 'valueOf',
      type: 'numeric',
      min: 0,
      max: 9,
      mean: 4,
      std: 2,
      integer: true,
      missing: 0,
    },
  ],
};

const low = {
  any: [
    { fact: 'constructor', operator: 'lessThanInclusive', value: 20 },
    { fact: 'constructor', operator: 'equal', value: null },
  ],
};
const distilled = [
  rule('L1', 'a', { all: [low, { fact: 'toString', operator: 'in', value: ['p'] }] }),
  rule('L2', 'b', { all: [low, { fact: 'toString', operator: 'notIn', value: ['p'] }] }),
  rule('L3', 'c', { all: [{ fact: 'constructor', operator: 'greaterThan', value: 20 }] }),
];
const before: RuleSet = handRuleSet(distilled, ['a', 'b', 'c']);
const after: RuleSet = handRuleSet(
  [
    handOverride('neg', 'b', { all: [{ fact: '__proto__', operator: 'lessThan', value: 0 }] }, 4),
    handOverride(
      'own',
      'c',
      { all: [{ fact: 'hasOwnProperty', operator: 'equal', value: 'v' }] },
      3,
    ),
    handOverride('val', 'a', { all: [{ fact: 'valueOf', operator: 'greaterThan', value: 5 }] }, 2),
    ...distilled,
  ],
  ['a', 'b', 'c'],
);

const records: DataRecord[] = [];
for (const c of [null, 3, 20, 21, 35])
  for (const t of ['p', 'q', 'unseen', null])
    for (const p of [null, -0.5, 0.5])
      for (const h of ['u', 'v', null])
        for (const v of [null, 1, 7]) {
          const r: DataRecord = {};
          for (const [k, x] of [
            ['constructor', c],
            ['toString', t],
            ['__proto__', p],
            ['hasOwnProperty', h],
            ['valueOf', v],
          ] as const)
            Object.defineProperty(r, k, {
              value: x,
              enumerable: true,
              writable: true,
              configurable: true,
            });
          records.push(r);
        }

const decide = (rs: RuleSet) => {
  const compiled = compileRuleSet(rs);
  return (r: DataRecord) => compiled.decide(r);
};

describe('features named like Object.prototype properties', () => {
  it('regionOf, intersect and subtract answer as for any name', () => {
    const above5 = regionOf(
      { all: [{ fact: 'constructor', operator: 'greaterThan', value: 5 }] },
      schema,
    );
    const below3 = regionOf(
      { all: [{ fact: 'constructor', operator: 'lessThan', value: 3 }] },
      schema,
    );
    const above10 = regionOf(
      { all: [{ fact: 'constructor', operator: 'greaterThan', value: 10 }] },
      schema,
    );
    const p = regionOf({ all: [{ fact: 'toString', operator: 'equal', value: 'p' }] }, schema);
    const neg = regionOf({ all: [{ fact: '__proto__', operator: 'lessThan', value: 0 }] }, schema);
    expect(intersectRegions(above5, below3, schema)).toEqual([]);
    expect(intersectRegions(EVERYTHING, above5, schema)).toEqual(above5);
    expect(intersectRegions(above5, EVERYTHING, schema)).toEqual(above5);
    expect(subtractRegions(p, p, schema)).toEqual([]);
    const between = subtractRegions(above5, above10, schema);
    const at = (k: string, v: unknown) =>
      Object.defineProperty({}, k, { value: v, enumerable: true });
    expect(regionContains(between, at('constructor', 7), schema)).toBe(true);
    expect(regionContains(between, at('constructor', 11), schema)).toBe(false);
    // A box on `__proto__` keeps it as an own property (never as its prototype).
    const both = intersectRegions(neg, above5, schema);
    expect(both).toHaveLength(1);
    expect(Object.keys(both[0]!).sort()).toEqual(['__proto__', 'constructor']);
    expect(
      regionContains(both, { ...at('__proto__', -0.5), ...at('constructor', 7) }, schema),
    ).toBe(true);
    expect(regionContains(both, { ...at('__proto__', 0.5), ...at('constructor', 7) }, schema)).toBe(
      false,
    );
    expect(subtractRegions(both, neg, schema)).toEqual([]);
  });

  it('ruleRegions decide each record as the rules do', () => {
    for (const rs of [before, after]) {
      const regions = ruleRegions(rs, schema);
      const run = decide(rs);
      for (const r of records) {
        const deciding = regions.filter((x) => regionContains(x.decides, r, schema));
        expect(deciding.map((x) => x.rule.name)).toEqual([run(r).ruleId]);
      }
    }
  });

  it('coverRegions finds no gap or overlap in a partition, and the gap a missing leaf leaves', () => {
    const regions = distilled.map((r) => regionOf(r.conditions, schema));
    expect(coverRegions(regions, schema)).toEqual({ uncovered: [], overlapping: [] });
    const { uncovered, overlapping } = coverRegions(regions.slice(1), schema);
    expect(overlapping).toEqual([]);
    expect(uncovered.length).toBeGreaterThan(0);
    for (const r of records) {
      const inL1 = regionContains(regions[0]!, r, schema);
      expect(regionContains(uncovered, r, schema)).toBe(inL1);
    }
  });

  it('describeBox and example records look at own properties only', () => {
    expect(describeBox({}, schema)).toBe('any record');
    const box: Box = { constructor: numericComparison('greaterThan', 20) };
    expect(describeBox(box, schema)).toBe('constructor > 20');
    const example = new ExampleMaker(schema).of(box)!;
    expect(Object.keys(example)).toEqual(schema.features.map((f) => f.name));
    expect(example.constructor).toBe(21);
    expect(typeof example['__proto__']).toBe('number');
  });

  it('decisiveFields names the unknown features the decision depends on', () => {
    const regions = ruleRegions(after, schema);
    const r = records.find(
      (x) => x['__proto__'] === 0.5 && x['hasOwnProperty'] === 'u' && x['valueOf'] === 1,
    )!;
    expect(decisiveFields(regions, schema, r, ['constructor', 'toString'])).toEqual([
      'constructor',
      'toString',
    ]);
    expect(decisiveFields(regions, schema, r, ['__proto__'])).toEqual(['__proto__']);
    const neg = records.find((x) => x['__proto__'] === -0.5)!;
    expect(decisiveFields(regions, schema, neg, ['constructor', 'valueOf'])).toEqual([]);
  });

  it('changedRegions gives the records the two rule sets decide differently', () => {
    const { regions, complete } = changedRegions(before, after, schema, { examples: true });
    expect(complete).toBe(true);
    expect(regions.length).toBeGreaterThan(0);
    const [b, a] = [decide(before), decide(after)];
    for (const r of regions)
      expect([b(r.example!).class, a(r.example!).class]).toEqual([r.from, r.to]);
    for (const r of records) {
      const differ = b(r).class !== a(r).class;
      expect(regions.some((x) => regionContains([x.box], r, schema))).toBe(differ);
    }
  });

  it('explainDecision with the schema gives verified counterfactuals and reasons', async () => {
    const engine = compileRuleSet(after);
    for (const r of records.filter((_, i) => i % 17 === 0)) {
      const e = await explainDecision(engine, r, undefined, { schema });
      expect(e.counterfactuals!.length).toBeGreaterThan(0);
      for (const c of e.counterfactuals!) {
        const changed: DataRecord = { ...r };
        for (const x of c.changes)
          Object.defineProperty(changed, x.feature, {
            value: x.to,
            enumerable: true,
            writable: true,
          });
        expect(engine.decide(changed).class).toBe(c.class);
        expect(c.class).not.toBe(e.decision.class);
      }
      expect(e.reasons).toBeDefined();
    }
  });
});

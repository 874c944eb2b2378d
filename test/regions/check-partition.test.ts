import fc from 'fast-check';
import { loadModel } from '../../src/artifacts/model-store';
import { GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';
import type { NestedCondition, TopLevelCondition } from 'json-rules-engine';
import type { DataRecord, Schema } from '../../src/data/types';
import type { SplitTest, Tree, TreeNode } from '../../src/distill/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import {
  checkPartition,
  partitionIssues,
  UNSEEN_LEVEL,
  type PartitionCheck,
} from '../../src/regions/check-partition';
import { coverRegions } from '../../src/regions/cover-regions';
import {
  intersectRegions,
  type Region,
  regionContains,
  regionOf,
  subtractRegions,
} from '../../src/regions/region';
import { compileTree } from '../../src/rules/compile-tree';
import type { NeurulesRule, RuleSet } from '../../src/rules/types';
import { verifyRuleSet } from '../../src/rules/verify-rules';

const { ruleSet: committed, schema: gcSchema } = loadModel(GERMAN_CREDIT_FROZEN);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
/** A deep copy to mutate. */
const copy = (): Loose => structuredClone(committed);

/** The names of the rules that fire for a record (json-rules-engine's semantics). */
function firing(ruleSet: RuleSet | { rules: NeurulesRule[] }, record: DataRecord): string[] {
  return compileRuleSet(ruleSet)
    .run(record)
    .events.map((e) => String((e.params as { ruleId: string }).ruleId))
    .sort();
}

/** Whether two regions hold the same records. */
function sameRecords(a: Region, b: Region, schema: Schema): boolean {
  return !subtractRegions(a, b, schema).length && !subtractRegions(b, a, schema).length;
}

const none: PartitionCheck = { gaps: [], overlaps: [], moreGaps: 0, moreOverlaps: 0 };

describe('checkPartition on the German credit rules', () => {
  it('finds no gap and no overlap in the committed rules', () => {
    expect(checkPartition(committed, gcSchema)).toEqual(none);
    expect(partitionIssues(checkPartition(committed, gcSchema))).toEqual([]);
  });

  it('a threshold moved on every rule that uses it keeps a partition', () => {
    const rs = copy();
    rs.rules[2].conditions.all[2].value = 45; // R03: duration <= 40 -> <= 45
    rs.rules[3].conditions.all[2].value = 45; // R04: duration <= 40 -> <= 45
    rs.rules[4].conditions.all[1].value = 45; // R05: duration > 40 -> > 45
    expect(verifyRuleSet(rs, gcSchema)).toEqual([]);
    expect(checkPartition(rs, gcSchema)).toEqual(none);
  });

  it('a threshold moved on one rule only opens a gap, with a record no rule matches', () => {
    const rs = copy();
    rs.rules[4].conditions.all[1].value = 45; // R05: duration > 40 -> > 45
    const { gaps, overlaps } = checkPartition(rs, gcSchema);
    expect(overlaps).toEqual([]);
    expect(gaps).toHaveLength(1);
    const { example, rules } = gaps[0]!;
    expect(rules).toEqual([]);
    expect(example['duration']).toBeGreaterThan(40);
    expect(example['duration']).toBeLessThanOrEqual(45);
    expect(firing(rs, example)).toEqual([]);
    expect(firing(committed, example)).toEqual(['R05']);
    const issues = partitionIssues(checkPartition(rs, gcSchema), 'distilled.rules.json');
    expect(issues.map((i) => [i.code, i.field, i.file])).toEqual([
      ['RULES_GAP', 'rules', 'distilled.rules.json'],
    ]);
  });

  it('a threshold moved the other way makes overlaps, with a record both rules match', () => {
    const rs = copy();
    rs.rules[4].conditions.all[1].value = 35; // R05: duration > 40 -> > 35
    const { gaps, overlaps } = checkPartition(rs, gcSchema);
    expect(gaps).toEqual([]);
    // R03 and R04 (duration in (23, 40], by purpose) both meet R05 on (35, 40].
    expect(overlaps.map((o) => [o.rules, o.indices])).toEqual([
      [
        ['R03', 'R05'],
        [2, 4],
      ],
      [
        ['R04', 'R05'],
        [3, 4],
      ],
    ]);
    for (const o of overlaps) {
      expect(o.example['duration']).toBeGreaterThan(35);
      expect(o.example['duration']).toBeLessThanOrEqual(40);
      expect(firing(rs, o.example)).toEqual(o.rules);
    }
    expect(partitionIssues(checkPartition(rs, gcSchema)).map((i) => [i.code, i.field])).toEqual([
      ['RULES_OVERLAP', "rules[4] (rule 'R05')"],
      ['RULES_OVERLAP', "rules[4] (rule 'R05')"],
    ]);
  });

  it('a deleted rule leaves exactly its records uncovered', () => {
    for (let k = 0; k < committed.rules.length; k++) {
      const rs = copy();
      rs.rules.splice(k, 1);
      const { gaps, overlaps } = checkPartition(rs, gcSchema);
      expect(overlaps).toEqual([]);
      const removed = committed.rules[k]!;
      expect(
        sameRecords(
          gaps.flatMap((g) => g.region),
          regionOf(removed.conditions, gcSchema),
          gcSchema,
        ),
      ).toBe(true);
      for (const g of gaps) {
        expect(firing(rs, g.example)).toEqual([]);
        expect(firing(committed, g.example)).toEqual([removed.name]);
      }
    }
  });

  it('a duplicated rule overlaps its original', () => {
    const rs = copy();
    rs.rules.push(structuredClone(rs.rules[2]));
    const { gaps, overlaps } = checkPartition(rs, gcSchema);
    expect(gaps).toEqual([]);
    expect(overlaps.map((o) => [o.rules, o.indices])).toEqual([
      [
        ['R03', 'R03'],
        [2, 8],
      ],
    ]);
    expect(firing(rs, overlaps[0]!.example)).toEqual(['R03', 'R03']);
    expect(partitionIssues(checkPartition(rs, gcSchema)).map((i) => [i.code, i.field])).toEqual([
      ['RULES_OVERLAP', "rules[8] (rule 'R03')"],
    ]);
  });

  it('finds gaps of missing values and of unseen levels, with null and an unseen level', () => {
    const rs = copy();
    // R01 no longer takes a missing duration; R08 only the levels it knows.
    rs.rules[0].conditions.all[1] = { fact: 'duration', operator: 'lessThanInclusive', value: 23 };
    rs.rules[7].conditions.all[0] = {
      fact: 'checking_status',
      operator: 'in',
      value: ['no checking', '>=200'],
    };
    const { gaps, overlaps } = checkPartition(rs, gcSchema);
    expect(overlaps).toEqual([]);
    expect(gaps).toHaveLength(2);
    const missing = gaps.find((g) => g.example['duration'] === null)!;
    const unseen = gaps.find((g) => g.example['checking_status'] === UNSEEN_LEVEL)!;
    expect(firing(committed, missing.example)).toEqual(['R01']);
    expect(firing(committed, unseen.example)).toEqual(['R08']);
    for (const g of gaps) {
      expect(firing(rs, g.example)).toEqual([]);
      // Every feature is set: the example runs through the rules as it is.
      expect(Object.keys(g.example)).toEqual(gcSchema.features.map((f) => f.name));
    }
  });

  it('lists at most `limit` findings of each kind and counts the rest', () => {
    const rs = copy();
    rs.rules.push(...structuredClone(rs.rules.slice(0, 3)));
    const check = checkPartition(rs, gcSchema, { limit: 2 });
    expect(check.overlaps.map((o) => o.rules)).toEqual([
      ['R01', 'R01'],
      ['R02', 'R02'],
    ]);
    expect(check.moreOverlaps).toBe(1);
    expect(partitionIssues(check)).toHaveLength(2);
    const gappy = copy();
    gappy.rules = gappy.rules.filter((_: unknown, i: number) => i % 2 === 0);
    const gaps = checkPartition(gappy, gcSchema, { limit: 1 });
    expect(gaps.gaps).toHaveLength(1);
    expect(gaps.moreGaps).toBeGreaterThan(0);
  });

  it('leaves override rules out', () => {
    const rs = copy();
    const override = structuredClone(rs.rules[0]);
    override.name = override.event.params.ruleId = 'policy';
    override.priority = 10;
    override.event.params.source = 'override';
    rs.rules.unshift(override);
    expect(checkPartition(rs, gcSchema)).toEqual(none);
  });
});

// Random trees over a small schema: numeric and categorical splits, missing values sent
// either way, repeated features on a path, empty and full level sets.
const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'y',
  classes: ['a', 'b'],
  rows: 100,
  features: [
    { name: 'n', type: 'numeric', min: 0, max: 10, mean: 5, std: 2, integer: true, missing: 0 },
    { name: 'x', type: 'numeric', min: -1, max: 1, mean: 0, std: 0.5, integer: false, missing: 4 },
    { name: 'c', type: 'categorical', levels: ['p', 'q', 'r', 's'], missing: 3 },
    { name: 'd', type: 'categorical', levels: ['u', 'v'], missing: 0 },
  ],
};

type Shape = null | { test: SplitTest; left: Shape; right: Shape };

const side = fc.constantFrom<'left' | 'right'>('left', 'right');
const splitTest: fc.Arbitrary<SplitTest> = fc.oneof(
  fc.record({
    type: fc.constant('numeric' as const),
    feature: fc.constant('n'),
    threshold: fc.constantFrom(0, 2, 3, 5, 7.5, 10),
    missing: side,
  }),
  fc.record({
    type: fc.constant('numeric' as const),
    feature: fc.constant('x'),
    threshold: fc.constantFrom(-0.5, 0, 0.25, 0.5),
    missing: side,
  }),
  fc.record({
    type: fc.constant('categorical' as const),
    feature: fc.constant('c'),
    left: fc.subarray(['p', 'q', 'r', 's']),
    missing: side,
  }),
  fc.record({
    type: fc.constant('categorical' as const),
    feature: fc.constant('d'),
    left: fc.subarray(['u', 'v']),
    missing: side,
  }),
);
const { shape } = fc.letrec<{ shape: Shape }>((tie) => ({
  shape: fc.oneof(
    { maxDepth: 4, depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.record({ test: splitTest, left: tie('shape'), right: tie('shape') }),
  ),
}));

function toTree(root: Shape): Tree {
  const nodes: TreeNode[] = [];
  const add = (s: Shape, depth: number): number => {
    const id = nodes.length;
    const p = ((id * 37) % 10) / 10;
    const node: TreeNode = { id, depth, count: 1, weight: 1, distribution: [p, 1 - p] };
    nodes.push(node);
    if (s) {
      node.test = s.test;
      node.left = add(s.left, depth + 1);
      node.right = add(s.right, depth + 1);
    }
    return id;
  };
  add(root, 0);
  return { format: 'neurules.tree', version: 1, classes: ['a', 'b'], nodes };
}

/** A distilled rule with these conditions. */
const rule = (name: string, conditions: TopLevelCondition): NeurulesRule => ({
  name,
  priority: 1,
  conditions,
  event: {
    type: 'neurules.decision',
    params: { ruleId: name, class: 'a', probabilities: {}, support: 0, source: 'distilled' },
  },
});

describe('checkPartition on hand-made rules', () => {
  it('leaves out gaps and overlaps no number falls in (between adjacent doubles)', () => {
    const next = 1 + Number.EPSILON; // the double after 1
    const rules = [
      rule('A', { all: [{ fact: 'x', operator: 'lessThan', value: next }] }),
      rule('B', { all: [{ fact: 'x', operator: 'greaterThan', value: 1 }] }),
      rule('C', { all: [{ fact: 'x', operator: 'equal', value: null }] }),
    ];
    // A and B meet on (1, next), which holds no double: no overlap.
    expect(checkPartition(rules, schema)).toEqual(none);
    // A gap on (1, next) holds no record either.
    rules[1] = rule('B', { all: [{ fact: 'x', operator: 'greaterThanInclusive', value: next }] });
    rules[0] = rule('A', { all: [{ fact: 'x', operator: 'lessThanInclusive', value: 1 }] });
    expect(checkPartition(rules, schema)).toEqual(none);
    // A real gap: [1, next) holds 1.
    rules[0] = rule('A', { all: [{ fact: 'x', operator: 'lessThan', value: 1 }] });
    const { gaps } = checkPartition(rules, schema);
    expect(gaps.map((g) => g.example['x'])).toEqual([1]);
  });
});

describe('checkPartition on rules compiled from random trees', () => {
  it('finds no gap and no overlap; without any one rule, exactly its records are a gap', () => {
    fc.assert(
      fc.property(shape, (s) => {
        const ruleSet = compileTree(toTree(s), schema, 'm');
        expect(verifyRuleSet(ruleSet, schema)).toEqual([]);
        expect(checkPartition(ruleSet, schema)).toEqual(none);
        ruleSet.rules.forEach((removed, k) => {
          const rest = { ...ruleSet, rules: ruleSet.rules.filter((_, i) => i !== k) };
          const check = checkPartition(rest, schema, { limit: Infinity });
          expect(check.overlaps).toEqual([]);
          const gap = check.gaps.flatMap((g) => g.region);
          expect(sameRecords(gap, regionOf(removed.conditions, schema), schema)).toBe(true);
          for (const g of check.gaps) {
            expect(firing(rest, g.example)).toEqual([]);
            expect(firing(ruleSet, g.example)).toEqual([removed.name]);
          }
        });
      }),
      { numRuns: 60 },
    );
  });
});

// coverRegions against the region algebra it replaces, on arbitrary condition trees.
const numbersN = [0, 2, 3, 5, 10];
const numbersX = [-0.5, 0, 0.5];
const comparison = (fact: string, values: number[]) =>
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
    fc
      .record({
        fact: fc.constant(fact),
        operator: fc.constantFrom('equal', 'notEqual', 'in', 'notIn'),
        value: fc.oneof(
          fc.constantFrom<number | null>(...values, null),
          fc.subarray<number | null>([...values, null]),
        ),
      })
      .filter((c) => Array.isArray(c.value) === (c.operator === 'in' || c.operator === 'notIn')),
  );
const levelComparison = (fact: string, levels: string[]) =>
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
const { condition } = fc.letrec<{ condition: NestedCondition }>((tie) => ({
  condition: fc.oneof(
    { maxDepth: 2, depthSize: 'small' },
    fc.oneof(
      comparison('n', numbersN),
      comparison('x', numbersX),
      levelComparison('c', ['p', 'q', 'r', 's']),
      levelComparison('d', ['u', 'v']),
    ) as fc.Arbitrary<NestedCondition>,
    fc.record({ all: fc.array(tie('condition'), { maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('condition'), { maxLength: 3 }) }),
    fc.record({ not: tie('condition') }),
  ) as fc.Arbitrary<NestedCondition>,
}));
const region = fc
  .array(condition, { maxLength: 3 })
  .map((all) => regionOf({ all } as TopLevelCondition, schema));
const record = fc.record({
  n: fc.constantFrom<number | null>(...numbersN, 1, 4, 2.5, 11, -1, null),
  x: fc.constantFrom<number | null>(...numbersX, 0.1, -0.75, 1, null),
  c: fc.constantFrom<string | null>('p', 'q', 'r', 's', 'unseen', null),
  d: fc.constantFrom<string | null>('u', 'v', 'w', null),
}) as fc.Arbitrary<DataRecord>;

describe('coverRegions', () => {
  it('finds exactly the records in no region and exactly the pairs of regions that meet', () => {
    fc.assert(
      fc.property(
        fc.array(region, { maxLength: 5 }),
        fc.array(record, { minLength: 1, maxLength: 15 }),
        (regions, records) => {
          const { uncovered, overlapping } = coverRegions(regions, schema);
          const expected: [number, number][] = [];
          for (let i = 0; i < regions.length; i++) {
            for (let j = i + 1; j < regions.length; j++) {
              if (intersectRegions(regions[i]!, regions[j]!, schema).length) expected.push([i, j]);
            }
          }
          expect(overlapping).toEqual(expected);
          for (const r of records) {
            const inSome = regions.some((g) => regionContains(g, r, schema));
            expect(regionContains(uncovered, r, schema)).toBe(!inSome);
          }
          // The uncovered boxes are disjoint from every region, exactly.
          for (const g of regions) expect(intersectRegions(uncovered, g, schema)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * The regions two rule sets decide differently are exact: every region's example is decided
 * as its flow says by both rule sets (compiled), and (property) a record lies in a changed
 * region exactly when the two rule sets decide it differently — complete records, missing
 * values, levels never seen in training — for rule sets made of a fixed distilled partition
 * under random overrides.
 */
import fc from 'fast-check';
import type { TopLevelCondition } from 'json-rules-engine';
import type { DataRecord, Schema } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { changedRegions, comparableSchema } from '../../src/regions/changed-regions';
import { boxContains } from '../../src/regions/region';
import type { NeurulesRule, RuleSet } from '../../src/rules/types';
import { handOverride, handRuleSet } from '../helpers/hand-made-rules';
import { partitionRules, partitionSchema } from '../helpers/partition-model';

const schema: Schema = partitionSchema;

const ruleSet = (rules: NeurulesRule[]): RuleSet => handRuleSet(rules, ['a', 'b', 'c']);

/** A tree's leaves: a partition of every record (missing n goes left, as a tree sends it). */
const distilled = partitionRules;

const before = ruleSet(distilled);
const after = ruleSet([
  handOverride('young', 'b', { all: [{ fact: 'n', operator: 'lessThan', value: 5 }] }, 3),
  handOverride(
    'keep-q',
    'a',
    {
      all: [
        { fact: 'k', operator: 'equal', value: 'q' },
        { fact: 'x', operator: 'greaterThan', value: 0.5 },
      ],
    },
    2,
  ),
  ...distilled,
]);

const decide = (rs: RuleSet) => {
  const compiled = compileRuleSet(rs);
  return (r: DataRecord) => compiled.decide(r).class;
};

describe('changedRegions', () => {
  it('gives regions whose example both rule sets decide as the flow says', () => {
    const { regions, complete } = changedRegions(before, after, schema, {
      merge: true,
      examples: true,
    });
    expect(complete).toBe(true);
    expect(regions.length).toBeGreaterThan(0);
    const [b, a] = [decide(before), decide(after)];
    for (const r of regions) {
      expect(r.from).not.toBe(r.to);
      expect([b(r.example!), a(r.example!)]).toEqual([r.from, r.to]);
      expect(boxContains(r.box, r.example!, schema)).toBe(true);
    }
    // young (n < 5) takes records of L1 (a → b); keep-q takes q-records with x > 0.5 of
    // L2 (b → a) and of L3 (c → a), but not those under 5, which young decides first.
    expect(new Set(regions.map((r) => `${r.rules.before} → ${r.rules.after}`))).toEqual(
      new Set(['L1 → young', 'L2 → keep-q', 'L3 → keep-q']),
    );
  });

  it('finds nothing between a rule set and itself, and stops at a limit', () => {
    expect(changedRegions(after, after, schema)).toEqual({ regions: [], complete: true });
    const limited = changedRegions(before, after, schema, { limit: 1 });
    expect(limited.regions).toHaveLength(1);
    expect(limited.complete).toBe(false);
  });

  const value = {
    n: fc.oneof(fc.integer({ min: -5, max: 45 }), fc.constant(null)),
    x: fc.oneof(fc.double({ min: -2, max: 2, noNaN: true }), fc.constant(0.5), fc.constant(null)),
    k: fc.constantFrom('p', 'q', 'r', 'unseen', null),
  };
  const record = fc.record(value);
  const comparison = fc.oneof(
    fc.record({
      fact: fc.constantFrom('n'),
      operator: fc.constantFrom(
        'lessThan',
        'lessThanInclusive',
        'greaterThan',
        'greaterThanInclusive',
        'equal',
        'notEqual',
      ),
      value: fc.integer({ min: 0, max: 40 }),
    }),
    fc.record({
      fact: fc.constantFrom('x'),
      operator: fc.constantFrom('lessThan', 'greaterThanInclusive'),
      value: fc.constantFrom(-0.5, 0, 0.5),
    }),
    fc.record({
      fact: fc.constantFrom('k'),
      operator: fc.constantFrom('in', 'notIn'),
      value: fc.subarray(['p', 'q', 'r']),
    }),
  );
  const overrides = (prefix: string) =>
    fc
      .array(
        fc.record({
          cls: fc.constantFrom('a', 'b', 'c'),
          when: fc.array(comparison, { minLength: 1, maxLength: 3 }),
          any: fc.boolean(),
        }),
        { maxLength: 4 },
      )
      .map((list) =>
        list.map((o, i) =>
          handOverride(
            `${prefix}${i}`,
            o.cls,
            (o.any ? { any: o.when } : { all: o.when }) as TopLevelCondition,
            10 + list.length - i,
          ),
        ),
      );

  it('holds a record exactly when the two rule sets decide it differently (property)', () => {
    fc.assert(
      fc.property(
        overrides('o'),
        overrides('p'),
        fc.array(record, { minLength: 1, maxLength: 30 }),
        (first, second, records) => {
          const b = ruleSet([...first, ...distilled]);
          const a = ruleSet([...second, ...distilled]);
          const { regions } = changedRegions(b, a, schema, { merge: true, examples: true });
          const [db, da] = [decide(b), decide(a)];
          for (const r of records) {
            const [from, to] = [db(r), da(r)];
            // A changed record is in a region, of its flow (in more than one only where
            // a rule's `any` made boxes that overlap); an unchanged one is in none.
            const flows = regions
              .filter((g) => boxContains(g.box, r, schema))
              .map((g) => `${g.from} → ${g.to}`);
            expect(flows.length > 0).toBe(from !== to);
            expect(new Set(flows)).toEqual(new Set(from === to ? [] : [`${from} → ${to}`]));
          }
          for (const g of regions) expect([db(g.example!), da(g.example!)]).toEqual([g.from, g.to]);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('comparableSchema', () => {
  it('is the second schema when both are alike', () => {
    expect(comparableSchema(structuredClone(schema), schema)).toEqual({ ok: true, schema });
  });

  it('takes the union of levels, features and ranges, over which the regions are exact', () => {
    const old: Schema = {
      ...schema,
      features: [
        {
          name: 'n',
          type: 'numeric',
          min: -10,
          max: 30,
          mean: 10,
          std: 8,
          integer: true,
          missing: 0,
        },
        { name: 'k', type: 'categorical', levels: ['p', 'q'], missing: 0 },
        { name: 'gone', type: 'categorical', levels: ['u'], missing: 0 },
      ],
    };
    const common = comparableSchema(old, schema);
    expect(common.ok).toBe(true);
    if (!common.ok) return;
    expect(common.schema.features.map((f) => f.name)).toEqual(['n', 'x', 'k', 'gone']);
    expect(common.schema.features[0]).toMatchObject({ min: -10, max: 40 });
    // A rule of the new schema naming its new level 'r' reads over the union.
    const newer = ruleSet([
      handOverride('r-is-c', 'c', { all: [{ fact: 'k', operator: 'equal', value: 'r' }] }, 2),
      ...distilled,
    ]);
    const { regions } = changedRegions(before, newer, common.schema, { examples: true });
    expect(regions.length).toBeGreaterThan(0);
    for (const g of regions) expect(g.example!['k']).toBe('r');
  });

  it('says why when a feature is numeric in one schema and categorical in the other', () => {
    const clash: Schema = {
      ...schema,
      features: [{ name: 'n', type: 'categorical', levels: ['low', 'high'], missing: 0 }],
    };
    const common = comparableSchema(clash, schema);
    expect(common.ok).toBe(false);
    expect(!common.ok && common.reason).toMatch(/'n' is categorical in one and numeric/);
  });
});

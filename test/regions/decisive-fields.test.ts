import fc from 'fast-check';
import type { NestedCondition, TopLevelCondition } from 'json-rules-engine';
import type { DataRecord } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { isNeurulesError } from '../../src/errors';
import { decisiveFields } from '../../src/regions/decisive-fields';
import { ruleRegions } from '../../src/regions/rule-regions';
import type { RuleSet } from '../../src/rules/types';
import { catchError } from '../data/catch-error';
import { rule, ruleSet, TINY, TINY_SCHEMA } from '../helpers/tiny-rules';

const schema = TINY_SCHEMA;

const depends = (rules: RuleSet, record: DataRecord, unknown: string[]) =>
  decisiveFields(ruleRegions(rules, schema), schema, record, unknown);

describe('decisiveFields: which unknown fields a decision depends on', () => {
  const adult = { age: 40, c: 'a', y: 1 };

  it('none, when one rule decides whatever the unknown fields hold', () => {
    expect(depends(TINY, adult, ['y'])).toEqual([]);
    expect(depends(TINY, { ...adult, c: 'b', y: null }, [])).toEqual([]);
  });

  it('a field with a value (or missing) that lets another rule decide', () => {
    // age 17 lets the override decide: the decision depends on age whatever was logged.
    expect(depends(TINY, adult, ['age'])).toEqual(['age']);
    // c = b (with y = 1) gives R2 instead of R1.
    expect(depends(TINY, adult, ['c'])).toEqual(['c']);
    // With c = b known, y decides between R2 and R3, a missing y too.
    expect(depends(TINY, { ...adult, c: 'b' }, ['y'])).toEqual(['y']);
  });

  it('names the fields that matter, not every unknown one', () => {
    expect(depends(TINY, adult, ['c', 'y'])).toEqual(['c', 'y']);
    const noY = ruleSet(TINY.rules.filter((r) => r.name !== 'R3'));
    expect(depends(noY, { ...adult, c: 'a' }, ['y'])).toEqual([]);
  });

  it('counts a value for which no rule fires as another outcome', () => {
    // Without R3, c = b with y > 5 or missing reaches no rule.
    const gap = ruleSet(TINY.rules.filter((r) => r.name !== 'R3'));
    const rec = { age: 40, c: 'b', y: 1 };
    expect(compileRuleSet(gap).decide(rec).ruleId).toBe('R2');
    expect(depends(gap, rec, ['y'])).toEqual(['y']);
  });

  it('keeps to values a checked record can hold: an unseen level is none', () => {
    // c in {a, b, z, missing} covers every level: nothing but an unseen level could differ.
    const all = ruleSet([
      rule('R1', 1, { all: [{ fact: 'c', operator: 'in', value: ['a', 'b', 'z', null] }] }, 'good'),
      rule(
        'R2',
        1,
        { all: [{ fact: 'c', operator: 'notIn', value: ['a', 'b', 'z', null] }] },
        'bad',
      ),
    ]);
    expect(depends(all, adult, ['c'])).toEqual([]);
  });

  it('refuses a name that is not a feature (UNKNOWN_FEATURE)', () => {
    const e = catchError(() => depends(TINY, adult, ['agee']));
    expect(isNeurulesError(e) && e.code).toBe('UNKNOWN_FEATURE');
    expect(isNeurulesError(e) && e.field).toBe('agee');
  });

  // Values on every side of every threshold the rules below use, and missing: the rules
  // cannot tell apart two values between the same thresholds, so these reach every cell.
  const AGES = [-1, 0, 1, 2.5, 3, 5, 6, null];
  const LEVELS = ['a', 'b', 'z', null];
  const YS = AGES;
  const candidates: Record<string, (number | string | null)[]> = { age: AGES, c: LEVELS, y: YS };

  const leaf = fc.oneof(
    fc.record({
      fact: fc.constantFrom('age', 'y'),
      operator: fc.constantFrom(
        'lessThan',
        'lessThanInclusive',
        'greaterThan',
        'greaterThanInclusive',
      ),
      value: fc.constantFrom(0, 2.5, 5),
    }),
    fc.record({
      fact: fc.constantFrom('age', 'y'),
      operator: fc.constantFrom('equal', 'notEqual'),
      value: fc.constantFrom<number | null>(0, 2.5, 5, null),
    }),
    fc.record({
      fact: fc.constant('c'),
      operator: fc.constantFrom('in', 'notIn'),
      value: fc.subarray<string | null>(['a', 'b', 'z', null]),
    }),
  );
  const condition: fc.Arbitrary<TopLevelCondition> = fc
    .tuple(
      fc.constantFrom('all', 'any'),
      fc.array(leaf as fc.Arbitrary<NestedCondition>, { minLength: 1, maxLength: 3 }),
    )
    .map(([k, cs]) => (k === 'all' ? { all: cs } : { any: cs }));
  // Distinct priorities: json-rules-engine's order is then fixed, so region analysis takes it.
  const rules = fc
    .array(fc.tuple(condition, fc.constantFrom('bad', 'good')), { minLength: 1, maxLength: 5 })
    .map((rs) => ruleSet(rs.map(([c, cls], i) => rule(`R${i}`, 10 - i, c, cls))));
  const record = fc.record({
    age: fc.constantFrom(...AGES),
    c: fc.constantFrom(...LEVELS),
    y: fc.constantFrom(...YS),
  });

  it('agrees with a brute-force search over values on every side of every threshold', () => {
    fc.assert(
      fc.property(rules, record, fc.subarray(['age', 'c', 'y']), (rs, rec, unknown) => {
        const compiled = compileRuleSet(rs);
        const outcome = (r: DataRecord): string => {
          try {
            return compiled.decide(r).ruleId;
          } catch (e) {
            if (isNeurulesError(e) && e.code === 'NO_RULE_FIRED') return 'none';
            throw e;
          }
        };
        // Every assignment of the unknown fields' candidate values.
        let points: DataRecord[] = [rec];
        for (const f of unknown)
          points = points.flatMap((p) => candidates[f]!.map((v) => ({ ...p, [f]: v })));
        const expected = unknown.filter((f) =>
          points.some((p) => candidates[f]!.some((v) => outcome({ ...p, [f]: v }) !== outcome(p))),
        );
        expect(depends(rs, rec, unknown)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

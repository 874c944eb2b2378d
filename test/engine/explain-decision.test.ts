import * as path from 'node:path';
import fc from 'fast-check';
import { loadModelFiles, loadRuleSet } from '../../src/artifacts/model-store';
import { readRecords } from '../../src/data/read-records';
import type { DataRecord, Feature, Schema, Value } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { explainDecision, formatExplanation } from '../../src/engine/explain-decision';
import { RuleEngine } from '../../src/engine/rule-engine';
import { loadOverrides, mergeOverrides } from '../../src/overrides/merge-overrides';
import { GERMAN_CREDIT } from '../helpers/german-credit';

const ROOT = path.join(__dirname, '..', '..');
const loc = GERMAN_CREDIT;
const files = loadModelFiles(loc);
// Counterfactuals are advice: age and the personal columns cannot change, and the number
// of existing credits can only go down (as `build --immutable/--monotone` would mark them).
const schema: Schema = {
  ...files.schema,
  features: files.schema.features.map((f): Feature => {
    if (['age', 'personal_status', 'foreign_worker'].includes(f.name))
      return { ...f, immutable: true };
    if (f.name === 'existing_credits' && f.type === 'numeric')
      return { ...f, monotone: 'decreasing' };
    return f;
  }),
};
const distilled = loadRuleSet(loc);
const overrides = loadOverrides(path.join(loc.rulesDir, 'german-credit', 'overrides'), schema);
const ruleSet = mergeOverrides(distilled, overrides, schema);
const compiled = compileRuleSet(ruleSet);
const engine = new RuleEngine(ruleSet);
const { records } = readRecords(path.join(ROOT, 'data', 'german-credit.csv'), schema);

/** Every value worth trying for a feature: levels, or each rule threshold and its neighbours. */
function candidateValues(feature: Feature): Value[] {
  if (feature.type === 'categorical') return feature.levels;
  const thresholds = new Set<number>([feature.min, feature.max]);
  const visit = (c: unknown): void => {
    if (!c || typeof c !== 'object') return;
    const o = c as Record<string, unknown>;
    for (const k of ['all', 'any']) if (Array.isArray(o[k])) (o[k] as unknown[]).forEach(visit);
    if (o.not) visit(o.not);
    if (o.fact === feature.name && typeof o.value === 'number') {
      for (const d of [-1, -0.01, 0, 0.01, 1]) thresholds.add(o.value + d);
    }
  };
  for (const r of ruleSet.rules) visit(r.conditions);
  return [...thresholds].filter((v) => v >= feature.min && v <= feature.max);
}

/** Values a feature may take in a counterfactual: none if immutable, one way if monotone. */
function allowedValues(feature: Feature, from: Value): Value[] {
  // (the feature object carries the schema's marks)
  if (feature.immutable) return [];
  return candidateValues(feature).filter((v) => {
    if (v === from) return false;
    if (feature.type !== 'numeric' || !feature.monotone || typeof from !== 'number') return true;
    return feature.monotone === 'increasing' ? (v as number) > from : (v as number) < from;
  });
}

/** Whether changing at most `k` features (over the candidate grid) changes the class. */
function someFlipWith(features: Feature[], record: DataRecord, k: number, cls: string): boolean {
  const flips = (r: DataRecord) => compiled.decide(r).class !== cls;
  if (k >= 1) {
    for (const f of features)
      for (const v of allowedValues(f, record[f.name] ?? null))
        if (flips({ ...record, [f.name]: v })) return true;
  }
  if (k >= 2) {
    for (let i = 0; i < features.length; i++)
      for (let j = i + 1; j < features.length; j++) {
        const f = features[i]!;
        const g = features[j]!;
        for (const v of allowedValues(f, record[f.name] ?? null))
          for (const w of allowedValues(g, record[g.name] ?? null))
            if (flips({ ...record, [f.name]: v, [g.name]: w })) return true;
      }
  }
  return false;
}

const recordArb = fc
  .tuple(
    fc.integer({ min: 0, max: records.length - 1 }),
    fc.array(
      fc.tuple(
        fc.integer({ min: 0, max: schema.features.length - 1 }),
        // In [0, 1): an unbounded double may be infinite, and Infinity % 1 is NaN.
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([index, edits]) => {
    // A real record, with up to three features moved to other valid values or missing.
    const r = { ...records[index]! };
    for (const [fi, t] of edits) {
      const f = schema.features[fi]!;
      if (t < 0.15) r[f.name] = null;
      else if (f.type === 'categorical')
        r[f.name] = f.levels[Math.floor(t * f.levels.length) % f.levels.length]!;
      else {
        const v = f.min + t * (f.max - f.min);
        r[f.name] = f.integer ? Math.round(v) : v;
      }
    }
    return r;
  });

describe('explainDecision: counterfactuals', () => {
  test('each counterfactual changes the decision, moves only changeable features within their levels and range', async () => {
    await fc.assert(
      fc.asyncProperty(recordArb, async (record) => {
        const e = await explainDecision(engine, record, undefined, { schema });
        const cls = e.decision.class;
        expect(e.counterfactuals!.length).toBeLessThanOrEqual(3);
        for (const c of e.counterfactuals!) {
          const changed = { ...record };
          for (const x of c.changes) {
            const f = schema.features.find((g) => g.name === x.feature)!;
            expect(f.immutable).toBeFalsy();
            expect(x.from).toBe(record[x.feature] ?? null);
            if (f.type === 'categorical') expect(f.levels).toContain(x.to);
            else {
              expect(typeof x.to).toBe('number');
              expect(x.to as number).toBeGreaterThanOrEqual(f.min);
              expect(x.to as number).toBeLessThanOrEqual(f.max);
              if (f.integer) expect(Number.isInteger(x.to)).toBe(true);
              if (f.monotone === 'decreasing' && typeof x.from === 'number')
                expect(x.to as number).toBeLessThan(x.from);
            }
            changed[x.feature] = x.to;
          }
          // Checked on json-rules-engine itself, not the evaluator that found it.
          const d = await engine.decide(changed);
          expect(d.class).not.toBe(cls);
          expect(d).toMatchObject({ class: c.class, ruleId: c.ruleId });
        }
      }),
      { numRuns: 60 },
    );
  });

  // With only five features changeable, many records need two changes or have none.
  const changeable = [
    'duration',
    'credit_amount',
    'savings_status',
    'installment_commitment',
    'purpose',
  ];
  const restricted: Schema = {
    ...schema,
    features: schema.features.map((f) =>
      changeable.includes(f.name) ? f : { ...f, immutable: true },
    ),
  };
  test.each([
    ['the model schema', schema],
    ['five changeable features', restricted],
  ])(
    'no change of fewer features than the first counterfactual changes the decision (%s)',
    async (_, s) => {
      await fc.assert(
        fc.asyncProperty(recordArb, async (record) => {
          const e = await explainDecision(compiled, record, undefined, { schema: s });
          const first = e.counterfactuals![0];
          const cls = e.decision.class;
          if (!first) {
            // None found: no one- or two-feature change over the candidate grid flips it either.
            expect(someFlipWith(s.features, record, 2, cls)).toBe(false);
            return;
          }
          const k = first.changes.length;
          if (k <= 3) expect(someFlipWith(s.features, record, k - 1, cls)).toBe(false);
          // The ranking: fewest features first, then the cost within equal counts.
          const cfs = e.counterfactuals!;
          for (let i = 1; i < cfs.length; i++) {
            const a = cfs[i - 1]!;
            const b = cfs[i]!;
            expect(a.changes.length).toBeLessThanOrEqual(b.changes.length);
            if (a.changes.length === b.changes.length)
              expect(a.cost).toBeLessThanOrEqual(b.cost + 1e-9);
          }
        }),
        { numRuns: 40 },
      );
    },
  );
});

describe('explainDecision: overrides, reasons, text', () => {
  const large = {
    ...records[0]!,
    credit_amount: 16000,
    duration: 48,
  };

  test('an override decision names the override, its reason and the distilled answer', async () => {
    const e = await explainDecision(engine, large, undefined, { schema });
    expect(e.rule).toMatchObject({ id: 'exposure-limit', source: 'override', support: null });
    const own = await new RuleEngine(distilled).decide(large);
    expect(e.override).toEqual({
      id: 'exposure-limit',
      reason: 'Exposure limit for long, large loans',
      distilled: expect.objectContaining({ class: own.class, ruleId: own.ruleId }),
    });
    const text = formatExplanation(e);
    expect(text).toContain('override exposure-limit: Exposure limit for long, large loans');
    expect(text).toContain(`without overrides: ${own.class}  (rule ${own.ruleId}`);
  });

  test('principal reasons cover the deciding rule, nearest first, and each flip is real', async () => {
    for (const record of records.slice(0, 40)) {
      const e = await explainDecision(engine, record, undefined, { schema });
      const facts = new Set(e.rule.conditions.map((c) => c.fact));
      expect(new Set(e.reasons!.map((r) => r.feature))).toEqual(facts);
      const distances = e.reasons!.map((r) => r.flip?.distance ?? Infinity);
      expect([...distances].sort((a, b) => a - b)).toEqual(distances);
      for (const r of e.reasons!) {
        if (!r.flip) continue;
        const d = compiled.decide({ ...record, [r.feature]: r.flip.to });
        expect(d.class).toBe(r.flip.class);
        expect(d.class).not.toBe(e.decision.class);
      }
    }
  });

  test('the text form lists reasons and counterfactuals; without a schema they are absent', async () => {
    const record = records[1]!;
    const withSchema = formatExplanation(
      await explainDecision(engine, record, undefined, { schema }),
    );
    expect(withSchema).toMatch(/principal reasons/);
    expect(withSchema).toMatch(/counterfactuals/);
    const bare = await explainDecision(engine, record);
    expect(bare.reasons).toBeUndefined();
    expect(formatExplanation(bare)).not.toMatch(/counterfactuals/);
  });
});

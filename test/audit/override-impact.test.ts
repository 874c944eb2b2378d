import fc from 'fast-check';
import { formatImpactTable, overrideImpact } from '../../src/audit/override-impact';
import type { Schema } from '../../src/data/types';
import { isNeurulesError } from '../../src/errors';
import { mergeOverrides } from '../../src/overrides/merge-overrides';
import { parseOverrides } from '../../src/overrides/parse-overrides';
import { DECISION_EVENT, type NeurulesRule, type RuleSet } from '../../src/rules/types';

const classes = ['no', 'yes'];
const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'class',
  features: [
    { name: 'x', type: 'numeric', min: 1, max: 10, mean: 5.5, std: 3, integer: true, missing: 0 },
  ],
  classes,
  rows: 10,
};

const rule = (id: string, operator: string, value: number, cls: string): NeurulesRule => ({
  name: id,
  priority: 1,
  conditions: { all: [{ fact: 'x', operator, value }] },
  event: {
    type: DECISION_EVENT,
    params: {
      ruleId: id,
      class: cls,
      probabilities: { no: cls === 'no' ? 1 : 0, yes: cls === 'yes' ? 1 : 0 },
      support: 5,
      source: 'distilled',
    },
  },
});

/** x ≤ 5 → no, x > 5 → yes. */
const distilled: RuleSet = {
  format: 'neurules.rules',
  version: 1,
  model: 'toy',
  target: 'class',
  classes,
  rules: [rule('R1', 'lessThanInclusive', 5, 'no'), rule('R2', 'greaterThan', 5, 'yes')],
};

/**
 * Hit-policy order: high-declined (100), low-accepted (50, first in the file),
 * top-accepted (50, shadowed by high-declined: never fires), seven-accepted (10, agrees
 * with the distilled rules).
 */
const yaml = `
- id: high-declined
  when: { x: { '>': 8 } }
  then: { class: no }
  priority: 100
  reason: too high
  owner: risk
- id: low-accepted
  when: { x: { '<=': 2 } }
  then: { class: yes }
  priority: 50
- id: top-accepted
  when: { x: { '>=': 9 } }
  then: { class: yes }
  priority: 50
- id: seven-accepted
  when: { x: { '=': 7 } }
  then: { class: yes }
  priority: 10
`;

function setUp() {
  const parsed = parseOverrides(yaml, 'toy.yaml', schema);
  expect(parsed.issues).toEqual([]);
  const overrides = parsed.overrides;
  return { overrides, merged: mergeOverrides(distilled, overrides, schema) };
}

const records = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((x) => ({ x }));
//             x:  1  2  3  4  5  6  7  8  9 10
// distilled:      0  0  0  0  0  1  1  1  1  1
// merged:         1  1  0  0  0  1  1  1  0  0
const labels = [1, 0, 0, 0, 1, 1, 0, 1, 0, 0];
const network = [1, 1, 0, 0, 0, 1, 0, 1, 0, 1];

describe('overrideImpact', () => {
  it('gives the numbers worked out by hand', () => {
    const { overrides, merged } = setUp();
    const impact = overrideImpact({
      classes,
      overrides,
      merged,
      distilled,
      records,
      labels,
      network,
    });
    expect(impact.records).toBe(10);
    expect(impact.accuracyWithout).toBeCloseTo(0.5, 12);
    expect(impact.accuracyWith).toBeCloseTo(0.7, 12);
    expect(impact.fidelityWithout).toBeCloseTo(0.6, 12);
    expect(impact.fidelityWith).toBeCloseTo(0.8, 12);
    expect(impact.changed).toBe(4);
    expect(
      impact.items.map((i) => [i.id, i.fires, i.changed, i.accuracyDelta, i.fidelityDelta]),
    ).toEqual([
      ['high-declined', 2, 2, 0.2, 0],
      ['low-accepted', 2, 2, 0, 0.2],
      ['top-accepted', 0, 0, 0, 0],
      ['seven-accepted', 1, 0, 0, 0],
    ]);
    expect(impact.items[0]).toMatchObject({
      file: 'toy.yaml',
      line: 2,
      class: 'no',
      priority: 100,
      reason: 'too high',
      owner: 'risk',
    });
    expect(impact.items[1]).toMatchObject({ reason: null, owner: null, class: 'yes' });
  });

  it('per-override changes and deltas add up to the totals (any records and labels)', () => {
    const { overrides, merged } = setUp();
    const row = fc.record({
      x: fc.integer({ min: 0, max: 11 }),
      label: fc.integer({ min: 0, max: 1 }),
      network: fc.integer({ min: 0, max: 1 }),
    });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 40 }), (rows) => {
        const impact = overrideImpact({
          classes,
          overrides,
          merged,
          distilled,
          records: rows.map((r) => ({ x: r.x })),
          labels: rows.map((r) => r.label),
          network: rows.map((r) => r.network),
        });
        const sum = (f: (i: (typeof impact.items)[number]) => number) =>
          impact.items.reduce((s, i) => s + f(i), 0);
        expect(sum((i) => i.changed)).toBe(impact.changed);
        expect(sum((i) => i.fires)).toBeLessThanOrEqual(rows.length);
        expect(sum((i) => i.accuracyDelta)).toBeCloseTo(
          impact.accuracyWith - impact.accuracyWithout,
          12,
        );
        expect(sum((i) => i.fidelityDelta)).toBeCloseTo(
          impact.fidelityWith - impact.fidelityWithout,
          12,
        );
      }),
    );
  });

  it('refuses records, labels and network classes of different lengths', () => {
    const { overrides, merged } = setUp();
    let error: unknown;
    try {
      overrideImpact({ classes, overrides, merged, distilled, records, labels: [0], network });
    } catch (e) {
      error = e;
    }
    expect(isNeurulesError(error) && error.code).toBe('INVALID_ARGUMENT');
    expect(isNeurulesError(error) && error.field).toBe('labels');
  });

  it('refuses a merged rule set whose overrides are not given', () => {
    const { merged } = setUp();
    let error: unknown;
    try {
      overrideImpact({ classes, overrides: [], merged, distilled, records, labels, network });
    } catch (e) {
      error = e;
    }
    expect(isNeurulesError(error) && error.code).toBe('INVALID_ARGUMENT');
    expect(isNeurulesError(error) && error.field).toBe('overrides');
  });
});

describe('formatImpactTable', () => {
  it('prints an aligned row per override and the totals', () => {
    const { overrides, merged } = setUp();
    const text = formatImpactTable(
      overrideImpact({ classes, overrides, merged, distilled, records, labels, network }),
    );
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^override\s+class\s+fires\s+changed\s+Δ accuracy\s+Δ fidelity$/);
    expect(lines[2]).toMatch(/^high-declined\s+no\s+2\s+2\s+\+0\.200\s+0\.000$/);
    expect(lines[3]).toMatch(/^low-accepted\s+yes\s+2\s+2\s+0\.000\s+\+0\.200$/);
    expect(lines[4]).toMatch(/^top-accepted\s+yes\s+0\s+0\s+0\.000\s+0\.000$/);
    expect(lines[5]).toMatch(/^seven-accepted\s+yes\s+1\s+0\s+0\.000\s+0\.000$/);
    // Every row as wide as the header: the columns line up.
    for (const l of lines.slice(0, 6)) expect(l.length).toBe(lines[0]!.length);
    expect(text).toContain('accuracy without / with overrides: 0.500 → 0.700');
    expect(text).toContain('fidelity without / with overrides: 0.600 → 0.800');
    expect(text).toContain('decisions changed: 4 of 10 held-out records');
  });

  it('says so when there are no overrides, and names other records when told', () => {
    const text = formatImpactTable(
      overrideImpact({
        classes,
        overrides: [],
        merged: distilled,
        distilled,
        records,
        labels,
        network,
      }),
      { records: 'records of x.csv' },
    );
    expect(text).toContain('(no overrides)');
    expect(text).toContain('accuracy without / with overrides: 0.500 → 0.500');
    expect(text).toContain('decisions changed: 0 of 10 records of x.csv');
  });
});

import fc from 'fast-check';
import {
  agreement,
  balancedSummary,
  classFidelity,
  computeMetrics,
  formatConceptConfusion,
  formatMetricsTable,
} from '../../src/audit/metrics';
import type { Metrics } from '../../src/artifacts/types';

describe('classFidelity (issue 13: balanced fidelity)', () => {
  it("is the mean of the network's classes' shares: the issue's German credit figures", () => {
    // The network says good 230 times (the rules agree on 224) and bad 70 times (32).
    const teacher = [...Array<number>(230).fill(1), ...Array<number>(70).fill(0)];
    const rules = [
      ...Array<number>(224).fill(1),
      ...Array<number>(6).fill(0),
      ...Array<number>(32).fill(0),
      ...Array<number>(38).fill(1),
    ];
    const r = classFidelity(rules, teacher, ['bad', 'good']);
    expect(r.perClass).toEqual({
      bad: { records: 70, agree: 32, fidelity: 32 / 70 },
      good: { records: 230, agree: 224, fidelity: 224 / 230 },
    });
    expect(r.balanced).toBeCloseTo(0.716, 3);
    expect(agreement(rules, teacher)).toBeCloseTo(0.853, 3);
  });

  it('leaves out of the mean a class the network never predicts (its fidelity is null)', () => {
    const r = classFidelity([0, 1, 1], [0, 0, 1], ['a', 'b', 'c']);
    expect(r.perClass.c).toEqual({ records: 0, agree: 0, fidelity: null });
    expect(r.balanced).toBeCloseTo((0.5 + 1) / 2, 12);
  });

  it('equals plain fidelity when every class has as many records, and 1 exactly when the rules follow the network', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }).chain((k) =>
          fc.tuple(
            fc.constant(k),
            fc.integer({ min: 1, max: 20 }),
            fc.array(fc.integer({ min: 0, max: k - 1 }), {
              minLength: k * 20,
              maxLength: k * 20,
            }),
          ),
        ),
        ([k, n, noise]) => {
          const classes = Array.from({ length: k }, (_, i) => `c${i}`);
          const teacher = Array.from({ length: k * n }, (_, i) => i % k);
          const rules = teacher.map((c, i) => (i % 3 === 0 ? noise[i]! : c));
          const balanced = classFidelity(rules, teacher, classes).balanced;
          expect(balanced).toBeCloseTo(agreement(rules, teacher), 12);
          expect(classFidelity(teacher, teacher, classes).balanced).toBe(1);
        },
      ),
    );
  });
});

describe('balancedSummary (the audit report names the worst class)', () => {
  it('is the mean over the classes with records, and names the lowest', () => {
    const r = balancedSummary([
      { class: 'good', records: 230, agree: 224, fidelity: 224 / 230 },
      { class: 'bad', records: 70, agree: 32, fidelity: 32 / 70 },
      { class: 'none', records: 0, agree: 0, fidelity: 0 },
    ]);
    expect(r.balanced).toBeCloseTo(0.716, 3);
    expect(r.worst).toMatchObject({ class: 'bad', agree: 32, records: 70 });
  });
});

describe('computeMetrics: the majority baseline and the refit', () => {
  const ruleSet = {
    format: 'neurules.rules',
    version: 1,
    name: 'm',
    schema: 'x',
    rules: [],
  } as never;
  const base = {
    truth: [0, 0, 0, 1, 1],
    teacher: [0, 0, 1, 1, 1],
    rules: [0, 1, 1, 1, 0],
    classes: ['good', 'bad'],
    ruleSet,
    rows: { train: 10, validation: 3, test: 5 },
    backend: 'cpu',
  };

  it('measures always answering the most frequent learned class on the test split', () => {
    const m = computeMetrics({ ...base, majority: 1 });
    expect(m.majority).toEqual({ class: 'bad', accuracy: 2 / 5 });
    expect(m.rulesAccuracy).toBe(2 / 5);
    const table = formatMetricsTable(m);
    expect(table).toMatch(/always 'bad' \(majority class\)\s+\| 0\.400/);
  });

  it('records the refit and shows it in the table; neither appears when absent', () => {
    const m = computeMetrics({ ...base, refit: { epochs: 12, rows: 13 } });
    expect(m.refit).toEqual({ epochs: 12, rows: 13 });
    expect(formatMetricsTable(m)).toMatch(
      /network refit on train \+ validation\s+\| 13 rows, 12 epochs/,
    );
    // The L2 penalty, when chosen, follows the epochs.
    const chosen = computeMetrics({ ...base, refit: { epochs: 12, rows: 13, l2: 0.002 } });
    expect(formatMetricsTable(chosen)).toMatch(/\| 13 rows, 12 epochs, L2 0\.002\n/);
    const plain = computeMetrics(base);
    expect(plain.majority).toBeUndefined();
    expect(plain.refit).toBeUndefined();
    expect(formatMetricsTable(plain)).not.toMatch(/majority|refit/);
  });
});

describe('the concept confusion under the build table', () => {
  it('is a matrix per concept, labelled rows and perceived columns, aligned', () => {
    const text = formatConceptConfusion({
      concepts: {
        digit: {
          accuracy: 0.9,
          rows: 10,
          validationAccuracy: 0.9,
          classes: ['1', '7'],
          confusion: [
            [5, 0],
            [1, 4],
          ],
          network: 'MLP 4-64-2',
          epochs: 3,
        },
      },
    } as unknown as Metrics);
    expect(text.split('\n')).toEqual([
      "concept 'digit' confusion (test, MLP 4-64-2):",
      ' labelled ↓ perceived →  1  7',
      ' 1                       5  0',
      ' 7                       1  4',
    ]);
    expect(formatConceptConfusion({} as Metrics)).toBe('');
  });
});

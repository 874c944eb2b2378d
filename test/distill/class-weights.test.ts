import { hardLabels } from '../../src/distill/distill';
import { balancedClassWeights, growTree } from '../../src/distill/grow-tree';
import { predictTree } from '../../src/distill/predict-tree';
import { refineTree } from '../../src/distill/refine-tree';
import { perturbRecords } from '../../src/distill/sample-records';
import { toColumns } from '../../src/distill/tree-columns';
import type { FeatureSpec, TrainingColumns } from '../../src/distill/types';
import type { DataRecord, Schema } from '../../src/data/types';
import { createRandom } from '../../src/random';
import { catchError } from '../data/catch-error';

const f: FeatureSpec[] = [{ name: 'x', type: 'numeric' }];

/** 90 records of class a (x 0..89), then 10 of class b mixed in at x ≥ 80 with soft labels. */
function imbalanced(): TrainingColumns {
  const records: DataRecord[] = [];
  const targets: number[] = [];
  for (let x = 0; x < 100; x++) {
    records.push({ x });
    // x < 80: clearly a; x ≥ 80: the network leans b at 0.4 (its rare class is never the
    // majority of the mass in any region, but it is the network's answer there on half).
    const pb = x < 80 ? 0.05 : x % 2 === 0 ? 0.6 : 0.2;
    targets.push(1 - pb, pb);
  }
  return {
    features: f,
    columns: toColumns(f, records),
    targets: Float64Array.from(targets),
    classes: ['a', 'b'],
  };
}

describe('class weights on the probability mass', () => {
  it('balanced weights give each class the network answers the same total mass', () => {
    const w = balancedClassWeights([0, 0, 0, 1], 3);
    expect(w[0]! * 3).toBeCloseTo(w[1]! * 1);
    expect(w).toEqual([4 / 6, 4 / 2, 1]);
  });

  it('without weights a rare class gets no leaf; with balanced weights it gets its region', () => {
    const data = imbalanced();
    const labels = hardLabels(data.targets, 2);
    const plain = growTree(data, { maxLeaves: 2 });
    expect(predictTree(plain, { x: 90 })).toBe(0);
    const weighted = growTree(
      { ...data, classWeights: balancedClassWeights(labels, 2) },
      { maxLeaves: 2 },
    );
    expect(predictTree(weighted, { x: 10 })).toBe(0);
    expect(predictTree(weighted, { x: 90 })).toBe(1);
    // The leaf distribution is the weighted mass, normalised.
    const root = weighted.nodes[0]!;
    expect(root.distribution.reduce((s, x) => s + x, 0)).toBeCloseTo(1);
  });

  it('refinement keeps the class weights: a refined weighted tree decides the same way', () => {
    const data = imbalanced();
    const withWeights = {
      ...data,
      classWeights: balancedClassWeights(hardLabels(data.targets, 2), 2),
    };
    const refined = refineTree(growTree(withWeights, { maxLeaves: 2 }), withWeights);
    expect(predictTree(refined, { x: 90 })).toBe(1);
    expect(predictTree(refined, { x: 10 })).toBe(0);
  });

  it.each([[[1]], [[1, 0]], [[1, Number.NaN]], [[1, -2]]])(
    'weights %j are INVALID_ARGUMENT naming classWeights',
    (weights) => {
      const e = catchError(() => growTree({ ...imbalanced(), classWeights: weights }));
      expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'classWeights' });
    },
  );
});

describe('perturbRecords with strata', () => {
  const schema: Schema = {
    format: 'neurules.schema',
    version: 1,
    target: 'y',
    classes: ['a', 'b'],
    rows: 100,
    features: [
      { name: 'x', type: 'numeric', min: 0, max: 99, mean: 50, std: 29, integer: true, missing: 0 },
      { name: 'c', type: 'categorical', levels: ['u', 'v'], missing: 0 },
    ],
  };
  const source: DataRecord[] = Array.from({ length: 100 }, (_, i) => ({
    x: i,
    c: i < 95 ? 'u' : 'v',
  }));
  const strata = source.map((_, i) => (i < 95 ? 0 : 1));

  it('copies rows of each class in turn: a rare class gets as many records as a common one', () => {
    const out = perturbRecords(schema, source, createRandom(3), {
      count: 400,
      changeRate: 0,
      strata,
    });
    // changeRate 0: each record is a copy of its base row.
    const rare = out.filter((r) => (r.x as number) >= 95).length;
    expect(rare).toBe(200);
    const plain = perturbRecords(schema, source, createRandom(3), { count: 400, changeRate: 0 });
    expect(plain.filter((r) => (r.x as number) >= 95).length).toBeLessThan(60);
  });

  it('redraws categorical values from rows of the same class', () => {
    const out = perturbRecords(schema, source, createRandom(4), {
      count: 400,
      changeRate: 1,
      noise: 0,
      strata,
    });
    // Rows of the rare class all have c = v; their copies redraw c from the same class.
    for (const r of out) if ((r.x as number) >= 95) expect(r.c).toBe('v');
  });
});

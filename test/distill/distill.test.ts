import fc from 'fast-check';
import type { DataRecord, Schema } from '../../src/data/types';
import { distill, hardLabels } from '../../src/distill/distill';
import { growTree } from '../../src/distill/grow-tree';
import { leavesOf, predictTree } from '../../src/distill/predict-tree';
import { leafCount, mergeSameClassLeaves, pruningSequence } from '../../src/distill/prune-tree';
import { refineTree } from '../../src/distill/refine-tree';
import { readableCandidates, significantDigits } from '../../src/distill/round-thresholds';
import { perturbRecords } from '../../src/distill/sample-records';
import { toColumns } from '../../src/distill/tree-columns';
import { createRandom } from '../../src/random';

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'y',
  classes: ['no', 'yes'],
  rows: 600,
  features: [
    {
      name: 'age',
      type: 'numeric',
      min: 18,
      max: 75,
      mean: 40,
      std: 12,
      integer: true,
      missing: 10,
    },
    {
      name: 'income',
      type: 'numeric',
      min: 0,
      max: 10,
      mean: 4,
      std: 2,
      integer: false,
      missing: 0,
    },
    { name: 'job', type: 'categorical', levels: ['a', 'b', 'c', 'd'], missing: 5 },
  ],
};

/** A smooth, oblique "network": logistic in age, income and job. */
function network(records: readonly DataRecord[]): Float64Array {
  const out = new Float64Array(records.length * 2);
  records.forEach((r, i) => {
    const age = typeof r.age === 'number' ? r.age : 40;
    const income = typeof r.income === 'number' ? r.income : 4;
    const z =
      0.08 * (age - 40) + 0.9 * (income - 4) + (r.job === 'c' ? 1.5 : r.job === 'a' ? -1 : 0);
    const p = 1 / (1 + Math.exp(-z));
    out[i * 2] = 1 - p;
    out[i * 2 + 1] = p;
  });
  return out;
}

function records(n: number, seed: number): DataRecord[] {
  const rnd = createRandom(seed);
  return Array.from({ length: n }, () => ({
    age: rnd.next() < 0.02 ? null : 18 + rnd.int(58),
    income: Math.round(rnd.next() * 1000) / 100,
    job: rnd.next() < 0.01 ? null : ['a', 'b', 'c', 'd'][rnd.int(4)]!,
  }));
}

const train = records(600, 1);
const validation = records(150, 2);
const test = records(300, 3);

function fidelity(tree: ReturnType<typeof growTree>, data: DataRecord[]): number {
  const labels = hardLabels(network(data), 2);
  return data.filter((r, i) => predictTree(tree, r) === labels[i]).length / data.length;
}

describe('distill', () => {
  const result = distill(schema, train, validation, network, { maxRules: 12, seed: 5 });

  it('keeps to the rule budget and is faithful to the network on unseen records', () => {
    expect(leafCount(result.tree)).toBeLessThanOrEqual(12);
    expect(fidelity(result.tree, test)).toBeGreaterThan(0.85);
  });

  it('is deterministic for a seed', () => {
    expect(distill(schema, train, validation, network, { maxRules: 12, seed: 5 }).tree).toEqual(
      result.tree,
    );
  });

  it('reports support, confidence and validation fidelity per rule', () => {
    const leaves = leavesOf(result.tree);
    const stats = leaves.map((l) => result.leafStats.get(l.id)!);
    expect(stats.reduce((s, x) => s + x.support, 0)).toBe(train.length);
    expect(stats.reduce((s, x) => s + x.validationSupport, 0)).toBe(validation.length);
    for (const s of stats) {
      if (s.confidence !== null) expect(s.confidence).toBeGreaterThanOrEqual(0);
      if (s.validationFidelity !== null) expect(s.validationFidelity).toBeLessThanOrEqual(1);
    }
    expect(result.report.candidates.length).toBeGreaterThan(1);
  });

  it('sampling helps where the data is thin', () => {
    const few = train.slice(0, 80);
    const none = distill(schema, few, validation, network, {
      maxRules: 12,
      seed: 5,
      sampling: 'none',
    });
    const perturb = distill(schema, few, validation, network, {
      maxRules: 12,
      seed: 5,
      sampling: 'perturb',
    });
    expect(fidelity(perturb.tree, test)).toBeGreaterThanOrEqual(fidelity(none.tree, test));
  });

  it('node sampling adds records inside thin regions on top of the perturbations', () => {
    const few = train.slice(0, 80);
    const perturb = distill(schema, few, validation, network, {
      maxRules: 12,
      seed: 5,
      sampling: 'perturb',
      samples: 2000,
    });
    const nodes = distill(schema, few, validation, network, {
      maxRules: 12,
      seed: 5,
      sampling: 'nodes',
      samples: 2000,
    });
    expect(nodes.report.sampling).toBe('nodes');
    expect(nodes.report.samples).toBeGreaterThan(perturb.report.samples);
    expect(leafCount(nodes.tree)).toBeLessThanOrEqual(12);
  });

  it('the ml-cart learner works as the reference', () => {
    const cart = distill(schema, train.slice(0, 200), validation, network, {
      maxRules: 8,
      learner: 'ml-cart',
    });
    expect(leafCount(cart.tree)).toBeLessThanOrEqual(8);
    expect(cart.report.learner).toBe('ml-cart');
    expect(fidelity(cart.tree, test)).toBeGreaterThan(0.7);
  });
});

describe('simplification keeps decisions', () => {
  const targets = network(train);
  const columns = {
    features: schema.features,
    columns: toColumns(schema.features, train),
    targets,
    classes: schema.classes,
  };
  const big = growTree(columns, { maxLeaves: 40, minSamplesLeaf: 3 });
  const recordArb = fc.record({
    age: fc.oneof(fc.constant(null), fc.integer({ min: 10, max: 90 })),
    income: fc.double({ min: -1, max: 12, noNaN: true }),
    job: fc.oneof(fc.constant(null), fc.constantFrom('a', 'b', 'c', 'd', 'zz')),
  });

  it('merging same-class sibling leaves changes no decision on any record', () => {
    const merged = mergeSameClassLeaves(big);
    expect(leafCount(merged)).toBeLessThanOrEqual(leafCount(big));
    fc.assert(
      fc.property(recordArb, (r) => expect(predictTree(merged, r)).toBe(predictTree(big, r))),
      { numRuns: 500 },
    );
  });

  it('the pruning sequence shrinks one weakest link at a time down to the root', () => {
    const seq = pruningSequence(big);
    expect(leafCount(seq[0]!)).toBe(leafCount(big));
    expect(leafCount(seq[seq.length - 1]!)).toBe(1);
    for (let i = 1; i < seq.length; i++)
      expect(leafCount(seq[i]!)).toBeLessThan(leafCount(seq[i - 1]!));
  });

  it('refinement never lowers agreement with the network on its samples', () => {
    const small = growTree(columns, { maxLeaves: 8 });
    const refined = refineTree(small, columns);
    expect(leafCount(refined)).toBe(leafCount(small));
    expect(fidelity(refined, train)).toBeGreaterThanOrEqual(fidelity(small, train) - 1e-9);
  });
});

describe('readable thresholds', () => {
  it('offers the fewest significant digits first, whole numbers for whole-number features', () => {
    const c = readableCandidates(2317.5, true);
    expect(c[0]).toBe(2000);
    expect(c).toContain(2317);
    expect(c.map(significantDigits)).toEqual([...c.map(significantDigits)].sort((a, b) => a - b));
    expect(readableCandidates(0.04567, false)).toEqual(
      expect.arrayContaining([0.05, 0.046, 0.0457]),
    );
  });
});

describe('perturbRecords', () => {
  it('respects types, ranges, whole numbers, levels and missing values, and is seeded', () => {
    const out = perturbRecords(schema, train, createRandom(9), {
      count: 2000,
      changeRate: 0.6,
      noise: 2,
    });
    expect(out).toHaveLength(2000);
    for (const r of out) {
      if (r.age !== null) {
        expect(Number.isInteger(r.age)).toBe(true);
        expect(r.age as number).toBeGreaterThanOrEqual(18);
        expect(r.age as number).toBeLessThanOrEqual(75);
      }
      expect(r.income as number).toBeGreaterThanOrEqual(0);
      expect(r.income as number).toBeLessThanOrEqual(10);
      expect([null, 'a', 'b', 'c', 'd']).toContain(r.job);
    }
    expect(perturbRecords(schema, train, createRandom(9), { count: 50 })).toEqual(
      perturbRecords(schema, train, createRandom(9), { count: 50 }),
    );
  });
});

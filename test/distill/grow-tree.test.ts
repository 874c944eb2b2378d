import { growTree } from '../../src/distill/grow-tree';
import { leafOf, leavesOf, predictTree } from '../../src/distill/predict-tree';
import { toColumns } from '../../src/distill/tree-columns';
import type { FeatureSpec, TrainingColumns } from '../../src/distill/types';
import type { DataRecord } from '../../src/data/types';
import { createRandom } from '../../src/random';

function oneHot(labels: number[], K: number): Float64Array {
  const t = new Float64Array(labels.length * K);
  labels.forEach((y, i) => (t[i * K + y] = 1));
  return t;
}

const features: FeatureSpec[] = [
  { name: 'x', type: 'numeric' },
  { name: 'colour', type: 'categorical', levels: ['red', 'green', 'blue'] },
];

function dataset(n: number, seed: number): { records: DataRecord[]; labels: number[] } {
  const rnd = createRandom(seed);
  const records: DataRecord[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = Math.round(rnd.next() * 100);
    const colour = ['red', 'green', 'blue'][rnd.int(3)]!;
    records.push({ x, colour });
    labels.push(x > 50 && colour !== 'green' ? 1 : 0);
  }
  return { records, labels };
}

describe('growTree', () => {
  it('learns an axis-aligned concept exactly with a categorical split', () => {
    const { records, labels } = dataset(500, 1);
    const data: TrainingColumns = {
      features,
      columns: toColumns(features, records),
      targets: oneHot(labels, 2),
      classes: ['no', 'yes'],
    };
    const tree = growTree(data, { maxLeaves: 6 });
    const correct = records.filter((r, i) => predictTree(tree, r) === labels[i]).length;
    expect(correct).toBe(records.length);
    expect(leavesOf(tree).length).toBeLessThanOrEqual(6);
    const colourTest = tree.nodes.find((n) => n.test?.feature === 'colour')?.test;
    expect(colourTest?.type).toBe('categorical');
  });

  it('respects maxLeaves and is deterministic', () => {
    const { records, labels } = dataset(300, 2);
    const noisy = labels.map((y, i) => (i % 7 === 0 ? 1 - y : y));
    const data: TrainingColumns = {
      features,
      columns: toColumns(features, records),
      targets: oneHot(noisy, 2),
      classes: ['a', 'b'],
    };
    for (const maxLeaves of [1, 2, 5, 16]) {
      const t1 = growTree(data, { maxLeaves });
      const t2 = growTree(data, { maxLeaves });
      expect(leavesOf(t1).length).toBeLessThanOrEqual(maxLeaves);
      expect(t1).toEqual(t2);
    }
  });

  it('learns soft targets: leaf distributions are the mean probability vectors', () => {
    const records: DataRecord[] = [{ x: 1 }, { x: 2 }, { x: 10 }, { x: 11 }];
    const f: FeatureSpec[] = [{ name: 'x', type: 'numeric' }];
    const targets = Float64Array.from([0.9, 0.1, 0.7, 0.3, 0.2, 0.8, 0.4, 0.6]);
    const tree = growTree(
      { features: f, columns: toColumns(f, records), targets, classes: ['a', 'b'] },
      { maxLeaves: 2 },
    );
    expect(tree.nodes[0]!.test).toMatchObject({ type: 'numeric', threshold: 6 });
    expect(leafOf(tree, { x: 0 }).distribution[0]).toBeCloseTo(0.8);
    expect(leafOf(tree, { x: 100 }).distribution[1]).toBeCloseTo(0.7);
  });

  it('learns where missing values go', () => {
    // Missing x behaves like large x: the learned default direction must be right.
    const records: DataRecord[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 60; i++) {
      const x = i < 20 ? i : i < 40 ? 100 + i : null;
      records.push({ x });
      labels.push(x === null || x > 50 ? 1 : 0);
    }
    const f: FeatureSpec[] = [{ name: 'x', type: 'numeric' }];
    const tree = growTree(
      {
        features: f,
        columns: toColumns(f, records),
        targets: oneHot(labels, 2),
        classes: ['a', 'b'],
      },
      { maxLeaves: 2 },
    );
    expect(tree.nodes[0]!.test?.missing).toBe('right');
    expect(predictTree(tree, { x: null })).toBe(1);
  });

  it('honours minSamplesLeaf and sample weights', () => {
    const records: DataRecord[] = [{ x: 1 }, { x: 2 }, { x: 3 }, { x: 4 }];
    const f: FeatureSpec[] = [{ name: 'x', type: 'numeric' }];
    const base = {
      features: f,
      columns: toColumns(f, records),
      targets: oneHot([0, 1, 1, 1], 2),
      classes: ['a', 'b'],
    };
    expect(
      growTree(base, { maxLeaves: 4, minSamplesLeaf: 2 })
        .nodes.filter((n) => !n.test)
        .every((n) => n.count >= 2),
    ).toBe(true);
    const weighted = growTree(
      { ...base, weights: Float64Array.from([10, 1, 1, 1]) },
      { maxLeaves: 1 },
    );
    expect(weighted.nodes[0]!.distribution[0]).toBeCloseTo(10 / 13);
  });
});

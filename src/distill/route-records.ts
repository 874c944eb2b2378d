import type { DataRecord } from '../data/types';
import { argMax, goesLeft } from './predict-tree';
import type { Tree } from './types';

/** Index of the leaf each record reaches. */
export function routeRecords(tree: Tree, records: readonly DataRecord[]): Int32Array {
  const out = new Int32Array(records.length);
  for (let i = 0; i < records.length; i++) {
    let node = tree.nodes[0]!;
    while (node.test) node = tree.nodes[goesLeft(node, records[i]!) ? node.left! : node.right!]!;
    out[i] = node.id;
  }
  return out;
}

/** The class index a tree decides for each record. */
export function decideRecords(tree: Tree, records: readonly DataRecord[]): Int32Array {
  const decide = tree.nodes.map((n) => argMax(n.distribution));
  return routeRecords(tree, records).map((leaf) => decide[leaf]!);
}

/** How many records the tree decides as `labels` says. */
export function countAgreement(
  tree: Tree,
  records: readonly DataRecord[],
  labels: ArrayLike<number>,
): number {
  const decided = decideRecords(tree, records);
  let same = 0;
  for (let i = 0; i < decided.length; i++) if (decided[i] === labels[i]) same++;
  return same;
}

/**
 * Recompute every node's count, weight and class distribution by sending the samples
 * (with their soft targets, row-major n × K) down the tree. Used after an edit that moves
 * samples between regions (subtree raising).
 */
export function refitTree(
  tree: Tree,
  records: readonly DataRecord[],
  targets: ArrayLike<number>,
): Tree {
  const K = tree.classes.length;
  const mass = tree.nodes.map(() => new Float64Array(K));
  const counts = new Float64Array(tree.nodes.length);
  records.forEach((record, i) => {
    let node = tree.nodes[0]!;
    for (;;) {
      counts[node.id]! += 1;
      for (let k = 0; k < K; k++) mass[node.id]![k]! += targets[i * K + k]!;
      if (!node.test) break;
      node = tree.nodes[goesLeft(node, record) ? node.left! : node.right!]!;
    }
  });
  return {
    ...tree,
    nodes: tree.nodes.map((n) => {
      const m = mass[n.id]!;
      const weight = m.reduce((s, x) => s + x, 0);
      // An empty region keeps its old distribution rather than inventing one.
      const distribution = weight > 0 ? Array.from(m, (x) => x / weight) : [...n.distribution];
      return { ...n, count: counts[n.id]!, weight, distribution };
    }),
  };
}

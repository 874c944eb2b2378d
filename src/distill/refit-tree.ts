import type { DataRecord } from '../data/types';
import type { Tree } from './types';
import { goesLeft } from './predict-tree';

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

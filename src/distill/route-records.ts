import type { DataRecord } from '../data/types';
import { argMax } from '../arg-max';
import { goesLeft } from './predict-tree';
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

import { argMax } from '../arg-max';
import type { DataRecord } from '../data/types';
import type { Tree, TreeNode } from './types';

/** True when `record` goes to the left child of `node` (which must have a test). */
export function goesLeft(node: TreeNode, record: DataRecord): boolean {
  const t = node.test!;
  const v = record[t.feature];
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)))
    return t.missing === 'left';
  if (t.type === 'numeric') return typeof v === 'number' ? v <= t.threshold : false;
  return t.left.includes(String(v));
}

/**
 * The leaf a record reaches. Missing values (null, undefined, NaN) follow each split's
 * learned missing direction; a categorical level not in a split's left set goes right.
 */
export function leafOf(tree: Tree, record: DataRecord): TreeNode {
  let node = tree.nodes[0]!;
  while (node.test) node = tree.nodes[goesLeft(node, record) ? node.left! : node.right!]!;
  return node;
}

/** Class index a tree predicts for a record: the largest probability at its leaf (first on ties). */
export function predictTree(tree: Tree, record: DataRecord): number {
  return argMax(leafOf(tree, record).distribution);
}

/** The leaves of a tree in depth-first, left-to-right order. */
export function leavesOf(tree: Tree): TreeNode[] {
  const out: TreeNode[] = [];
  const visit = (id: number): void => {
    const node = tree.nodes[id]!;
    if (node.test) {
      visit(node.left!);
      visit(node.right!);
    } else out.push(node);
  };
  visit(0);
  return out;
}

import { argMax } from '../arg-max';
import type { Tree, TreeNode } from './types';

/** Weighted Gini impurity of a node: W · (1 − Σ p²). */
function nodeImpurity(node: TreeNode): number {
  let q = 0;
  for (const p of node.distribution) q += p * p;
  return node.weight * (1 - q);
}

/** A copy of the tree keeping only nodes reachable from the root, numbered in pre-order. */
export function compactTree(tree: Tree): Tree {
  const nodes: TreeNode[] = [];
  const copy = (id: number, depth: number): number => {
    const src = tree.nodes[id]!;
    const node: TreeNode = {
      id: nodes.length,
      depth,
      count: src.count,
      weight: src.weight,
      distribution: [...src.distribution],
    };
    nodes.push(node);
    if (src.test && src.left !== undefined && src.right !== undefined) {
      node.test = structuredClone(src.test);
      if (src.gain !== undefined) node.gain = src.gain;
      node.left = copy(src.left, depth + 1);
      node.right = copy(src.right, depth + 1);
    }
    return node.id;
  };
  copy(0, 0);
  return { ...tree, nodes };
}

/** A copy of the tree where node `id` is a leaf. */
export function collapseNode(tree: Tree, id: number): Tree {
  const nodes = tree.nodes.map((n) => (n.id === id ? stripSplit(n) : n));
  return compactTree({ ...tree, nodes });
}

function stripSplit(n: TreeNode): TreeNode {
  const { test: _t, left: _l, right: _r, gain: _g, ...leaf } = n;
  return leaf;
}

/** Number of leaves below (and including) each node. */
function leafCounts(tree: Tree): number[] {
  const counts = new Array<number>(tree.nodes.length).fill(0);
  const visit = (id: number): number => {
    const n = tree.nodes[id]!;
    counts[id] = n.test ? visit(n.left!) + visit(n.right!) : 1;
    return counts[id]!;
  };
  visit(0);
  return counts;
}

/**
 * The cost-complexity pruning sequence (Breiman's weakest link): starting from `tree`,
 * repeatedly collapse the internal node whose split buys the least impurity per extra
 * leaf, until only the root is left. Returns every tree of the sequence, largest first.
 */
export function pruningSequence(tree: Tree): Tree[] {
  const sequence: Tree[] = [compactTree(tree)];
  let current = sequence[0]!;
  while (current.nodes.length > 1) {
    const leaves = leafCounts(current);
    const subtreeImpurity = new Array<number>(current.nodes.length).fill(0);
    const visit = (id: number): number => {
      const n = current.nodes[id]!;
      subtreeImpurity[id] = n.test ? visit(n.left!) + visit(n.right!) : nodeImpurity(n);
      return subtreeImpurity[id]!;
    };
    visit(0);
    let weakest = -1;
    let weakestAlpha = Infinity;
    for (const n of current.nodes) {
      if (!n.test) continue;
      const alpha = (nodeImpurity(n) - subtreeImpurity[n.id]!) / (leaves[n.id]! - 1);
      if (alpha < weakestAlpha - 1e-12) {
        weakestAlpha = alpha;
        weakest = n.id;
      }
    }
    current = collapseNode(current, weakest);
    sequence.push(current);
  }
  return sequence;
}

/**
 * Collapse every split whose two sides are leaves deciding the same class, repeatedly:
 * the decisions stay exactly the same, with fewer and shorter rules.
 */
export function mergeSameClassLeaves(tree: Tree): Tree {
  let current = compactTree(tree);
  for (;;) {
    const target = current.nodes.find((n) => {
      if (!n.test) return false;
      const l = current.nodes[n.left!]!;
      const r = current.nodes[n.right!]!;
      return !l.test && !r.test && argMax(l.distribution) === argMax(r.distribution);
    });
    if (!target) return current;
    current = collapseNode(current, target.id);
  }
}

/** A copy of the tree where node `id` is replaced by its child on `side` (subtree raising). */
export function raiseChild(tree: Tree, id: number, side: 'left' | 'right'): Tree {
  const node = tree.nodes[id]!;
  const child = tree.nodes[side === 'left' ? node.left! : node.right!]!;
  const nodes = tree.nodes.map((n) =>
    n.id === id ? { ...child, id, depth: node.depth, count: node.count, weight: node.weight } : n,
  );
  return compactTree({ ...tree, nodes });
}

/** Leaves of a tree. */
export function leafCount(tree: Tree): number {
  return tree.nodes.filter((n) => !n.test).length;
}

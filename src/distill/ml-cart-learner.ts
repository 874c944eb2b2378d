import { DecisionTreeClassifier } from 'ml-cart';
import type { DataRecord, Schema } from '../data/types';
import type { Tree, TreeNode } from './types';

/** One input column of ml-cart: a numeric feature or one level of a categorical one. */
type MlCartColumn =
  | { feature: string; type: 'numeric'; fill: number }
  | { feature: string; type: 'level'; level: string };

/** Serialised ml-cart node, as `DecisionTreeClassifier.toJSON()` writes it. */
interface MlCartNode {
  splitValue?: number;
  splitColumn?: number;
  left?: MlCartNode;
  right?: MlCartNode;
  distribution?: number[][] | { data?: number[][] };
}

/** The matrix ml-cart learns from: numerics as they are (missing → mean), categoricals one-hot. */
export function mlCartColumns(schema: Schema): MlCartColumn[] {
  return schema.features.flatMap((f): MlCartColumn[] =>
    f.type === 'numeric'
      ? [{ feature: f.name, type: 'numeric', fill: f.mean }]
      : f.levels.map((level) => ({ feature: f.name, type: 'level', level })),
  );
}

function toRow(columns: MlCartColumn[], r: DataRecord): number[] {
  return columns.map((c) => {
    const v = r[c.feature];
    if (c.type === 'numeric') return typeof v === 'number' && Number.isFinite(v) ? v : c.fill;
    return v === c.level ? 1 : 0;
  });
}

/**
 * The reference learner: ml-cart's CART on hard labels, depth-limited to stay within the
 * rule budget (ml-cart has no leaf limit). Its tree is converted to neurules' form: a
 * one-hot test `level < 0.5` becomes `feature in [level]` with the sides swapped; a
 * missing numeric value goes where the feature's mean goes, a missing level goes right.
 */
export function growMlCart(
  schema: Schema,
  records: DataRecord[],
  labels: number[],
  maxLeaves: number,
): Tree {
  const columns = mlCartColumns(schema);
  const cart = new DecisionTreeClassifier({
    maxDepth: Math.max(0, Math.floor(Math.log2(maxLeaves))),
    minNumSamples: 3,
  });
  cart.train(
    records.map((r) => toRow(columns, r)),
    labels,
  );
  const model = cart.toJSON() as unknown as { root: MlCartNode };
  const K = schema.classes.length;
  const nodes: TreeNode[] = [];
  const convert = (src: MlCartNode, depth: number): number => {
    const node: TreeNode = {
      id: nodes.length,
      depth,
      count: 0,
      weight: 0,
      distribution: new Array<number>(K).fill(0),
    };
    nodes.push(node);
    if (src.left && src.right && src.splitColumn !== undefined && src.splitValue !== undefined) {
      const col = columns[src.splitColumn]!;
      const left = convert(src.left, depth + 1);
      const right = convert(src.right, depth + 1);
      if (col.type === 'numeric') {
        // ml-cart sends x < v left; for neurules x <= t left, t is the largest double below v.
        node.test = {
          type: 'numeric',
          feature: col.feature,
          threshold: previousDouble(src.splitValue),
          missing: col.fill < src.splitValue ? 'left' : 'right',
        };
        node.left = left;
        node.right = right;
      } else {
        node.test = {
          type: 'categorical',
          feature: col.feature,
          left: [col.level],
          missing: 'right',
        };
        node.left = right;
        node.right = left;
      }
    } else {
      const d = src.distribution;
      const row = Array.isArray(d) ? d[0] : d?.data?.[0];
      const values = Array.from({ length: K }, (_, k) => Number(row?.[k] ?? 0));
      const total = values.reduce((s, x) => s + x, 0);
      node.distribution = values.map((x) => (total > 0 ? x / total : 1 / K));
    }
    return node.id;
  };
  convert(model.root, 0);
  // Internal nodes' distributions: the mean of their leaves (only leaves decide).
  return { format: 'neurules.tree', version: 1, classes: [...schema.classes], nodes };
}

/** The largest double smaller than `x`. */
export function previousDouble(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  buf.setBigUint64(0, x > 0 ? bits - 1n : bits + 1n);
  return buf.getFloat64(0);
}

/** The smallest double larger than `x`. */
export function nextDouble(x: number): number {
  return -previousDouble(-x);
}

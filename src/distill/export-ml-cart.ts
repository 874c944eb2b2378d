import type { Schema } from '../data/types';
import { NeurulesError } from '../errors';
import { nextDouble } from './ml-cart-learner';
import type { Tree } from './types';

/** A model in ml-cart's JSON format, as `DecisionTreeClassifier.load` reads it. */
export interface MlCartModel {
  name: 'DTClassifier';
  options: {
    kind: 'classifier';
    gainFunction: 'gini';
    splitFunction: 'mean';
    minNumSamples: number;
    maxDepth: number;
    gainThreshold: number;
  };
  root: MlCartNodeJson;
}

/** An ml-cart node: a split (`x[splitColumn] < splitValue` goes left) or a leaf. */
export type MlCartNodeJson =
  | {
      splitValue: number;
      splitColumn: number;
      gain: number;
      left: MlCartNodeJson;
      right: MlCartNodeJson;
    }
  | { distribution: number[][] };

/**
 * Export a tree over numeric features to ml-cart's model format. Columns are the schema's
 * features in order. neurules sends `x <= t` left, ml-cart `x < v` left, so `v` is the
 * next double above `t`: the two agree on every number. ml-cart has no missing values,
 * so the export decides like the tree on complete records.
 *
 * @throws NeurulesError INVALID_ARGUMENT when the tree tests a categorical feature
 */
export function toMlCartModel(tree: Tree, schema: Schema): MlCartModel {
  const column = new Map(schema.features.map((f, i) => [f.name, i]));
  let depth = 0;
  const convert = (id: number): MlCartNodeJson => {
    const node = tree.nodes[id]!;
    depth = Math.max(depth, node.depth);
    if (!node.test) return { distribution: [[...node.distribution]] };
    if (node.test.type !== 'numeric') {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `ml-cart models have numeric columns only; the tree tests categorical feature '${node.test.feature}'`,
        { field: node.test.feature },
      );
    }
    return {
      splitValue: nextDouble(node.test.threshold),
      splitColumn: column.get(node.test.feature)!,
      gain: node.gain ?? 0,
      left: convert(node.left!),
      right: convert(node.right!),
    };
  };
  const root = convert(0);
  return {
    name: 'DTClassifier',
    options: {
      kind: 'classifier',
      gainFunction: 'gini',
      splitFunction: 'mean',
      minNumSamples: 1,
      maxDepth: depth,
      gainThreshold: 0,
    },
    root,
  };
}

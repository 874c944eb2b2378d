import type { DataRecord, Schema } from '../data/types';
import { growTree } from './grow-tree';
import { toColumns } from './tree-columns';
import type { Tree } from './types';

/** Labels records with class probabilities: row-major `records.length × classes`. */
export type ProbabilityOracle = (records: readonly DataRecord[]) => ArrayLike<number>;

/** Options of distillation. */
export interface DistillOptions {
  /** Most rules (tree leaves). @defaultValue 16 */
  maxRules?: number;
  /** Fewest training samples per rule. @defaultValue 1 */
  minSamplesLeaf?: number;
}

/**
 * Distil a network into a tree: the network labels the training records with its class
 * probabilities, and the tree learner fits those soft labels under the rule budget.
 */
export function distill(
  schema: Schema,
  records: DataRecord[],
  teacher: ProbabilityOracle,
  options: DistillOptions = {},
): Tree {
  const probabilities = teacher(records);
  const targets = Float64Array.from(probabilities);
  return growTree(
    {
      features: schema.features,
      columns: toColumns(schema.features, records),
      targets,
      classes: schema.classes,
    },
    { maxLeaves: options.maxRules ?? 16, minSamplesLeaf: options.minSamplesLeaf ?? 1 },
  );
}

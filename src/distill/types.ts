import type { DataRecord } from '../data/types';

/** A numeric test: records with `value <= threshold` go left, larger values go right. */
export interface NumericTest {
  type: 'numeric';
  feature: string;
  threshold: number;
  /** Where a missing value goes (learned: the side that lowers impurity, else the heavier side). */
  missing: 'left' | 'right';
}

/**
 * A categorical test: records whose level is in `left` go left; every other level,
 * including levels never seen in training, goes right.
 */
export interface CategoricalTest {
  type: 'categorical';
  feature: string;
  left: string[];
  missing: 'left' | 'right';
}

export type SplitTest = NumericTest | CategoricalTest;

/** One node of a tree; a leaf has no `test`. */
export interface TreeNode {
  id: number;
  depth: number;
  /** Training samples (real and synthetic) that reached the node. */
  count: number;
  /** Sum of sample weights that reached the node. */
  weight: number;
  /** Class probability mass at the node, normalised to sum 1 (soft labels). */
  distribution: number[];
  test?: SplitTest;
  /** Child node ids (indices into `Tree.nodes`), set together with `test`. */
  left?: number;
  right?: number;
  /** Weighted impurity decrease of this node's split. */
  gain?: number;
}

/** A learned decision tree: plain, serialisable data. Node 0 is the root. */
export interface Tree {
  format: 'neurules.tree';
  version: 1;
  classes: string[];
  nodes: TreeNode[];
}

/** The input of a feature column to the learner, as in the schema. */
export type FeatureSpec =
  { name: string; type: 'numeric' } | { name: string; type: 'categorical'; levels: string[] };

/**
 * Column-oriented training data: numeric columns hold numbers with NaN for missing;
 * categorical columns hold level indices with -1 for missing.
 */
export interface TrainingColumns {
  features: FeatureSpec[];
  columns: (Float64Array | Int32Array)[];
  /** Row-major n × classes.length soft targets (each row a probability vector). */
  targets: Float64Array;
  /** Optional per-sample weights (default 1). */
  weights?: Float64Array;
  /**
   * Optional per-class weights on the probability mass (default 1): the learner sees
   * `weights[i] × classWeights[k] × targets[i·K + k]`, so a rare class of the network
   * counts as much as the weights say in every split, leaf decision and refinement.
   * `balancedClassWeights` gives the weights that make each class's total mass equal.
   */
  classWeights?: readonly number[];
  classes: string[];
}

/** Labels records with class probabilities: row-major `records.length × classes`. */
export type ProbabilityOracle = (records: readonly DataRecord[]) => ArrayLike<number>;

/** The tree learners neurules offers. */
export type Learner = 'neurules' | 'ml-cart';

/** How synthetic records are drawn: `auto` tries each and keeps the validation winner. */
export type Sampling = 'auto' | 'none' | 'perturb' | 'nodes';

/** Per-rule figures: support in the training data, confidence, validation fidelity. */
export interface LeafStats {
  /** Real training records in the rule's region. */
  support: number;
  /** Share of those records the network assigns to the rule's class (null if none). */
  confidence: number | null;
  /** Validation records in the region. */
  validationSupport: number;
  /** Share of those where the network agrees with the rule (null if none). */
  validationFidelity: number | null;
}

/**
 * Class weights on the network's probability mass: `none`, `balanced` (every class the
 * network answers gets the same total mass) or `sqrt` (the square roots: half way).
 */
export type ClassWeighting = 'none' | 'sqrt' | 'balanced';

/** What distillation chose and why, for reports. */
export interface DistillReport {
  learner: Learner;
  sampling: Exclude<Sampling, 'auto'>;
  /** The class weighting of the chosen tree (absent in models built before it existed). */
  classWeights?: ClassWeighting;
  samples: number;
  /**
   * Each candidate tried, measured on the validation records pooled with records near
   * them: plain and balanced fidelity (selection maximises their mean).
   */
  candidates: {
    sampling: string;
    classWeights?: ClassWeighting;
    leaves: number;
    validationFidelity: number;
    validationBalancedFidelity?: number;
  }[];
  validationFidelity: number;
  validationBalancedFidelity?: number;
  leavesBeforeSimplify: number;
  leaves: number;
  /** How many classes the network answers on the training records. */
  classesAnswered?: number;
  /** Classes the network answers on the training records that no rule decides. */
  classesWithoutRule?: string[];
}

import { NeurulesError } from '../errors';
import { type Binned, binColumn, MISSING, thresholdAfter } from './bin-columns';
import type { SplitTest, Tree, TreeNode, TrainingColumns } from './types';

/** Options of the tree learner. */
export interface GrowOptions {
  /** Most leaves the tree may have (best-first growth). @defaultValue 16 */
  maxLeaves?: number;
  /** Deepest a leaf may be (root = 0). @defaultValue 32 */
  maxDepth?: number;
  /** Fewest samples in a leaf. @defaultValue 1 */
  minSamplesLeaf?: number;
  /** Smallest weighted impurity decrease worth a split, as a fraction of the root's weight. @defaultValue 0 */
  minImpurityDecrease?: number;
  /** Most bins per numeric feature; more distinct values are binned by quantile. @defaultValue 255 */
  maxBins?: number;
}

/** Candidate split of one open leaf. */
interface Candidate {
  gain: number;
  feature: number;
  /** Numeric: last bin going left. */
  cutBin: number;
  /** Categorical: bins going left. */
  leftBins: number[] | null;
  missingLeft: boolean;
}

interface OpenLeaf {
  node: TreeNode;
  samples: Uint32Array;
  histogram: Float64Array[];
  best: Candidate | null;
}

/**
 * Learn a decision tree on soft targets (class-probability vectors) with sample weights.
 *
 * Numeric features are histogram-binned once (exact when a feature has at most `maxBins`
 * distinct values, quantile bins otherwise), so a node costs O(samples × features) and a
 * sibling's histogram is the parent's minus the other child's. Impurity is Gini on summed
 * probability mass. Categorical features split natively into a set of levels vs the rest
 * (levels ordered by class probability). Each split learns where missing values go.
 * Growth is best-first until `maxLeaves`. Deterministic: ties keep the first feature.
 *
 * @example
 * const tree = growTree(columns, { maxLeaves: 16 });
 */
export function growTree(data: TrainingColumns, options: GrowOptions = {}): Tree {
  const maxLeaves = options.maxLeaves ?? 16;
  const maxDepth = options.maxDepth ?? 32;
  const minLeaf = Math.max(1, options.minSamplesLeaf ?? 1);
  const maxBins = Math.min(options.maxBins ?? 255, 0xfffe);
  const K = data.classes.length;
  const n = data.targets.length / K;
  if (!Number.isInteger(n) || n < 1) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `growTree needs at least one sample with ${K} class targets`,
    );
  }
  checkClassWeights(data);
  if (!Number.isInteger(maxLeaves) || maxLeaves < 1) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `maxLeaves must be a whole number ≥ 1, found ${maxLeaves}`,
      {
        field: 'maxLeaves',
      },
    );
  }
  // Weighted targets: mass[i*K + k] = w_i * c_k * p_ik.
  const mass = weightedMass(data);
  const binned = data.features.map((f, j) => binColumn(data.columns[j]!, f, maxBins));
  const stride = K + 2; // per bin: K class masses, weight, count
  const rootSamples = new Uint32Array(n);
  for (let i = 0; i < n; i++) rootSamples[i] = i;

  const nodes: TreeNode[] = [];
  const makeNode = (depth: number, sums: Float64Array): TreeNode => {
    const weight = sums[K]!;
    const distribution = Array.from({ length: K }, (_, k) =>
      weight > 0 ? sums[k]! / weight : 1 / K,
    );
    const node: TreeNode = { id: nodes.length, depth, count: sums[K + 1]!, weight, distribution };
    nodes.push(node);
    return node;
  };

  const buildHistogram = (samples: Uint32Array): Float64Array[] =>
    binned.map((b) => {
      const h = new Float64Array((b.binCount + 1) * stride);
      const bins = b.bins;
      for (let s = 0; s < samples.length; s++) {
        const i = samples[s]!;
        const raw = bins[i]!;
        const o = (raw === MISSING ? b.binCount : raw) * stride;
        let w = 0;
        for (let k = 0; k < K; k++) {
          const m = mass[i * K + k]!;
          h[o + k]! += m;
          w += m;
        }
        h[o + K]! += w;
        h[o + K + 1]! += 1;
      }
      return h;
    });

  const totals = (h: Float64Array, binCount: number): Float64Array => {
    const t = new Float64Array(stride);
    for (let b = 0; b <= binCount; b++)
      for (let c = 0; c < stride; c++) t[c]! += h[b * stride + c]!;
    return t;
  };

  const rootHistogram = buildHistogram(rootSamples);
  const rootSums = totals(rootHistogram[0] ?? new Float64Array(stride), binned[0]?.binCount ?? 0);
  if (binned.length === 0) {
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) rootSums[k]! += mass[i * K + k]!;
      rootSums[K]! += sumRow(mass, i, K);
      rootSums[K + 1]! += 1;
    }
  }
  const minGain = (options.minImpurityDecrease ?? 0) * rootSums[K]!;
  const root = makeNode(0, rootSums);

  const finder = new SplitFinder(K, minLeaf);
  const evaluate = (leaf: OpenLeaf): void => {
    leaf.best = null;
    if (leaf.node.depth >= maxDepth || leaf.node.count < 2 * minLeaf) return;
    let best: Candidate | null = null;
    for (let j = 0; j < binned.length; j++) {
      const c = finder.best(binned[j]!, leaf.histogram[j]!, j);
      if (c && c.gain > minGain + 1e-12 && (!best || c.gain > best.gain + 1e-12)) best = c;
    }
    leaf.best = best;
  };

  const open: OpenLeaf[] = [];
  const rootLeaf: OpenLeaf = {
    node: root,
    samples: rootSamples,
    histogram: rootHistogram,
    best: null,
  };
  evaluate(rootLeaf);
  open.push(rootLeaf);
  let leaves = 1;
  while (leaves < maxLeaves) {
    // Best-first: the open leaf with the largest gain (first one on ties).
    let pick = -1;
    for (let o = 0; o < open.length; o++) {
      const g = open[o]!.best?.gain;
      if (g !== undefined && (pick < 0 || g > open[pick]!.best!.gain + 1e-12)) pick = o;
    }
    if (pick < 0) break;
    const leaf = open[pick]!;
    const cand = leaf.best!;
    open.splice(pick, 1);
    const b = binned[cand.feature]!;
    const goesLeft = new Uint8Array(b.binCount + 1);
    if (b.kind === 'numeric') for (let bin = 0; bin <= cand.cutBin; bin++) goesLeft[bin] = 1;
    else for (const bin of cand.leftBins!) goesLeft[bin] = 1;
    goesLeft[b.binCount] = cand.missingLeft ? 1 : 0;
    const leftIdx: number[] = [];
    const rightIdx: number[] = [];
    for (let s = 0; s < leaf.samples.length; s++) {
      const i = leaf.samples[s]!;
      const raw = b.bins[i]!;
      if (goesLeft[raw === MISSING ? b.binCount : raw]) leftIdx.push(i);
      else rightIdx.push(i);
    }
    const leftSamples = Uint32Array.from(leftIdx);
    const rightSamples = Uint32Array.from(rightIdx);
    // Build the smaller child's histogram, subtract for the larger one.
    const smallIsLeft = leftSamples.length <= rightSamples.length;
    const small = buildHistogram(smallIsLeft ? leftSamples : rightSamples);
    const large = leaf.histogram.map((h, j) => {
      const out = new Float64Array(h.length);
      const sh = small[j]!;
      for (let c = 0; c < h.length; c++) out[c] = h[c]! - sh[c]!;
      return out;
    });
    const leftHist = smallIsLeft ? small : large;
    const rightHist = smallIsLeft ? large : small;
    const depth = leaf.node.depth + 1;
    const sumsOf = (hist: Float64Array[], samples: Uint32Array): Float64Array =>
      hist.length > 0 ? totals(hist[0]!, binned[0]!.binCount) : samplesSums(mass, samples, K);
    const leftNode = makeNode(depth, sumsOf(leftHist, leftSamples));
    const rightNode = makeNode(depth, sumsOf(rightHist, rightSamples));
    leaf.node.test = toTest(data.features[cand.feature]!.name, b, cand);
    leaf.node.left = leftNode.id;
    leaf.node.right = rightNode.id;
    leaf.node.gain = cand.gain;
    for (const [node, samples, histogram] of [
      [leftNode, leftSamples, leftHist],
      [rightNode, rightSamples, rightHist],
    ] as const) {
      const child: OpenLeaf = { node, samples, histogram, best: null };
      evaluate(child);
      open.push(child);
    }
    leaves += 1;
  }
  return { format: 'neurules.tree', version: 1, classes: [...data.classes], nodes };
}

function sumRow(mass: Float64Array, i: number, K: number): number {
  let s = 0;
  for (let k = 0; k < K; k++) s += mass[i * K + k]!;
  return s;
}

function samplesSums(mass: Float64Array, samples: Uint32Array, K: number): Float64Array {
  const t = new Float64Array(K + 2);
  for (const i of samples) {
    for (let k = 0; k < K; k++) t[k]! += mass[i * K + k]!;
    t[K]! += sumRow(mass, i, K);
    t[K + 1]! += 1;
  }
  return t;
}

function toTest(feature: string, b: Binned, c: Candidate): SplitTest {
  const missing = c.missingLeft ? 'left' : 'right';
  if (b.kind === 'numeric') {
    // Midway between the largest value going left and the smallest going right.
    const threshold = thresholdAfter(b, c.cutBin);
    return { type: 'numeric', feature, threshold, missing };
  }
  const left = [...c.leftBins!].sort((x, y) => x - y).map((bin) => b.levels[bin]!);
  return { type: 'categorical', feature, left, missing };
}

/** Finds the best split of one feature from a node's histogram. Reuses its buffers. */
class SplitFinder {
  private readonly K: number;
  private readonly minLeaf: number;
  private readonly left: Float64Array;
  private readonly total: Float64Array;
  private readonly tmp: Float64Array;

  constructor(K: number, minLeaf: number) {
    this.K = K;
    this.minLeaf = minLeaf;
    this.left = new Float64Array(K + 2);
    this.total = new Float64Array(K + 2);
    this.tmp = new Float64Array(K + 2);
  }

  /** Weighted Gini impurity W·G = W − Σ m²/W of a stats vector (masses, weight, count). */
  private impurity(s: Float64Array): number {
    const W = s[this.K]!;
    if (W <= 0) return 0;
    let q = 0;
    for (let k = 0; k < this.K; k++) q += s[k]! * s[k]!;
    return W - q / W;
  }

  /** Impurity of total − part. */
  private impurityRest(part: Float64Array): number {
    for (let c = 0; c < this.K + 2; c++) this.tmp[c] = this.total[c]! - part[c]!;
    return this.impurity(this.tmp);
  }

  best(b: Binned, h: Float64Array, feature: number): Candidate | null {
    const K = this.K;
    const stride = K + 2;
    const total = this.total;
    total.fill(0);
    for (let bin = 0; bin <= b.binCount; bin++)
      for (let c = 0; c < stride; c++) total[c]! += h[bin * stride + c]!;
    const parent = this.impurity(total);
    const mo = b.binCount * stride; // missing stats offset
    const hasMissing = h[mo + K + 1]! > 0;
    let orders: Int32Array[];
    if (b.kind === 'numeric') {
      const all = new Int32Array(b.binCount);
      for (let bin = 0; bin < b.binCount; bin++) all[bin] = bin;
      orders = [all];
    } else {
      const present: number[] = [];
      for (let bin = 0; bin < b.binCount; bin++)
        if (h[bin * stride + K + 1]! > 0) present.push(bin);
      if (present.length < 2) return null;
      // Levels sorted by each class's probability (one ordering suffices for two classes).
      orders = [];
      for (let k = K === 2 ? 1 : 0; k < K; k++) {
        const sorted = [...present].sort((x, y) => {
          const px = h[x * stride + k]! / (h[x * stride + K]! || 1);
          const py = h[y * stride + k]! / (h[y * stride + K]! || 1);
          return px - py || x - y;
        });
        orders.push(Int32Array.from(sorted));
      }
    }
    let bestGain = -Infinity;
    let bestOrder = -1;
    let bestPosition = -1;
    let bestMissingLeft = false;
    const left = this.left;
    const numeric = b.kind === 'numeric';
    const totalCount = total[K + 1]!;
    for (let o = 0; o < orders.length; o++) {
      const bins = orders[o]!;
      left.fill(0);
      for (let p = 0; p < bins.length - 1; p++) {
        const offset = bins[p]! * stride;
        for (let c = 0; c < stride; c++) left[c]! += h[offset + c]!;
        if (numeric && h[offset + K + 1]! === 0) continue; // an empty bin: the same split as before
        // Missing values right, then (if there are any) left.
        for (let side = 0; side < (hasMissing ? 2 : 1); side++) {
          if (side === 1) for (let c = 0; c < stride; c++) left[c]! += h[mo + c]!;
          const leftCount = left[K + 1]!;
          if (leftCount >= this.minLeaf && totalCount - leftCount >= this.minLeaf) {
            const gain = parent - this.impurity(left) - this.impurityRest(left);
            if (gain > bestGain + 1e-12) {
              bestGain = gain;
              bestOrder = o;
              bestPosition = p;
              bestMissingLeft = side === 1;
            }
          }
          if (side === 1) for (let c = 0; c < stride; c++) left[c]! -= h[mo + c]!;
        }
      }
    }
    if (bestOrder < 0) return null;
    const bins = orders[bestOrder]!;
    const best: Candidate = {
      gain: bestGain,
      feature,
      cutBin: bins[bestPosition]!,
      leftBins: numeric ? null : Array.from(bins.subarray(0, bestPosition + 1)),
      missingLeft: bestMissingLeft,
    };
    if (!hasMissing) {
      // No missing values here: they follow the heavier side.
      let leftWeight = 0;
      for (let p = 0; p <= bestPosition; p++) leftWeight += h[bins[p]! * stride + K]!;
      best.missingLeft = leftWeight >= total[K]! - leftWeight;
    }
    return best;
  }
}

/** The learner's mass of each sample and class: sample weight × class weight × target. */
export function weightedMass(data: TrainingColumns): Float64Array {
  const K = data.classes.length;
  const n = data.targets.length / K;
  const mass = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const w = data.weights ? (data.weights[i] ?? 1) : 1;
    for (let k = 0; k < K; k++)
      mass[i * K + k] = w * (data.classWeights?.[k] ?? 1) * (data.targets[i * K + k] ?? 0);
  }
  return mass;
}

/** INVALID_ARGUMENT unless `classWeights` (when given) has one finite weight > 0 per class. */
export function checkClassWeights(data: TrainingColumns): void {
  const w = data.classWeights;
  if (w === undefined) return;
  if (w.length !== data.classes.length || !w.every((x) => Number.isFinite(x) && x > 0)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `classWeights: expected ${data.classes.length} finite weights > 0 (one per class), found [${w.join(', ')}]`,
      { field: 'classWeights' },
    );
  }
}

/**
 * Class weights that give every class the network predicts the same total mass:
 * `n / (K' × n_k)` for the K' classes that are the network's answer on some sample,
 * where n_k counts those samples (as scikit-learn's `class_weight='balanced'`). A class
 * the network never answers keeps weight 1. `labels` are the network's hard labels.
 */
export function balancedClassWeights(labels: ArrayLike<number>, K: number): number[] {
  const counts = new Array<number>(K).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? labels.length / (present * c) : 1));
}

import { type Binned, binColumn, MISSING, thresholdAfter } from './bin-columns';
import { argMax } from '../arg-max';
import type { SplitTest, Tree, TrainingColumns, TreeNode } from './types';

/** Options of {@link refineTree}. */
export interface RefineOptions {
  /** Passes over all splits. @defaultValue 4 */
  passes?: number;
  /** @defaultValue 255 */
  maxBins?: number;
}

/**
 * Tree alternating optimisation (after Carreira-Perpiñán and Tavallali, 2018): keep the
 * tree's shape and improve its splits to agree with the network more often.
 *
 * Greedy growth picks each split for impurity, never revisiting it once the subtrees below
 * exist. Here every split is re-chosen, deepest first, for the subtrees it already has: a
 * sample "prefers" the side whose subtree decides its network class when the other side
 * does not, and the new split (any feature, threshold or level set, and missing
 * direction) sends the most preferring weight the preferred way. That is the exact best
 * split for the rest of the tree fixed, so no pass lowers agreement on the samples. Leaf
 * distributions are then refitted from the samples' soft labels.
 */
export function refineTree(tree: Tree, data: TrainingColumns, options: RefineOptions = {}): Tree {
  const passes = options.passes ?? 4;
  const K = data.classes.length;
  const n = data.targets.length / K;
  const binned = data.features.map((f, j) =>
    binColumn(data.columns[j]!, f, options.maxBins ?? 255),
  );
  const featureIndex = new Map(data.features.map((f, j) => [f.name, j]));
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = argMax(data.targets.subarray(i * K, (i + 1) * K));
  // A sample's say in the objective: its weight times its network class's weight, so with
  // balanced class weights the objective is balanced agreement.
  const weight = (i: number): number =>
    (data.weights ? (data.weights[i] ?? 1) : 1) * (data.classWeights?.[labels[i]!] ?? 1);

  let nodes: TreeNode[] = tree.nodes.map((node) => structuredClone(node));
  const compiled = (): CompiledTests => compileTests(nodes, featureIndex, data);

  for (let pass = 0; pass < passes; pass++) {
    let changed = false;
    const internal = nodes
      .filter((node) => node.test)
      .sort((a, b) => b.depth - a.depth || a.id - b.id);
    for (const node of internal) {
      const tests = compiled();
      const decide = nodes.map((x) => argMax(x.distribution));
      const reach: number[] = [];
      for (let i = 0; i < n; i++) if (reaches(nodes, tests, node.id, i)) reach.push(i);
      if (reach.length < 2) continue;
      const prefer = new Int8Array(reach.length); // 1 left, -1 right, 0 either
      reach.forEach((i, s) => {
        const l = decide[leafFrom(nodes, tests, node.left!, i)] === labels[i];
        const r = decide[leafFrom(nodes, tests, node.right!, i)] === labels[i];
        prefer[s] = l && !r ? 1 : r && !l ? -1 : 0;
      });
      let currentError = 0;
      reach.forEach((i, s) => {
        const left = tests.goesLeft(node.id, i);
        if ((prefer[s] === 1 && !left) || (prefer[s] === -1 && left)) currentError += weight(i);
      });
      if (currentError === 0) continue;
      let best: { error: number; test: SplitTest } | null = null;
      for (let j = 0; j < binned.length; j++) {
        const found = bestStump(binned[j]!, data.features[j]!.name, reach, prefer, weight);
        if (found && found.error < (best?.error ?? Infinity) - 1e-9) best = found;
      }
      if (best && best.error < currentError - 1e-9) {
        node.test = best.test;
        changed = true;
      }
    }
    nodes = refit(nodes, compiled(), data, K);
    if (!changed) break;
  }
  return { ...tree, nodes };
}

interface CompiledTests {
  goesLeft(nodeId: number, i: number): boolean;
}

function compileTests(
  nodes: TreeNode[],
  featureIndex: Map<string, number>,
  data: TrainingColumns,
): CompiledTests {
  const fns = nodes.map((node): ((i: number) => boolean) => {
    const t = node.test;
    if (!t) return () => false;
    const col = data.columns[featureIndex.get(t.feature)!]!;
    const missingLeft = t.missing === 'left';
    if (t.type === 'numeric') {
      const threshold = t.threshold;
      return (i) => {
        const v = col[i]!;
        return Number.isNaN(v) ? missingLeft : v <= threshold;
      };
    }
    const spec = data.features[featureIndex.get(t.feature)!]!;
    const levels = spec.type === 'categorical' ? spec.levels : [];
    const left = new Uint8Array(levels.length);
    for (const level of t.left) {
      const k = levels.indexOf(level);
      if (k >= 0) left[k] = 1;
    }
    return (i) => {
      const v = col[i]!;
      if (v === -1) return missingLeft;
      return v >= 0 && left[v] === 1;
    };
  });
  return { goesLeft: (nodeId, i) => fns[nodeId]!(i) };
}

function reaches(nodes: TreeNode[], tests: CompiledTests, target: number, i: number): boolean {
  let node = nodes[0]!;
  while (node.id !== target) {
    if (!node.test) return false;
    node = nodes[tests.goesLeft(node.id, i) ? node.left! : node.right!]!;
  }
  return true;
}

function leafFrom(nodes: TreeNode[], tests: CompiledTests, start: number, i: number): number {
  let node = nodes[start]!;
  while (node.test) node = nodes[tests.goesLeft(node.id, i) ? node.left! : node.right!]!;
  return node.id;
}

/** The split of one feature that sends the most preferring weight its preferred way. */
function bestStump(
  b: Binned,
  feature: string,
  reach: number[],
  prefer: Int8Array,
  weight: (i: number) => number,
): { error: number; test: SplitTest } | null {
  const size = b.binCount + 1;
  const wantLeft = new Float64Array(size);
  const wantRight = new Float64Array(size);
  const count = new Float64Array(size);
  reach.forEach((i, s) => {
    const raw = b.bins[i]!;
    const bin = raw === MISSING ? b.binCount : raw;
    count[bin]! += 1;
    if (prefer[s] === 1) wantLeft[bin]! += weight(i);
    else if (prefer[s] === -1) wantRight[bin]! += weight(i);
  });
  const m = b.binCount;
  // Missing values go where they prefer; with no preference, where most samples go.
  const missingChoice = (
    leftCount: number,
    rightCount: number,
  ): { left: boolean; error: number } => {
    if (wantLeft[m]! !== wantRight[m]!) {
      const left = wantLeft[m]! > wantRight[m]!;
      return { left, error: left ? wantRight[m]! : wantLeft[m]! };
    }
    return { left: leftCount >= rightCount, error: wantLeft[m]! };
  };
  let total = 0;
  for (let bin = 0; bin < m; bin++) total += count[bin]!;
  if (b.kind === 'categorical') {
    let error = 0;
    let leftCount = 0;
    const left: string[] = [];
    for (let bin = 0; bin < m; bin++) {
      if (count[bin]! === 0) continue;
      if (wantLeft[bin]! > wantRight[bin]!) {
        left.push(b.levels[bin]!);
        error += wantRight[bin]!;
        leftCount += count[bin]!;
      } else error += wantLeft[bin]!;
    }
    const missing = missingChoice(leftCount, total - leftCount);
    const sideCounts = [
      leftCount + (missing.left ? count[m]! : 0),
      total - leftCount + (missing.left ? 0 : count[m]!),
    ];
    if (left.length === 0 || sideCounts[0] === 0 || sideCounts[1] === 0) return null;
    return {
      error: error + missing.error,
      test: { type: 'categorical', feature, left, missing: missing.left ? 'left' : 'right' },
    };
  }
  let rightWantLeft = 0;
  for (let bin = 0; bin < m; bin++) rightWantLeft += wantLeft[bin]!;
  let leftWantRight = 0;
  let leftCount = 0;
  let best: { error: number; test: SplitTest } | null = null;
  for (let cut = 0; cut < m - 1; cut++) {
    leftWantRight += wantRight[cut]!;
    rightWantLeft -= wantLeft[cut]!;
    leftCount += count[cut]!;
    if (count[cut]! === 0 || leftCount === 0 || leftCount === total) continue;
    const missing = missingChoice(leftCount, total - leftCount);
    const error = leftWantRight + rightWantLeft + missing.error;
    if (!best || error < best.error - 1e-9) {
      best = {
        error,
        test: {
          type: 'numeric',
          feature,
          threshold: thresholdAfter(b, cut),
          missing: missing.left ? 'left' : 'right',
        },
      };
    }
  }
  return best;
}

function refit(
  nodes: TreeNode[],
  tests: CompiledTests,
  data: TrainingColumns,
  K: number,
): TreeNode[] {
  const n = data.targets.length / K;
  const mass = nodes.map(() => new Float64Array(K));
  const counts = new Float64Array(nodes.length);
  for (let i = 0; i < n; i++) {
    const w = data.weights ? (data.weights[i] ?? 1) : 1;
    let node = nodes[0]!;
    for (;;) {
      counts[node.id]! += 1;
      for (let k = 0; k < K; k++)
        mass[node.id]![k]! += w * (data.classWeights?.[k] ?? 1) * data.targets[i * K + k]!;
      if (!node.test) break;
      node = nodes[tests.goesLeft(node.id, i) ? node.left! : node.right!]!;
    }
  }
  return nodes.map((node) => {
    const m = mass[node.id]!;
    const weight = m.reduce((s, x) => s + x, 0);
    const distribution = weight > 0 ? Array.from(m, (x) => x / weight) : [...node.distribution];
    return { ...node, count: counts[node.id]!, weight, distribution };
  });
}

import type { DataRecord, Schema } from '../data/types';
import { NeurulesError } from '../errors';
import { classFidelity } from '../fidelity';
import { createRandom } from '../random';
import { balancedClassWeights, growTree, weightedMass } from './grow-tree';
import { growMlCart } from './ml-cart-learner';
import { argMax } from './predict-tree';
import {
  compactTree,
  leafCount,
  mergeSameClassLeaves,
  pruningSequence,
  raiseChild,
} from './prune-tree';
import { decideRecords, refitTree, routeRecords } from './route-records';
import { perturbRecords } from './sample-records';
import { roundThresholds } from './round-thresholds';
import { toColumns } from './tree-columns';
import { refineTree } from './refine-tree';
import type {
  ClassWeighting,
  DistillReport,
  LeafStats,
  Learner,
  ProbabilityOracle,
  Sampling,
  Tree,
  TrainingColumns,
} from './types';

/** Options of {@link distill}. */
export interface DistillOptions {
  /** Most rules (tree leaves). @defaultValue 16 */
  maxRules?: number;
  /** Fewest training samples (real and synthetic) per rule. @defaultValue 5 */
  minSamplesLeaf?: number;
  /** @defaultValue 'neurules' */
  learner?: Learner;
  /** @defaultValue 'auto' */
  sampling?: Sampling;
  /** Synthetic records to draw. @defaultValue 20 per training record, between 2,000 and 50,000 */
  samples?: number;
  /** Re-optimise the chosen tree's splits for agreement with the network. @defaultValue true */
  refine?: boolean;
  /** Merge, raise and round after learning. @defaultValue true */
  simplify?: boolean;
  /** Seed of sampling. @defaultValue 42 */
  seed?: number;
  /** Progress of the steps. */
  onProgress?: (message: string) => void;
}

/** The distilled tree with per-leaf statistics. */
export interface Distillation {
  tree: Tree;
  leafStats: Map<number, LeafStats>;
  report: DistillReport;
}

/**
 * Distil a network into a tree of at most `maxRules` leaves.
 *
 * 1. The network labels the training records (and, with sampling, synthetic records near
 *    them) with its class probabilities: soft labels.
 * 2. The learner grows a tree past the budget; cost-complexity pruning gives a sequence of
 *    smaller trees, and the one within budget with the best validation fidelity is kept
 *    (sampling strategies compete the same way).
 * 3. Simplification: sibling leaves deciding the same class merge; a split is removed
 *    (its child raised) when that changes no decision on the training and synthetic
 *    records; thresholds are rounded to the fewest significant digits that keep the
 *    validation fidelity.
 */
export function distill(
  schema: Schema,
  train: DataRecord[],
  validation: DataRecord[],
  teacher: ProbabilityOracle,
  options: DistillOptions = {},
): Distillation {
  const maxRules = options.maxRules ?? 16;
  const learner = options.learner ?? 'neurules';
  const simplify = options.simplify ?? true;
  const refine = options.refine ?? true;
  const minLeaf = options.minSamplesLeaf ?? 5;
  const progress = options.onProgress ?? (() => {});
  checkDistillOptions(options);
  const K = schema.classes.length;
  const random = createRandom((options.seed ?? 42) ^ 0x5eed);
  const trainProbabilities = Float64Array.from(teacher(train));
  const trainLabels = hardLabels(trainProbabilities, K);
  const validationLabels = hardLabels(teacher(validation), K);
  // Class weightings that compete: none, and, when the network's answers are imbalanced,
  // the balanced weights and their square root (half way).
  const balanced = balancedClassWeights(trainLabels, K);
  const weightings: { name: ClassWeighting; weights?: number[] }[] = [{ name: 'none' }];
  if (learner === 'neurules' && balanced.some((w) => Math.abs(w - 1) > 0.05)) {
    weightings.push({ name: 'sqrt', weights: balanced.map(Math.sqrt) });
    weightings.push({ name: 'balanced', weights: balanced });
  }
  const answered = new Set(trainLabels);

  const sampleCount = options.samples ?? Math.min(50_000, Math.max(2_000, 20 * train.length));
  const strategies: Exclude<Sampling, 'auto'>[] =
    options.sampling === undefined || options.sampling === 'auto'
      ? ['none', 'perturb', 'nodes']
      : [options.sampling];
  // ml-cart is quadratic in the samples: it learns from the real records only.
  const usable = learner === 'ml-cart' ? ['none' as const] : strategies;

  // Candidates are scored on the validation records pooled with network-labelled records
  // near them: a few hundred real records alone are too noisy a judge.
  const nearValidation = perturbRecords(schema, validation, random, {
    count: Math.min(20_000, Math.max(2_000, 20 * validation.length)),
    changeRate: 0.2,
    noise: 0.3,
  });
  const pooled = validation.concat(nearValidation);
  const pooledLabels = validationLabels.concat(hardLabels(teacher(nearValidation), K));
  // The selection score counts every class: the mean of plain and balanced fidelity.
  const measure = (tree: Tree) => fidelityOf(tree, pooled, pooledLabels);

  const candidates: DistillReport['candidates'] = [];
  /** The tree each sampling, class weighting and objective picks, refined. */
  const picks: {
    tree: Tree;
    fidelity: { plain: number; balanced: number };
    sampling: Exclude<Sampling, 'auto'>;
    weighting: ClassWeighting;
    records: DataRecord[];
    /** The targets as the learner weighed them (class weights applied). */
    targets: Float64Array;
  }[] = [];
  for (const sampling of usable) {
    let records = train;
    let targets = trainProbabilities;
    if (sampling === 'perturb' || sampling === 'nodes') {
      progress(`sampling ${sampleCount} synthetic records`);
      // Half close to the data (a few features nudged), half further out; when the
      // network's answers are imbalanced, a third of them instead near the records of each
      // of its classes in equal numbers, so its rare classes are sampled as densely.
      const strata = weightings.length > 1 ? Math.floor(sampleCount / 3) : 0;
      const half = Math.floor((sampleCount - strata) / 2);
      const synthetic = perturbRecords(schema, train, random, {
        count: half,
        changeRate: 0.2,
        noise: 0.3,
      }).concat(
        perturbRecords(schema, train, random, {
          count: sampleCount - strata - half,
          changeRate: 0.5,
          noise: 1,
        }),
        perturbRecords(schema, train, random, {
          count: strata,
          changeRate: 0.2,
          noise: 0.3,
          strata: trainLabels,
        }),
      );
      records = train.concat(synthetic);
      targets = new Float64Array(records.length * K);
      targets.set(trainProbabilities);
      targets.set(Float64Array.from(teacher(synthetic)), train.length * K);
    }
    if (sampling === 'nodes') {
      // TREPAN's node sampling: a first tree shows which regions hold few records; more
      // records are drawn inside each of them (perturbations that stay in the region).
      const first = growTree(
        {
          features: schema.features,
          columns: toColumns(schema.features, records),
          targets,
          classes: schema.classes,
        },
        { maxLeaves: Math.max(maxRules * 4, 32), minSamplesLeaf: minLeaf },
      );
      const extra = sampleThinLeaves(
        schema,
        first,
        records,
        random,
        Math.ceil(records.length / (maxRules * 4)),
      );
      progress(`sampling ${extra.length} more records inside thin regions`);
      if (extra.length > 0) {
        const more = new Float64Array((records.length + extra.length) * K);
        more.set(targets);
        more.set(Float64Array.from(teacher(extra)), records.length * K);
        records = records.concat(extra);
        targets = more;
      }
    }
    const featureColumns = toColumns(schema.features, records);
    progress(
      `learning trees (${learner}, sampling ${sampling}, ${records.length} records, class weights ${weightings.map((w) => w.name).join(', ')})`,
    );
    for (const weighting of weightings) {
      const columns: TrainingColumns = {
        features: schema.features,
        columns: featureColumns,
        targets,
        classes: schema.classes,
        ...(weighting.weights && { classWeights: weighting.weights }),
      };
      let trees: Tree[];
      if (learner === 'ml-cart')
        trees = [growMlCart(schema, records, hardLabels(targets, K), maxRules)];
      else {
        const big = growTree(columns, {
          maxLeaves: Math.max(maxRules * 4, 32),
          minSamplesLeaf: minLeaf,
        });
        trees = pruningSequence(big).filter((t) => leafCount(t) <= maxRules);
      }
      const measured = trees.map((tree) => measure(tree));
      trees.forEach((tree, i) =>
        candidates.push({
          sampling,
          classWeights: weighting.name,
          leaves: leafCount(tree),
          validationFidelity: measured[i]!.plain,
          validationBalancedFidelity: measured[i]!.balanced,
        }),
      );
      const weighedTargets = weighting.weights ? weightedMass(columns) : targets;
      // Unweighted trees are picked twice: for plain fidelity (as before balanced fidelity
      // counted) and for the selection score; weighted ones for the selection score.
      const objectives: ((f: { plain: number; balanced: number }) => number)[] = weighting.weights
        ? [selectionScore]
        : [(f) => f.plain, selectionScore];
      for (const objective of objectives) {
        // The pruning strength: the largest tree of the sequence whose score is within one
        // standard error of the best. The network's labels carry no noise to overfit, so a
        // smaller tree must be clearly better to be preferred; a noisy edge is not enough.
        const scores = measured.map(objective);
        const top = Math.max(...scores);
        const standardError = Math.sqrt((top * (1 - top)) / Math.max(1, validation.length));
        const chosenIndex = scores.findIndex((x) => x >= top - standardError);
        let pick = trees[chosenIndex]!;
        let fidelity = measured[chosenIndex]!;
        if (learner === 'neurules' && refine) {
          const refined = refineTree(pick, columns);
          const f = measure(refined);
          if (objective(f) >= objective(fidelity)) {
            pick = refined;
            fidelity = f;
          }
        }
        picks.push({
          tree: pick,
          fidelity,
          sampling,
          weighting: weighting.name,
          records,
          targets: weighedTargets,
        });
      }
    }
  }
  // Across the picks: the best selection score among those whose plain fidelity is within
  // PLAIN_TOLERANCE of the best plain fidelity, so following the rare classes better never
  // costs more than that of the agreement on all records.
  const topPlain = Math.max(...picks.map((p) => p.fidelity.plain));
  let best: (typeof picks)[number] | null = null;
  for (const p of picks) {
    if (p.fidelity.plain < topPlain - PLAIN_TOLERANCE) continue;
    if (!best || selectionScore(p.fidelity) > selectionScore(best.fidelity) + 1e-9) best = p;
  }
  const chosen = best!;
  let tree = chosen.tree;
  const leavesBeforeSimplify = leafCount(tree);
  if (simplify) {
    progress('simplifying the rules');
    const wholeNumbers = new Set(
      schema.features.filter((f) => f.type === 'numeric' && f.integer).map((f) => f.name),
    );
    tree = simplifyTree(
      tree,
      chosen.records,
      chosen.targets,
      validation,
      validationLabels,
      wholeNumbers,
    );
  }
  const final = fidelityOf(tree, validation, validationLabels);
  // Classes the network answers on the training records that no rule decides.
  const decided = new Set(tree.nodes.filter((n) => !n.test).map((n) => argMax(n.distribution)));
  const classesWithoutRule = schema.classes.filter((_, k) => answered.has(k) && !decided.has(k));
  return {
    tree,
    leafStats: leafStatistics(tree, train, trainLabels, validation, validationLabels),
    report: {
      learner,
      sampling: chosen.sampling,
      classWeights: chosen.weighting,
      samples: chosen.records.length - train.length,
      candidates,
      validationFidelity: final.plain,
      validationBalancedFidelity: final.balanced,
      leavesBeforeSimplify,
      leaves: leafCount(tree),
      classesAnswered: answered.size,
      classesWithoutRule,
    },
  };
}

/**
 * Records drawn inside the leaves of `tree` that hold fewer than `target` of `records`:
 * perturbations of the records already there, kept only if they stay in the leaf.
 */
function sampleThinLeaves(
  schema: Schema,
  tree: Tree,
  records: DataRecord[],
  random: ReturnType<typeof createRandom>,
  target: number,
): DataRecord[] {
  const byLeaf = new Map<number, DataRecord[]>();
  routeRecords(tree, records).forEach((leaf, i) => {
    const list = byLeaf.get(leaf);
    if (list) list.push(records[i]!);
    else byLeaf.set(leaf, [records[i]!]);
  });
  const out: DataRecord[] = [];
  for (const [leaf, members] of byLeaf) {
    const need = target - members.length;
    if (need <= 0) continue;
    for (let round = 0, made = 0; round < 5 && made < need; round++) {
      const batch = perturbRecords(schema, members, random, {
        count: (need - made) * 2,
        changeRate: 0.3,
        noise: 0.5,
      });
      const leaves = routeRecords(tree, batch);
      for (let i = 0; i < batch.length && made < need; i++) {
        if (leaves[i] === leaf) {
          out.push(batch[i]!);
          made++;
        }
      }
    }
  }
  return out;
}

/**
 * Check distillation options before any work (a build calls this before training):
 * values in range, and no combination distillation would otherwise ignore without a word
 * (ml-cart learns from the real records only, as it is quadratic in the records;
 * `samples` counts synthetic records, which sampling `none` does not draw).
 * Throws INVALID_ARGUMENT naming the option as its field.
 */
export function checkDistillOptions(options: DistillOptions): void {
  const maxRules = options.maxRules ?? 16;
  const learner = options.learner ?? 'neurules';
  const sampling = options.sampling ?? 'auto';
  if (!Number.isInteger(maxRules) || maxRules < 1) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `maxRules: expected a whole number ≥ 1, found ${maxRules}`,
      { field: 'maxRules' },
    );
  }
  if (!['neurules', 'ml-cart'].includes(learner)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `learner: expected neurules or ml-cart, found '${String(learner)}'`,
      { field: 'learner' },
    );
  }
  if (!['auto', 'none', 'perturb', 'nodes'].includes(sampling)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `sampling: expected auto, none, perturb or nodes, found '${String(sampling)}'`,
      { field: 'sampling' },
    );
  }
  if (learner === 'ml-cart' && (sampling === 'perturb' || sampling === 'nodes')) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `sampling: the ml-cart learner learns from the real records only; expected sampling none or auto, found '${sampling}'`,
      { field: 'sampling' },
    );
  }
  if (options.samples === undefined) return;
  if (!Number.isInteger(options.samples) || options.samples < 1) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `samples: expected a whole number ≥ 1, found ${options.samples}`,
      { field: 'samples' },
    );
  }
  if (sampling === 'none' || learner === 'ml-cart') {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `samples: synthetic records are drawn only by the neurules learner with sampling auto, perturb or nodes; found ${learner === 'ml-cart' ? 'the ml-cart learner' : 'sampling none'}`,
      { field: 'samples' },
    );
  }
}

/** Class index of each row of a row-major probability matrix. */
export function hardLabels(probabilities: ArrayLike<number>, K: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < probabilities.length / K; i++) out.push(argMax(probabilities, i * K, K));
  return out;
}

/**
 * The tree's agreement with the network's `labels`: plain (share of records) and balanced
 * (`classFidelity`: the mean over the classes in `labels` of the share of that class's
 * records).
 */
function fidelityOf(
  tree: Tree,
  records: readonly DataRecord[],
  labels: readonly number[],
): { plain: number; balanced: number } {
  if (records.length === 0) return { plain: 0, balanced: 0 };
  const { balanced, perClass } = classFidelity(decideRecords(tree, records), labels, tree.classes);
  const agree = Object.values(perClass).reduce((sum, c) => sum + c.agree, 0);
  return { plain: agree / records.length, balanced };
}

/** How much plain fidelity (on the pooled validation records) a pick may give up for balance. */
const PLAIN_TOLERANCE = 0.01;

/** What model selection maximises: plain and balanced fidelity count equally. */
function selectionScore(f: { plain: number; balanced: number }): number {
  return (f.plain + f.balanced) / 2;
}

function simplifyTree(
  tree: Tree,
  records: DataRecord[],
  targets: Float64Array,
  validation: DataRecord[],
  validationLabels: number[],
  wholeNumbers: ReadonlySet<string>,
): Tree {
  let current = mergeSameClassLeaves(tree);
  // Subtree raising: drop a split (and the conditions it puts in every rule below it) when
  // no training or synthetic record changes decision.
  const reference = decideRecords(current, records);
  let changed = true;
  while (changed) {
    changed = false;
    for (const node of current.nodes) {
      if (!node.test) continue;
      for (const side of ['left', 'right'] as const) {
        const candidate = mergeSameClassLeaves(
          refitTree(raiseChild(current, node.id, side), records, targets),
        );
        const after = decideRecords(candidate, records);
        if (after.every((d, i) => d === reference[i])) {
          current = candidate;
          changed = true;
          break;
        }
      }
      if (changed) break;
    }
  }
  current = roundThresholds(current, records, validation, validationLabels, wholeNumbers);
  return compactTree(current);
}

function leafStatistics(
  tree: Tree,
  train: DataRecord[],
  trainLabels: readonly number[],
  validation: DataRecord[],
  validationLabels: number[],
): Map<number, LeafStats> {
  const stats = new Map<
    number,
    { support: number; agree: number; vSupport: number; vAgree: number }
  >();
  for (const n of tree.nodes)
    if (!n.test) stats.set(n.id, { support: 0, agree: 0, vSupport: 0, vAgree: 0 });
  const decide = tree.nodes.map((n) => argMax(n.distribution));
  routeRecords(tree, train).forEach((leaf, i) => {
    const s = stats.get(leaf)!;
    s.support++;
    if (trainLabels[i] === decide[leaf]) s.agree++;
  });
  routeRecords(tree, validation).forEach((leaf, i) => {
    const s = stats.get(leaf)!;
    s.vSupport++;
    if (validationLabels[i] === decide[leaf]) s.vAgree++;
  });
  const out = new Map<number, LeafStats>();
  for (const [id, s] of stats) {
    out.set(id, {
      support: s.support,
      confidence: s.support ? s.agree / s.support : null,
      validationSupport: s.vSupport,
      validationFidelity: s.vSupport ? s.vAgree / s.vSupport : null,
    });
  }
  return out;
}

import type { DataRecord, Schema } from '../data/types';
import { NeurulesError } from '../errors';
import { classFidelity } from '../fidelity';
import { createRandom, type Random } from '../random';
import { balancedClassWeights, growTree, weightedMass } from './grow-tree';
import { growMlCart } from './ml-cart-learner';
import { argMax } from '../arg-max';
import {
  compactTree,
  leafCount,
  mergeSameClassLeaves,
  pruningSequence,
  raiseChild,
} from './prune-tree';
import { refitTree } from './refit-tree';
import { decideRecords, routeRecords } from './route-records';
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
  checkDistillOptions(options);
  const plan = planDistillation(options, train.length);
  const progress = options.onProgress ?? (() => {});
  // One generator for every draw, in this order: the validation pool, then each sampling.
  const random = createRandom((options.seed ?? 42) ^ 0x5eed);
  const labels = labelRecords(schema, train, validation, teacher);
  const pool = poolValidation(schema, validation, labels.validation, teacher, random);
  const weightings = classWeightings(labels.train, schema.classes.length, plan.learner);
  const candidates: DistillReport['candidates'] = [];
  const picks: Pick[] = [];
  // Each sampling is drawn and learned from before the next is drawn, so the progress
  // messages follow the work.
  for (const sampling of plan.strategies) {
    const sample = sampleRecords(schema, train, labels, teacher, random, {
      sampling,
      count: plan.samples,
      stratified: weightings.length > 1,
      maxRules: plan.maxRules,
      minLeaf: plan.minLeaf,
      progress,
    });
    const learned = learnTrees(schema, sample, weightings, pool, validation.length, plan, progress);
    candidates.push(...learned.candidates);
    picks.push(...learned.picks);
  }
  const chosen = choosePick(picks);
  let tree = chosen.tree;
  if (plan.simplify) {
    progress('simplifying the rules');
    tree = simplifyPick(schema, chosen, validation, labels.validation);
  }
  return describeDistillation(schema, tree, {
    train,
    validation,
    labels,
    chosen,
    candidates,
    learner: plan.learner,
  });
}

/** The options of {@link distill} with their defaults filled in. */
interface DistillPlan {
  maxRules: number;
  minLeaf: number;
  learner: Learner;
  refine: boolean;
  simplify: boolean;
  /** Synthetic records each sampling strategy draws. */
  samples: number;
  /** The sampling strategies that compete. */
  strategies: Exclude<Sampling, 'auto'>[];
}

function planDistillation(options: DistillOptions, trainCount: number): DistillPlan {
  const learner = options.learner ?? 'neurules';
  const strategies: Exclude<Sampling, 'auto'>[] =
    options.sampling === undefined || options.sampling === 'auto'
      ? ['none', 'perturb', 'nodes']
      : [options.sampling];
  return {
    maxRules: options.maxRules ?? 16,
    minLeaf: options.minSamplesLeaf ?? 5,
    learner,
    refine: options.refine ?? true,
    simplify: options.simplify ?? true,
    samples: options.samples ?? Math.min(50_000, Math.max(2_000, 20 * trainCount)),
    // ml-cart is quadratic in the samples: it learns from the real records only.
    strategies: learner === 'ml-cart' ? ['none'] : strategies,
  };
}

/** The network's answers on the real records. */
interface NetworkLabels {
  /** Soft labels of the training records, row-major (`records × classes`). */
  trainProbabilities: Float64Array;
  /** The network's class of each training record. */
  train: number[];
  /** The network's class of each validation record. */
  validation: number[];
}

/** Step 1 on the real records: the network's soft labels and classes. */
function labelRecords(
  schema: Schema,
  train: DataRecord[],
  validation: DataRecord[],
  teacher: ProbabilityOracle,
): NetworkLabels {
  const K = schema.classes.length;
  const trainProbabilities = Float64Array.from(teacher(train));
  return {
    trainProbabilities,
    train: hardLabels(trainProbabilities, K),
    validation: hardLabels(teacher(validation), K),
  };
}

/** Records with the network's class of each: what candidate trees are judged on. */
interface LabelledRecords {
  records: DataRecord[];
  labels: number[];
}

/**
 * The validation records pooled with network-labelled records near them: candidates are
 * scored on these, as a few hundred real records alone are too noisy a judge.
 */
function poolValidation(
  schema: Schema,
  validation: DataRecord[],
  validationLabels: number[],
  teacher: ProbabilityOracle,
  random: Random,
): LabelledRecords {
  const near = perturbRecords(schema, validation, random, {
    count: Math.min(20_000, Math.max(2_000, 20 * validation.length)),
    changeRate: 0.2,
    noise: 0.3,
  });
  return {
    records: validation.concat(near),
    labels: validationLabels.concat(hardLabels(teacher(near), schema.classes.length)),
  };
}

/** A class weighting the learner tries, with its weights (none for `none`). */
interface Weighting {
  name: ClassWeighting;
  weights?: number[];
}

/**
 * Class weightings that compete: none, and, when the network's answers are imbalanced,
 * the balanced weights and their square root (half way).
 */
function classWeightings(trainLabels: number[], K: number, learner: Learner): Weighting[] {
  const balanced = balancedClassWeights(trainLabels, K);
  const weightings: Weighting[] = [{ name: 'none' }];
  if (learner === 'neurules' && balanced.some((w) => Math.abs(w - 1) > 0.05)) {
    weightings.push({ name: 'sqrt', weights: balanced.map(Math.sqrt) });
    weightings.push({ name: 'balanced', weights: balanced });
  }
  return weightings;
}

/** The records one sampling strategy learns from, with the network's soft labels. */
interface Sample {
  sampling: Exclude<Sampling, 'auto'>;
  records: DataRecord[];
  /** Soft labels of `records`, row-major (`records × classes`). */
  targets: Float64Array;
}

/** How {@link sampleRecords} draws. */
interface SampleSettings {
  sampling: Exclude<Sampling, 'auto'>;
  /** Synthetic records to draw near the training records. */
  count: number;
  /** Whether a third of them are drawn near each of the network's classes in equal numbers. */
  stratified: boolean;
  maxRules: number;
  minLeaf: number;
  progress: (message: string) => void;
}

/**
 * Step 1 with sampling: the training records and, unless sampling is `none`, synthetic
 * records near them, all with the network's soft labels.
 */
function sampleRecords(
  schema: Schema,
  train: DataRecord[],
  labels: NetworkLabels,
  teacher: ProbabilityOracle,
  random: Random,
  settings: SampleSettings,
): Sample {
  const { sampling, count, maxRules, minLeaf, progress } = settings;
  const K = schema.classes.length;
  let records = train;
  let targets = labels.trainProbabilities;
  if (sampling === 'perturb' || sampling === 'nodes') {
    progress(`sampling ${count} synthetic records`);
    // Half close to the data (a few features nudged), half further out; when the
    // network's answers are imbalanced, a third of them instead near the records of each
    // of its classes in equal numbers, so its rare classes are sampled as densely.
    const strata = settings.stratified ? Math.floor(count / 3) : 0;
    const half = Math.floor((count - strata) / 2);
    const synthetic = perturbRecords(schema, train, random, {
      count: half,
      changeRate: 0.2,
      noise: 0.3,
    }).concat(
      perturbRecords(schema, train, random, {
        count: count - strata - half,
        changeRate: 0.5,
        noise: 1,
      }),
      perturbRecords(schema, train, random, {
        count: strata,
        changeRate: 0.2,
        noise: 0.3,
        strata: labels.train,
      }),
    );
    records = train.concat(synthetic);
    targets = new Float64Array(records.length * K);
    targets.set(labels.trainProbabilities);
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
  return { sampling, records, targets };
}

/** The fidelity of a tree on the pooled validation records. */
interface Fidelity {
  plain: number;
  balanced: number;
}

/** The tree one sampling, class weighting and objective picks, refined. */
interface Pick {
  tree: Tree;
  fidelity: Fidelity;
  sampling: Exclude<Sampling, 'auto'>;
  weighting: ClassWeighting;
  records: DataRecord[];
  /** The targets as the learner weighed them (class weights applied). */
  targets: Float64Array;
}

/**
 * Step 2 for one sample: per class weighting, grow a tree past the budget and prune it
 * into a sequence of trees within budget (every one a candidate), then pick from the
 * sequence per objective and refine the pick.
 */
function learnTrees(
  schema: Schema,
  sample: Sample,
  weightings: Weighting[],
  pool: LabelledRecords,
  validationCount: number,
  plan: DistillPlan,
  progress: (message: string) => void,
): { candidates: DistillReport['candidates']; picks: Pick[] } {
  const { sampling, records, targets } = sample;
  const { learner, maxRules, minLeaf } = plan;
  const K = schema.classes.length;
  // The selection score counts every class: the mean of plain and balanced fidelity.
  const measure = (tree: Tree) => fidelityOf(tree, pool.records, pool.labels);
  const candidates: DistillReport['candidates'] = [];
  const picks: Pick[] = [];
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
    const objectives: ((f: Fidelity) => number)[] = weighting.weights
      ? [selectionScore]
      : [(f) => f.plain, selectionScore];
    for (const objective of objectives) {
      // The pruning strength: the largest tree of the sequence whose score is within one
      // standard error of the best. The network's labels carry no noise to overfit, so a
      // smaller tree must be clearly better to be preferred; a noisy edge is not enough.
      const scores = measured.map(objective);
      const top = Math.max(...scores);
      const standardError = Math.sqrt((top * (1 - top)) / Math.max(1, validationCount));
      const chosenIndex = scores.findIndex((x) => x >= top - standardError);
      let pick = trees[chosenIndex]!;
      let fidelity = measured[chosenIndex]!;
      if (learner === 'neurules' && plan.refine) {
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
  return { candidates, picks };
}

/**
 * Step 2 across the picks: the best selection score among those whose plain fidelity is
 * within PLAIN_TOLERANCE of the best plain fidelity, so following the rare classes better
 * never costs more than that of the agreement on all records.
 */
function choosePick(picks: Pick[]): Pick {
  const topPlain = Math.max(...picks.map((p) => p.fidelity.plain));
  let best: Pick | null = null;
  for (const p of picks) {
    if (p.fidelity.plain < topPlain - PLAIN_TOLERANCE) continue;
    if (!best || selectionScore(p.fidelity) > selectionScore(best.fidelity) + 1e-9) best = p;
  }
  return best!;
}

/** Step 3: the chosen tree simplified on the records it was learned from. */
function simplifyPick(
  schema: Schema,
  chosen: Pick,
  validation: DataRecord[],
  validationLabels: number[],
): Tree {
  const wholeNumbers = new Set(
    schema.features.filter((f) => f.type === 'numeric' && f.integer).map((f) => f.name),
  );
  return simplifyTree(
    chosen.tree,
    chosen.records,
    chosen.targets,
    validation,
    validationLabels,
    wholeNumbers,
  );
}

/** The final tree with its leaf statistics and the report of how it was chosen. */
function describeDistillation(
  schema: Schema,
  tree: Tree,
  how: {
    train: DataRecord[];
    validation: DataRecord[];
    labels: NetworkLabels;
    chosen: Pick;
    candidates: DistillReport['candidates'];
    learner: Learner;
  },
): Distillation {
  const { train, validation, labels, chosen } = how;
  const final = fidelityOf(tree, validation, labels.validation);
  // Classes the network answers on the training records that no rule decides.
  const answered = new Set(labels.train);
  const decided = new Set(tree.nodes.filter((n) => !n.test).map((n) => argMax(n.distribution)));
  const classesWithoutRule = schema.classes.filter((_, k) => answered.has(k) && !decided.has(k));
  return {
    tree,
    leafStats: leafStatistics(tree, train, labels.train, validation, labels.validation),
    report: {
      learner: how.learner,
      sampling: chosen.sampling,
      classWeights: chosen.weighting,
      samples: chosen.records.length - train.length,
      candidates: how.candidates,
      validationFidelity: final.plain,
      validationBalancedFidelity: final.balanced,
      leavesBeforeSimplify: leafCount(chosen.tree),
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
  random: Random,
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
): Fidelity {
  if (records.length === 0) return { plain: 0, balanced: 0 };
  const { balanced, perClass } = classFidelity(decideRecords(tree, records), labels, tree.classes);
  const agree = Object.values(perClass).reduce((sum, c) => sum + c.agree, 0);
  return { plain: agree / records.length, balanced };
}

/** How much plain fidelity (on the pooled validation records) a pick may give up for balance. */
const PLAIN_TOLERANCE = 0.01;

/** What model selection maximises: plain and balanced fidelity count equally. */
function selectionScore(f: Fidelity): number {
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

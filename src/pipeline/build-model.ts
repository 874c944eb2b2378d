import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { computeMetrics } from '../audit/metrics';
import {
  checkModelName,
  checkRulesReplaceable,
  modelPaths,
  saveModel,
  type SaveOptions,
} from '../artifacts/model-store';
import { checkDirectory, lockModel, type ModelLock } from '../artifacts/model-lock';
import type { ManifestTestFile, Metrics, ModelLocation, ModelManifest } from '../artifacts/types';
import { ruleSetHash } from '../artifacts/rule-set-hash';
import { parseTable, parseTestTable, type ReadTableOptions } from '../data/read-csv';
import { readInputFile } from '../data/read-input-file';
import { fitSchema } from '../data/fit-schema';
import { SPLIT_DEFAULTS, splitTable } from '../data/split-table';
import type { DataRecord, Feature, Schema, Table } from '../data/types';
import { checkDistillOptions, type DistillOptions } from '../distill/distill';
import type { DistillReport } from '../distill/types';
import type { Tree } from '../distill/types';
import { compileRuleSet } from '../engine/compiled-rules';
import { didYouMean, type Issue, NeurulesError } from '../errors';
import { mergeOverrides, safeLoadOverrides } from '../overrides/merge-overrides';
import { tryRecordRuleSet, type RuleSetFigures } from '../artifacts/rule-archive';
import type { Override } from '../overrides/parse-overrides';
import { compileTree } from '../rules/compile-tree';
import type { RuleSet } from '../rules/types';
import { type BackendChoice, selectBackend } from '../teacher/backend';
import { saveTeacher } from '../teacher/model-io';
import { savePerceiver } from '../perception/perceiver-io';
import { inputSchemaFor } from '../perception/perception-front';
import {
  conceptMetrics,
  type LearnedPerception,
  learnPerception,
  type PerceptionBuildProgress,
  planConcepts,
} from './learn-perception';
import type { TrainOptions, TrainProgress } from '../teacher/train-teacher';
import { checkTeacherShaping, type TeacherShaping } from './distill-network';
import {
  checkRefit,
  type Refit,
  resolveSelection,
  type SelectionMethod,
  trainAndDistill,
} from './train-and-distill';

/** Options of {@link buildModel}. */
export interface BuildOptions {
  /** CSV file with a header row. */
  data: string;
  /** Target column. @defaultValue the last column */
  target?: string;
  /** Model name. @defaultValue the data file's base name */
  name?: string;
  /** Most rules in the distilled rule set. @defaultValue 16 */
  maxRules?: number;
  /** Seed of the split, the network and distillation. @defaultValue 42 */
  seed?: number;
  /** TensorFlow.js backend. @defaultValue 'auto' */
  backend?: BackendChoice;
  /** @defaultValue './models' */
  modelsDir?: string;
  /** @defaultValue './rules' */
  rulesDir?: string;
  /** Forced column types (others are inferred). */
  types?: Record<string, 'numeric' | 'categorical'>;
  /**
   * Features marked `immutable: true` in the written schema (counterfactuals never change
   * them). They do not change training or distillation.
   */
  immutable?: string[];
  /**
   * Numeric features marked `monotone` in the written schema (counterfactuals may only
   * move them this way). They do not change training or distillation.
   */
  monotone?: Record<string, 'increasing' | 'decreasing'>;
  /**
   * Features marked `protected: true` in the written schema: `audit` reports fairness by
   * their groups when it is not given features of its own. They do not change training or
   * distillation.
   */
  protected?: string[];
  /** Network training options (seed and progress are set by the build). */
  training?: Omit<TrainOptions, 'seed' | 'onProgress'>;
  /** Distillation options (learner, sampling, simplification). */
  distill?: Pick<
    DistillOptions,
    'learner' | 'sampling' | 'samples' | 'simplify' | 'minSamplesLeaf'
  >;
  /**
   * Shape the network toward the distilled rules and keep it when that helps (see
   * `distillNetwork`). @defaultValue 'auto'
   */
  teacherShaping?: TeacherShaping;
  /**
   * Train the final network again on the training and validation rows together, once the
   * validation rows have chosen its epochs and teacher shaping (see `trainAndDistill`).
   * @defaultValue 'on'
   */
  refit?: Refit;
  /**
   * A labelled CSV file with the training file's columns, to measure on instead of a
   * test split: every row of `data` then trains (as the MONK problems ship a test file).
   */
  test?: string;
  /**
   * How the epochs and teacher shaping are chosen (see `trainAndDistill`): `auto` judges by
   * k-fold cross-validation when a validation split would hold fewer than 50 rows (`KFOLD_BELOW`).
   * @defaultValue 'auto'
   */
  selection?: SelectionMethod;
  /** Folds of k-fold cross-validation. @defaultValue 5 */
  folds?: number;
  /**
   * Perception concepts, `NAME=COLUMNS` each (see `parseConceptDeclaration`): a network per
   * concept learns to read NAME (a column of labels) from COLUMNS (a glob over column
   * names, a comma list, or one column of image file names); the rules then reason over
   * what it perceives (`NAME`, `NAME_confidence`), never over the raw columns.
   */
  concepts?: string[];
  /** A concept's image shape, `NAME=HxW` each (pixel columns, or the size images are read at). */
  conceptShapes?: string[];
  /** Progress of the long steps. */
  onProgress?: (event: BuildProgress) => void;
  /**
   * Replace a distilled rule file holding a hand edit that was not accepted, keeping a copy
   * of it beside the new one (`BuildResult.keptEditedRules`); without it such a file is
   * RULES_MODIFIED, before training and again at the commit. @defaultValue false
   */
  discardEdits?: boolean;
  /** Test hook of the commit (see `saveModel`): runs after each of its steps. */
  afterSaveStep?: SaveOptions['afterStep'];
}

/** Progress events of a build, in order. */
export type BuildProgress =
  | {
      stage: 'data';
      rows: number;
      features: number;
      classes: number;
      split: [number, number, number];
    }
  | { stage: 'overrides'; count: number; dir: string }
  | { stage: 'backend'; backend: string }
  | ({ stage: 'perception' } & PerceptionBuildProgress)
  | ({ stage: 'teacher' } & TrainProgress)
  | { stage: 'distilling'; message: string }
  | {
      stage: 'distill';
      rules: number;
      report: DistillReport;
      maxRules: number;
    }
  | { stage: 'evaluate' }
  | { stage: 'warning'; message: string }
  | { stage: 'save'; modelDir: string; rulesFile: string };

/** What a build produced (also written to disk). */
export interface BuildResult {
  name: string;
  modelDir: string;
  rulesFile: string;
  schema: Schema;
  tree: Tree;
  /** The distilled rule set (written to `rulesFile`). */
  ruleSet: RuleSet;
  /** The expert overrides found in `RULES_DIR/NAME/overrides/` (empty when none). */
  overrides: Override[];
  metrics: Metrics;
  /** The test split, for showing an example decision. */
  test: Table;
  seconds: number;
  /** Where the rule file this build replaced was kept, when it was not committed rules. */
  keptEditedRules?: string;
}

/**
 * Run the whole pipeline: read and split the data, train the network, distil it into a
 * tree, compile the tree into json-rules-engine rules, measure everything on the test
 * split, and commit `MODELS_DIR/NAME/GENERATION/` and `RULES_DIR/NAME/distilled.rules.json`
 * as one unit (see `saveModel`). Nothing is made current unless every step succeeds, and
 * a second build of the same name meanwhile is refused (MODEL_LOCKED).
 *
 * Expert overrides already in `RULES_DIR/NAME/overrides/*.yaml` are checked against the
 * new schema before training (a bad file fails the build with its issues) and measured
 * on the test split as `metrics.overrides`; the distilled rules do not depend on them.
 * The manifest records the data file's path, SHA-256, column types and split, so
 * `loadModelData` can rebuild the held-out split later.
 *
 * @example
 * const result = await buildModel({ data: 'data/german-credit.csv' });
 * console.log(result.metrics.fidelity);
 */
export async function buildModel(options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const maxRules = options.maxRules ?? 16;
  const name = options.name ?? path.basename(options.data).replace(/\.[^.]*$/, '');
  const modelsDir = options.modelsDir ?? 'models';
  const rulesDir = options.rulesDir ?? 'rules';
  checkModelName(name, 'name');
  // Before any work: a bad option fails now, not after the network has trained.
  checkDistillOptions({ ...options.distill, maxRules });
  checkTeacherShaping(options.teacherShaping ?? 'auto');
  checkRefit(options.refit ?? 'on');
  // The lock, taken before reading or training: a second build of this name is refused
  // now (MODEL_LOCKED), and a models or rules folder that is a file is found now.
  const loc = { modelsDir, rulesDir, name };
  checkDirectory(rulesDir, 'rules folder');
  checkDirectory(path.join(rulesDir, name), 'rules folder');
  const lock = lockModel(modelPaths(loc).dir, 'build');
  try {
    // A hand edit of the rule file that was not accepted is refused now (RULES_MODIFIED),
    // not after training; saveModel checks again at the commit.
    checkRulesReplaceable(loc, { discardEdits: options.discardEdits ?? false });
    return await buildLocked(options, loc, lock, started);
  } finally {
    lock.release();
  }
}

async function buildLocked(
  options: BuildOptions,
  loc: ModelLocation,
  lock: ModelLock,
  started: number,
): Promise<BuildResult> {
  const seed = options.seed ?? 42;
  const progress = options.onProgress ?? (() => {});

  const readOptions: ReadTableOptions = {};
  if (options.target !== undefined) readOptions.target = options.target;
  if (options.types !== undefined) readOptions.types = options.types;
  // One read: the hash is of exactly the bytes the table is parsed from.
  const bytes = readInputFile(options.data);
  // Concepts are checked against the header before the rows are read: every raw input and
  // label column is then read as text (a bad pixel is named by its concept).
  const plan = planPerception(bytes, options);
  if (plan) readOptions.types = { ...readOptions.types, ...plan.types };
  const rawTable = parseTable(bytes, { ...readOptions, file: options.data });
  // A separate test file takes the place of the test split: every row of the data trains.
  // Small data is judged by k-fold cross-validation instead of a validation split.
  const testFraction = options.test !== undefined ? 0 : SPLIT_DEFAULTS.testFraction;
  const selection = resolveSelection(
    options.selection ?? 'auto',
    Math.round(rawTable.records.length * SPLIT_DEFAULTS.validationFraction),
    options.refit ?? 'on',
  );
  if (options.folds !== undefined && (options.selection === 'holdout' || options.refit === 'off')) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `folds: k-fold cross-validation is not run with ${options.selection === 'holdout' ? 'selection holdout' : 'refit off'}, so its folds would be ignored`,
      { field: 'folds' },
    );
  }
  const fractions = {
    testFraction,
    validationFraction: selection === 'kfold' ? 0 : SPLIT_DEFAULTS.validationFraction,
  };
  const backend = await selectBackend(options.backend ?? 'auto');
  // With concepts, perception networks learn from the training and validation rows, and
  // the rules' table is what they perceive (the split depends on the labels alone, so
  // the perceived table splits into the same rows).
  let learned: LearnedPerception | undefined;
  if (plan) {
    const rawParts = splitTable(rawTable, { seed, ...fractions });
    progress({ stage: 'backend', backend: backend.name });
    learned = await learnPerception(rawTable, plan.concepts, {
      file: options.data,
      header: plan.header,
      seed,
      trainLines: new Set([...rawParts.train.lines, ...rawParts.validation.lines]),
      onProgress: (p) => progress({ stage: 'perception', ...p }),
    });
  }
  const table = learned?.table ?? rawTable;
  try {
    return await buildFromTable(options, loc, lock, started, {
      bytes,
      rawTable,
      table,
      fractions,
      selection,
      backend,
      learned,
    });
  } finally {
    for (const p of learned?.perceivers ?? []) p.dispose();
  }
}

/** A build's `--concept` and `--concept-shape` options checked against the data's header. */
function planPerception(
  bytes: Buffer,
  options: BuildOptions,
): ReturnType<typeof planConcepts> | undefined {
  const concepts = options.concepts ?? [];
  if (concepts.length === 0) {
    if ((options.conceptShapes ?? []).length > 0) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        'a concept shape is given without any concept: declare the concept with --concept NAME=COLUMNS',
        { field: 'conceptShape' },
      );
    }
    return undefined;
  }
  if (options.test !== undefined) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      'a separate test file is not read with perception concepts yet: leave out --test, and the build holds out a test split of --data',
      { field: 'test' },
    );
  }
  return planConcepts(bytes, concepts, options.conceptShapes ?? [], {
    file: options.data,
    ...(options.target !== undefined && { target: options.target }),
  });
}

async function buildFromTable(
  options: BuildOptions,
  loc: ModelLocation,
  lock: ModelLock,
  started: number,
  read: {
    bytes: Buffer;
    rawTable: Table;
    table: Table;
    fractions: { testFraction: number; validationFraction: number };
    selection: 'holdout' | 'kfold';
    backend: Awaited<ReturnType<typeof selectBackend>>;
    learned: LearnedPerception | undefined;
  },
): Promise<BuildResult> {
  const { modelsDir, rulesDir, name } = loc;
  const seed = options.seed ?? 42;
  const maxRules = options.maxRules ?? 16;
  const progress = options.onProgress ?? (() => {});
  const { bytes, rawTable, table, fractions, selection, backend, learned } = read;
  const parts = splitTable(table, { seed, ...fractions });
  // The model's schema: numeric statistics of the training split only (fitSchema), plus
  // the immutable / monotone / protected marks. Every stage below learns from this one.
  const schema = markFeatures(
    fitSchema(table.schema, parts.train.records),
    options.immutable,
    options.monotone,
    options.protected,
  );
  const testFile = options.test !== undefined ? readTestFile(options.test, schema) : undefined;
  const split = {
    train: { ...parts.train, schema },
    validation: { ...parts.validation, schema },
    test: testFile?.table ?? { ...parts.test, schema },
  };
  const overridesDir = path.join(modelPaths({ modelsDir, rulesDir, name }).rulesDir, 'overrides');
  const loaded = safeLoadOverrides(overridesDir, schema);
  if (!loaded.ok) throw NeurulesError.fromIssues(loaded.issues);
  const overrides = loaded.value;
  progress({
    stage: 'data',
    rows: table.records.length,
    features: table.schema.features.length,
    classes: table.schema.classes.length,
    split: [split.train.records.length, split.validation.records.length, split.test.records.length],
  });
  if (overrides.length > 0)
    progress({ stage: 'overrides', count: overrides.length, dir: overridesDir });
  if (!learned) progress({ stage: 'backend', backend: backend.name });
  // The marks do not change training or distillation: they are for counterfactuals.
  const distilled = await trainAndDistill(schema, split, {
    ...options.distill,
    ...(options.training && { training: options.training }),
    maxRules,
    seed,
    teacherShaping: options.teacherShaping ?? 'auto',
    refit: options.refit ?? 'on',
    selection,
    ...(options.folds !== undefined && { folds: options.folds }),
    onTrainProgress: (p) => progress({ stage: 'teacher', ...p }),
    onProgress: (message) => progress({ stage: 'distilling', message }),
  });
  const teacher = distilled.teacher;
  try {
    const distillation = distilled.distillation;
    const tree = distillation.tree;
    const ruleSet = compileTree(tree, schema, name, distillation.leafStats);
    progress({
      stage: 'distill',
      rules: ruleSet.rules.length,
      report: distillation.report,
      maxRules,
    });

    progress({ stage: 'evaluate' });
    // The compiled evaluator decides exactly as json-rules-engine, synchronously.
    const classIndex = new Map(schema.classes.map((c, i) => [c, i]));
    const decideAll = (rules: RuleSet, records: readonly DataRecord[]): number[] => {
      const compiled = compileRuleSet(rules);
      return records.map((r) => classIndex.get(compiled.decide(r).class)!);
    };
    const rules = decideAll(ruleSet, split.test.records);
    const metrics = computeMetrics({
      classes: schema.classes,
      truth: split.test.labels,
      teacher: teacher.predict(split.test.records),
      rules,
      ruleSet,
      overrides:
        overrides.length > 0
          ? {
              count: overrides.length,
              rules: decideAll(mergeOverrides(ruleSet, overrides, schema), split.test.records),
            }
          : undefined,
      rows: {
        train: split.train.records.length,
        validation: split.validation.records.length,
        test: split.test.records.length,
      },
      backend: backend.name,
      teacherShaping: distilled.shaping,
      majority: majorityClass(split.train.labels.concat(split.validation.labels)),
      ...(learned && { concepts: conceptMetrics(learned, split.test) }),
      ...(teacher.summary.refit && {
        refit: {
          ...teacher.summary.refit,
          selection: distilled.selection.method,
          folds: distilled.selection.folds,
          ...(distilled.selection.l2 !== undefined && { l2: distilled.selection.l2 }),
        },
      }),
    });
    for (const c of neverPredicted(metrics)) {
      progress({
        stage: 'warning',
        message: `the network never predicts '${c.class}' (${c.rows} held-out row${c.rows === 1 ? '' : 's'})`,
      });
    }
    const manifest: ModelManifest = {
      format: 'neurules.model',
      version: 1,
      name,
      createdAt: new Date().toISOString(),
      data: {
        file: path.basename(options.data),
        path: path.relative(process.cwd(), path.resolve(options.data)).split(path.sep).join('/'),
        sha256: createHash('sha256').update(bytes).digest('hex'),
        rows: rawTable.records.length,
        types: Object.fromEntries(rawTable.schema.features.map((f) => [f.name, f.type])),
        split: fractions,
        ...(testFile && { test: testFile.manifest }),
      },
      target: schema.target,
      seed,
      maxRules,
      backend: backend.name,
      rulesHash: ruleSetHash(ruleSet),
      distill: distillation.report,
    };
    const saved = await saveModel(
      loc,
      {
        manifest,
        schema,
        tree,
        metrics,
        ruleSet,
        saveTeacher: (dir) => saveTeacher(teacher, dir),
        ...(learned && {
          perception: {
            spec: {
              format: 'neurules.perception',
              version: 1,
              concepts: learned.concepts,
              input: inputSchemaFor(rawTable.schema, schema, learned.concepts),
            },
            savePerceivers: (dir: string) => {
              for (const p of learned.perceivers) savePerceiver(p, path.join(dir, p.concept));
            },
          },
        }),
      },
      {
        lock,
        discardEdits: options.discardEdits ?? false,
        ...(options.afterSaveStep && { afterStep: options.afterSaveStep }),
      },
    );
    archiveBuild(
      loc,
      { ...ruleSet, version: 2, generation: saved.generation },
      overrides,
      schema,
      {
        on: testFile
          ? `test file ${path.basename(options.test!)}`
          : `held-out test split of ${path.basename(options.data)}`,
        records: metrics.testRows,
        accuracy: metrics.overrides?.rulesAccuracy ?? metrics.rulesAccuracy,
        fidelity: metrics.overrides?.fidelity ?? metrics.fidelity,
      },
      progress,
    );
    const modelDir = path.join(modelsDir, name);
    const rulesFile = path.join(rulesDir, name, 'distilled.rules.json');
    progress({ stage: 'save', modelDir, rulesFile });
    return {
      name,
      modelDir,
      rulesFile,
      schema,
      tree,
      ruleSet,
      overrides,
      metrics,
      test: { ...split.test, schema },
      seconds: (Date.now() - started) / 1000,
      ...(saved.keptEditedRules && { keptEditedRules: saved.keptEditedRules }),
    };
  } finally {
    teacher.dispose();
  }
}

/** The class most frequent among `labels` (the lowest index on a tie). */
function majorityClass(labels: readonly number[]): number {
  const counts: number[] = [];
  for (const y of labels) counts[y] = (counts[y] ?? 0) + 1;
  let best = 0;
  counts.forEach((n, k) => {
    if (n > (counts[best] ?? 0)) best = k;
  });
  return best;
}

/**
 * The build's `--test` file: read against the schema learned from the training data
 * (`parseTestTable`: the same columns, no class the training file lacks), with what the
 * manifest records of it, so the held-out records can be read again and checked later.
 */
function readTestFile(file: string, schema: Schema): { table: Table; manifest: ManifestTestFile } {
  const bytes = readInputFile(file);
  const table = parseTestTable(bytes, schema, { file });
  return {
    table,
    manifest: {
      file: path.basename(file),
      path: path.relative(process.cwd(), path.resolve(file)).split(path.sep).join('/'),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      rows: table.records.length,
    },
  };
}

/** Classes with held-out rows that the network never answers on them. */
function neverPredicted(metrics: Metrics): { class: string; rows: number }[] {
  return Object.entries(metrics.perClass ?? {})
    .filter(([, c]) => c.rows > 0 && c.network.predicted === 0)
    .map(([name, c]) => ({ class: name, rows: c.rows }));
}

/**
 * The schema with `immutable: true`, `monotone` and `protected: true` set on the features
 * the options name.
 * Every problem is reported together: a name that is not a feature is UNKNOWN_FEATURE
 * (with a did-you-mean), `monotone` on a categorical feature or with a direction other
 * than 'increasing' / 'decreasing' is INVALID_ARGUMENT; each issue's field is the name.
 */
function markFeatures(
  schema: Schema,
  immutable: readonly string[] = [],
  monotone: Readonly<Record<string, 'increasing' | 'decreasing'>> = {},
  protectedNames: readonly string[] = [],
): Schema {
  const names = schema.features.map((f) => f.name);
  const byName = new Map(schema.features.map((f) => [f.name, f]));
  const issues: Issue[] = [];
  const lookUp = (option: string, name: string): Feature | undefined => {
    const feature = byName.get(name);
    if (!feature) {
      issues.push({
        code: 'UNKNOWN_FEATURE',
        message:
          name === schema.target
            ? `${option} mark: expected a feature, found '${name}', the target column`
            : `${option} mark: expected a feature, found '${name}'${didYouMean(name, names)}`,
        field: name,
      });
    }
    return feature;
  };
  const marks = new Map<
    string,
    { immutable?: true; monotone?: 'increasing' | 'decreasing'; protected?: true }
  >();
  for (const name of immutable) {
    if (lookUp('immutable', name)) marks.set(name, { ...marks.get(name), immutable: true });
  }
  for (const name of protectedNames) {
    if (lookUp('protected', name)) marks.set(name, { ...marks.get(name), protected: true });
  }
  for (const [name, direction] of Object.entries(monotone)) {
    const feature = lookUp('monotone', name);
    if (!feature) continue;
    if (direction !== 'increasing' && direction !== 'decreasing') {
      issues.push({
        code: 'INVALID_ARGUMENT',
        message: `monotone mark of '${name}': expected 'increasing' or 'decreasing', found '${String(direction)}'`,
        field: name,
      });
    } else if (feature.type !== 'numeric') {
      issues.push({
        code: 'INVALID_ARGUMENT',
        message: `monotone mark of '${name}': expected a numeric feature, found a categorical one (only numbers have a direction)`,
        field: name,
      });
    } else marks.set(name, { ...marks.get(name), monotone: direction });
  }
  if (issues.length > 0) throw NeurulesError.fromIssues(issues);
  if (marks.size === 0) return schema;
  return {
    ...schema,
    features: schema.features.map((f): Feature => {
      const mark = marks.get(f.name);
      return mark ? { ...f, ...mark } : f;
    }),
  };
}

/**
 * File the rule set a build made current (its distilled rules with the overrides found
 * above them) in the model's archive, with a history line. The build is committed already:
 * a failure here is a warning, and `neurules serve` files the rule set when it starts.
 */
function archiveBuild(
  loc: ModelLocation,
  distilled: RuleSet,
  overrides: readonly Override[],
  schema: Schema,
  figures: RuleSetFigures,
  progress: (p: BuildProgress) => void,
): void {
  const warning = tryRecordRuleSet(loc, {
    ruleSet: mergeOverrides(distilled, overrides, schema),
    schema,
    made: 'build',
    ...(distilled.generation !== undefined && { generation: distilled.generation }),
    figures,
  });
  if (warning) progress({ stage: 'warning', message: warning });
}

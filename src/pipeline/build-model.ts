import * as path from 'node:path';
import { computeMetrics, type Metrics } from '../audit/metrics';
import { type ModelManifest, saveModel } from '../artifacts/model-store';
import { ruleSetHash } from '../artifacts/rule-set-hash';
import { readTable } from '../data/read-csv';
import { splitTable } from '../data/split-table';
import type { Schema, Table } from '../data/types';
import { distill, type DistillOptions, type DistillReport } from '../distill/distill';
import type { Tree } from '../distill/types';
import { RuleEngine } from '../engine/rule-engine';
import { NeurulesError } from '../errors';
import { compileTree } from '../rules/compile-tree';
import type { RuleSet } from '../rules/types';
import { type BackendChoice, selectBackend } from '../teacher/backend';
import { saveTeacher } from '../teacher/model-io';
import { type TrainOptions, type TrainProgress, trainTeacher } from '../teacher/train-teacher';

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
  /** Network training options (seed and progress are set by the build). */
  training?: Omit<TrainOptions, 'seed' | 'onProgress'>;
  /** Distillation options (learner, sampling, simplification). */
  distill?: Pick<
    DistillOptions,
    'learner' | 'sampling' | 'samples' | 'simplify' | 'minSamplesLeaf'
  >;
  /** Progress of the long steps. */
  onProgress?: (event: BuildProgress) => void;
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
  | { stage: 'backend'; backend: string }
  | ({ stage: 'teacher' } & TrainProgress)
  | { stage: 'distilling'; message: string }
  | { stage: 'distill'; rules: number; report: DistillReport }
  | { stage: 'evaluate' }
  | { stage: 'save'; modelDir: string; rulesFile: string };

/** What a build produced (also written to disk). */
export interface BuildResult {
  name: string;
  modelDir: string;
  rulesFile: string;
  schema: Schema;
  tree: Tree;
  ruleSet: RuleSet;
  metrics: Metrics;
  /** The test split, for showing an example decision. */
  test: Table;
  seconds: number;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Run the whole pipeline: read and split the data, train the network, distil it into a
 * tree, compile the tree into json-rules-engine rules, measure everything on the test
 * split, and write `MODELS_DIR/NAME/` and `RULES_DIR/NAME/distilled.rules.json`.
 * Nothing is written unless every step succeeds.
 *
 * @example
 * const result = await buildModel({ data: 'data/german-credit.csv' });
 * console.log(result.metrics.fidelity);
 */
export async function buildModel(options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const seed = options.seed ?? 42;
  const maxRules = options.maxRules ?? 16;
  const name = options.name ?? path.basename(options.data).replace(/\.[^.]*$/, '');
  const modelsDir = options.modelsDir ?? 'models';
  const rulesDir = options.rulesDir ?? 'rules';
  const progress = options.onProgress ?? (() => {});
  if (!NAME_PATTERN.test(name)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `model name '${name}' must be letters, digits, '.', '_' or '-'`,
      {
        field: 'name',
      },
    );
  }
  if (!Number.isInteger(maxRules) || maxRules < 1) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `--max-rules must be a whole number ≥ 1, found ${maxRules}`,
      {
        field: 'max-rules',
      },
    );
  }

  const readOptions: Parameters<typeof readTable>[1] = {};
  if (options.target !== undefined) readOptions.target = options.target;
  if (options.types !== undefined) readOptions.types = options.types;
  const table = readTable(options.data, readOptions);
  const split = splitTable(table, { seed });
  progress({
    stage: 'data',
    rows: table.records.length,
    features: table.schema.features.length,
    classes: table.schema.classes.length,
    split: [split.train.records.length, split.validation.records.length, split.test.records.length],
  });

  const backend = await selectBackend(options.backend ?? 'auto');
  progress({ stage: 'backend', backend: backend.name });
  const teacher = await trainTeacher(split.train, split.validation, {
    ...options.training,
    seed,
    onProgress: (p) => progress({ stage: 'teacher', ...p }),
  });
  try {
    const schema = table.schema;
    const distillation = distill(
      schema,
      split.train.records,
      split.validation.records,
      (records) => teacher.predictProbaFlat(records),
      {
        ...options.distill,
        maxRules,
        seed,
        onProgress: (message) => progress({ stage: 'distilling', message }),
      },
    );
    const tree = distillation.tree;
    const ruleSet = compileTree(tree, schema, name, distillation.leafStats);
    progress({ stage: 'distill', rules: ruleSet.rules.length, report: distillation.report });

    progress({ stage: 'evaluate' });
    const engine = new RuleEngine(ruleSet);
    const classIndex = new Map(schema.classes.map((c, i) => [c, i]));
    const rules: number[] = [];
    for (const record of split.test.records)
      rules.push(classIndex.get((await engine.decide(record)).class)!);
    const metrics = computeMetrics({
      truth: split.test.labels,
      teacher: teacher.predict(split.test.records),
      rules,
      ruleSet,
      rows: {
        train: split.train.records.length,
        validation: split.validation.records.length,
        test: split.test.records.length,
      },
      backend: backend.name,
    });
    const manifest: ModelManifest = {
      format: 'neurules.model',
      version: 1,
      name,
      createdAt: new Date().toISOString(),
      data: { file: path.basename(options.data), rows: table.records.length },
      target: schema.target,
      seed,
      maxRules,
      backend: backend.name,
      rulesHash: ruleSetHash(ruleSet),
      distill: distillation.report,
    };
    const loc = { modelsDir, rulesDir, name };
    await saveModel(loc, {
      manifest,
      schema,
      tree,
      metrics,
      ruleSet,
      saveTeacher: (dir) => saveTeacher(teacher, dir),
    });
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
      metrics,
      test: split.test,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    teacher.dispose();
  }
}

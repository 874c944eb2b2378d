import * as path from 'node:path';
import { loadOverridesAsync, mergeOverrides } from '../overrides/merge-overrides';
import type { Override } from '../overrides/parse-overrides';
import { loadModel, modelPaths } from '../artifacts/model-store';
import type { Metrics, ModelLocation, ModelManifest } from '../artifacts/types';
import { ruleSetHash } from '../artifacts/rule-set-hash';
import type { Schema } from '../data/types';
import type { Tree } from '../distill/types';
import { compileRuleSet, type CompiledRules } from '../engine/compiled-rules';
import { RuleEngine } from '../engine/rule-engine';
import { NeurulesError } from '../errors';
import { DEFAULT_ENGINE, type RecordEngineName } from '../predict/engines';
import type { RuleSet } from '../rules/types';
import type { BackendChoice } from '../teacher/backend-choice';
import type { Teacher } from '../teacher/create-teacher';
import type { PerceptionFront } from '../perception/perception-front';

/** A model ready to decide: its files, its rule set and engine, and optionally its network. */
export interface OpenModel {
  manifest: ModelManifest;
  schema: Schema;
  tree: Tree;
  metrics: Metrics;
  ruleSet: RuleSet;
  /** The distilled rules alone (`ruleSet` is these with the overrides above them). */
  distilled: RuleSet;
  /** The expert overrides applied, in file order. */
  overrides: Override[];
  /** Content hash of `ruleSet`. */
  ruleSetHash: string;
  /** json-rules-engine itself, the format of record. */
  engine: RuleEngine;
  /**
   * The same rules compiled: identical decisions, synchronous and much faster. Absent when
   * the caller asked for json-rules-engine only (a rule set outside the compiled subset).
   */
  compiled?: CompiledRules;
  teacher?: Teacher;
  /**
   * A model with perception concepts: its perception networks in front of the rules, and
   * the schema raw records are read with (`front.spec.input`). Records go through
   * `front.perceive` before the rules decide them.
   */
  front?: PerceptionFront;
}

/**
 * Open a model by name: check and read its files and rule set, and (with `teacher`) load
 * its network on the chosen backend. The rule set must belong to the model (same classes).
 * `front: false` leaves a model's perception networks unloaded (`front` is then absent):
 * for callers that decide facts already perceived (a decision log's inputs), without
 * TensorFlow.js.
 */
export async function openModel(
  loc: ModelLocation,
  options: {
    teacher?: boolean;
    backend?: BackendChoice;
    engine?: RecordEngineName;
    /** @defaultValue true */
    front?: boolean;
  } = {},
): Promise<OpenModel> {
  const { ruleSet: distilled, ...files } = loadModel(loc);
  // Expert overrides in RULES_DIR/NAME/overrides/*.yaml sit above the distilled rules;
  // a bad override file stops the load (all files apply or none).
  // Read with fs.promises: a FIFO or a slow file in the folder cannot stall a service's reload.
  const overrides = await loadOverridesAsync(
    path.join(modelPaths(loc).rulesDir, 'overrides'),
    files.schema,
  );
  const ruleSet = mergeOverrides(distilled, overrides, files.schema);
  if (JSON.stringify(ruleSet.classes) !== JSON.stringify(files.schema.classes)) {
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      `rule set classes ${JSON.stringify(ruleSet.classes)} differ from model classes ${JSON.stringify(files.schema.classes)}`,
      { file: files.rulesFile, field: 'classes' },
    );
  }
  const compiled = (options.engine ?? DEFAULT_ENGINE) === 'compiled';
  // With the compiled evaluator, json-rules-engine is loaded only if `engine` is used
  // (explanations): a compiled predict starts without it. The compiled rule set refuses
  // every rule set json-rules-engine refuses, so nothing goes unchecked meanwhile.
  let engine: RuleEngine | undefined = compiled ? undefined : new RuleEngine(ruleSet);
  const model: OpenModel = {
    manifest: files.manifest,
    schema: files.schema,
    tree: files.tree,
    metrics: files.metrics,
    ruleSet,
    distilled,
    overrides,
    ruleSetHash: ruleSetHash(ruleSet),
    get engine(): RuleEngine {
      return (engine ??= new RuleEngine(ruleSet));
    },
  };
  if (compiled) model.compiled = compileRuleSet(ruleSet);
  if (files.perception && options.front !== false) {
    // Perception needs TensorFlow.js: loaded here, for models with concepts only.
    const { openPerceptionFront } = await import('../perception/open-front');
    model.front = await openPerceptionFront(
      files.perception,
      files.schema,
      files.perceiversDir,
      options.backend ?? 'auto',
    );
  }
  if (options.teacher) {
    // TensorFlow.js loads here, when the network is asked for, and only then: rule-only
    // commands (predict, lint, export) start without it.
    const { selectBackend } = await import('../teacher/backend');
    const { loadTeacher } = await import('../teacher/model-io');
    await selectBackend(options.backend ?? 'auto');
    model.teacher = await loadTeacher(files.teacherDir, files.schema);
  }
  return model;
}

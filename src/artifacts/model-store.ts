import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Metrics } from '../audit/metrics';
import type { Schema } from '../data/types';
import type { DistillReport } from '../distill/distill';
import type { Tree } from '../distill/types';
import { NeurulesError } from '../errors';
import type { RuleSet } from '../rules/types';
import { readArtifact } from './read-artifact';
import { ruleSetHash } from './rule-set-hash';
import { replaceDirAtomic, writeFileAtomic } from './write-atomic';

/** Format versions this neurules reads and writes. */
export const FORMAT_VERSIONS = { model: 1, schema: 1, tree: 1, metrics: 1, rules: 1 } as const;

/** `MODELS_DIR/NAME/manifest.json`: what a model directory holds and how it was made. */
export interface ModelManifest {
  format: 'neurules.model';
  version: 1;
  name: string;
  createdAt: string;
  /** The data file the model was built from: enough to find it, check it and re-read it. */
  data: ManifestData;
  target: string;
  seed: number;
  maxRules: number;
  backend: string;
  /** Content hash of the distilled rule set written with the model. */
  rulesHash: string;
  /** What distillation chose (learner, sampling, candidates and their validation fidelity). */
  distill: DistillReport;
}

/**
 * `manifest.data`: the build's data file. Every field but `file` and `rows` is optional,
 * so manifests written before they existed still load (those models cannot have their
 * held-out split rebuilt as strictly; see `loadModelData`).
 */
export interface ManifestData {
  /** The data file's base name. */
  file: string;
  /** The path as given to `build`, relative to the directory it ran in, with `/` separators. */
  path?: string;
  /** SHA-256 of the file's bytes (hex). */
  sha256?: string;
  /** Data rows in the file. */
  rows: number;
  /** The type of every feature column, as read (passed back as forced types to re-read). */
  types?: Record<string, 'numeric' | 'categorical'>;
  /** The split fractions of the build (its seed is `manifest.seed`). */
  split?: { testFraction: number; validationFraction: number };
}

/** Where a model and its rules live. */
export interface ModelLocation {
  modelsDir: string;
  rulesDir: string;
  name: string;
}

/** Paths of a model's files. */
export function modelPaths(loc: ModelLocation) {
  const dir = path.join(loc.modelsDir, loc.name);
  return {
    dir,
    manifest: path.join(dir, 'manifest.json'),
    schema: path.join(dir, 'schema.json'),
    tree: path.join(dir, 'tree.json'),
    metrics: path.join(dir, 'metrics.json'),
    teacherDir: path.join(dir, 'teacher'),
    rulesDir: path.join(loc.rulesDir, loc.name),
    rules: path.join(loc.rulesDir, loc.name, 'distilled.rules.json'),
  };
}

/** Everything `build` writes, in memory. */
export interface ModelArtifacts {
  manifest: ModelManifest;
  schema: Schema;
  tree: Tree;
  metrics: Metrics;
  ruleSet: RuleSet;
  /** Writes the network's files into the directory it is given. */
  saveTeacher: (dir: string) => Promise<void>;
}

/**
 * Write a model directory and its rule set. The model directory is filled beside its
 * final place and swapped in whole; the rule file is written to a temporary file and
 * renamed. A failure leaves the previous model and rules as they were.
 */
export async function saveModel(loc: ModelLocation, a: ModelArtifacts): Promise<void> {
  const p = modelPaths(loc);
  const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';
  await replaceDirAtomic(p.dir, async (tmp) => {
    fs.writeFileSync(path.join(tmp, 'manifest.json'), json(a.manifest));
    fs.writeFileSync(path.join(tmp, 'schema.json'), json(a.schema));
    fs.writeFileSync(path.join(tmp, 'tree.json'), json(a.tree));
    fs.writeFileSync(path.join(tmp, 'metrics.json'), json(a.metrics));
    await a.saveTeacher(path.join(tmp, 'teacher'));
  });
  writeFileAtomic(p.rules, json(a.ruleSet));
}

/** Read and check a model's manifest, schema and tree (not the network). */
export function loadModelFiles(loc: ModelLocation): {
  manifest: ModelManifest;
  schema: Schema;
  tree: Tree;
  metrics: Metrics;
} {
  const p = modelPaths(loc);
  if (!fs.existsSync(p.dir)) {
    const known = fs.existsSync(loc.modelsDir)
      ? fs
          .readdirSync(loc.modelsDir)
          .filter((d) => fs.existsSync(path.join(loc.modelsDir, d, 'manifest.json')))
      : [];
    throw new NeurulesError(
      'MODEL_NOT_FOUND',
      `no model '${loc.name}' in ${loc.modelsDir}` +
        (known.length
          ? ` (models there: ${known.join(', ')})`
          : ' (build one with `neurules build`)'),
      { file: p.dir, field: 'model' },
    );
  }
  const manifest = readArtifact<ModelManifest>(p.manifest, 'neurules.model', FORMAT_VERSIONS.model);
  const schema = readArtifact<Schema>(p.schema, 'neurules.schema', FORMAT_VERSIONS.schema);
  const tree = readArtifact<Tree>(p.tree, 'neurules.tree', FORMAT_VERSIONS.tree);
  const metrics = readArtifact<Metrics>(p.metrics, 'neurules.metrics', FORMAT_VERSIONS.metrics);
  return { manifest, schema, tree, metrics };
}

/** Read and check a model's distilled rule set. */
export function loadRuleSet(loc: ModelLocation): RuleSet {
  const file = modelPaths(loc).rules;
  const ruleSet = readArtifact<RuleSet>(
    file,
    'neurules.rules',
    FORMAT_VERSIONS.rules,
    'RULES_NOT_FOUND',
  );
  if (!Array.isArray(ruleSet.rules) || ruleSet.rules.length === 0) {
    throw new NeurulesError('INVALID_ARTIFACT', `${file}: expected a non-empty 'rules' array`, {
      file,
      field: 'rules',
    });
  }
  return ruleSet;
}

export { ruleSetHash };

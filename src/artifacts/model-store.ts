import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Schema } from '../data/types';
import type { Metrics, ModelArtifacts, ModelLocation, ModelManifest } from './types';
import type { Tree } from '../distill/types';
import { NeurulesError } from '../errors';
import type { RuleSet } from '../rules/types';
import { readArtifact } from './read-artifact';
import { ruleSetHash } from './rule-set-hash';
import { replaceDirAtomic, writeFileAtomic } from '../files/write-atomic';

/** Format versions this neurules reads and writes. */
export const FORMAT_VERSIONS = { model: 1, schema: 1, tree: 1, metrics: 1, rules: 1 } as const;

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
          : ` (${loc.modelsDir} holds no model)`),
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

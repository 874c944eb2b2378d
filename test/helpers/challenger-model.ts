import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelPaths } from '../../src/artifacts/model-store';
import { canonicalJson, ruleSetHash } from '../../src/artifacts/rule-set-hash';
import type { ModelLocation } from '../../src/artifacts/types';
import type { Schema } from '../../src/data/types';
import { openModel } from '../../src/pipeline/open-model';
import type { RuleSet } from '../../src/rules/types';

/**
 * A copy of the model at `loc` under the name `name` in the same folders (its generations,
 * rule file and overrides; no archive, no changes log): a challenger of the same schema.
 */
export function copyAsModel(loc: ModelLocation, name: string): ModelLocation {
  const to = { ...loc, name };
  fs.cpSync(modelPaths(loc).dir, modelPaths(to).dir, { recursive: true });
  const rules = modelPaths(to).rulesDir;
  fs.cpSync(modelPaths(loc).rulesDir, rules, { recursive: true });
  fs.rmSync(path.join(rules, 'archive'), { recursive: true, force: true });
  fs.rmSync(path.join(rules, 'changes.jsonl'), { force: true });
  return to;
}

/** Write `yaml` as the override file `file` of the model at `loc`. */
export function writeOverride(loc: ModelLocation, file: string, yaml: string): void {
  const dir = modelPaths(loc).overrides;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), yaml);
}

/** An override deciding `cls` for applicants younger than `age`, above every other. */
export function youngOverride(cls: string, age = 30, id = 'young-challenger'): string {
  return [
    `- id: ${id}`,
    `  when:`,
    `    age: { '<': ${age} }`,
    `  then: { class: ${cls} }`,
    `  priority: 1000`,
    `  reason: a challenger's policy`,
    '',
  ].join('\n');
}

/** The class the model at `loc` decides for `record` (its merged rules, compiled). */
export async function decideWith(loc: ModelLocation, record: Record<string, unknown>) {
  const m = await openModel(loc, { teacher: false, front: false });
  return { decision: m.compiled!.decide(record as never), hash: m.ruleSetHash, model: m };
}

/**
 * File `ruleSet` in the archive of the model at `loc` under its hash with `schema` changed
 * by `edit`, written by hand as the archive writes it (so it reads as a valid entry): a
 * rule set of another schema in the archive. Returns its hash.
 */
export function archiveWithSchema(
  loc: ModelLocation,
  ruleSet: RuleSet,
  schema: Schema,
  edit: (s: Schema) => Schema,
): string {
  const changed = edit(structuredClone(schema));
  const hash = ruleSetHash(ruleSet);
  const isOverride = (r: RuleSet['rules'][number]) => r.event?.params?.source === 'override';
  const entry = {
    format: 'neurules.archived-rules',
    version: 1,
    model: loc.name,
    hash,
    distilledHash: ruleSetHash({ rules: ruleSet.rules.filter((r) => !isOverride(r)) }),
    overrides: ruleSet.rules.filter(isOverride).map((r) => r.name),
    schemaSha256: createHash('sha256').update(canonicalJson(changed)).digest('hex'),
    schema: changed,
    ruleSet,
  };
  const dir = path.join(loc.rulesDir, loc.name, 'archive');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${hash}.json`), JSON.stringify(entry, null, 2));
  return hash;
}

import * as fs from 'node:fs';
import { modelPaths } from '../artifacts/model-store';
import { readArchivedRuleSet, archivedHashes } from '../artifacts/rule-archive';
import type { ModelLocation } from '../artifacts/types';
import { schemaDifferences } from '../data/schema-differences';
import type { Schema } from '../data/types';
import { compileRuleSet } from '../engine/compiled-rules';
import { RuleEngine } from '../engine/rule-engine';
import type { Decider } from '../engine/types';
import { NeurulesError } from '../errors';
import { DEFAULT_ENGINE, type RecordEngineName } from '../predict/engines';
import type { RuleSet } from '../rules/types';
import { openModel } from './open-model';

/** Where a challenger's rules come from: another model, or a rule set of the model's archive. */
export type ChallengerSource = { kind: 'model'; model: string } | { kind: 'archive'; hash: string };

/** A challenger ready to decide: its merged rule set (overrides included), its hash, its source. */
export interface Challenger {
  source: ChallengerSource;
  /** The merged rule set that decides (distilled rules with the overrides above them). */
  ruleSet: RuleSet;
  /** Content hash of `ruleSet`: what `shadow.ruleSet` of a log line names. */
  ruleSetHash: string;
  /** The schema the challenger's rules were made for (equal to the champion's, checked). */
  schema: Schema;
  decider: Decider;
}

/** The fewest hex digits of a hash prefix that names an archived rule set as a challenger. */
export const CHALLENGER_PREFIX_DIGITS = 12;

const HASH_PREFIX = new RegExp(`^[0-9a-f]{${CHALLENGER_PREFIX_DIGITS},64}$`);

/**
 * Open the challenger `other` of the model at `loc`, whose rules read records of `schema`
 * (the champion's rule schema): a model of that name in the same folders (its distilled
 * rules and overrides, merged as it would serve them), or else a rule set of the champion's
 * archive by its hash or a unique prefix of at least {@link CHALLENGER_PREFIX_DIGITS} hex
 * digits. Its schema must be the champion's (CHALLENGER_SCHEMA_MISMATCH, every difference an
 * issue). Nothing reads the network or perception files: the challenger decides the facts
 * the champion decided on.
 *
 * Throws RULE_SET_NOT_FOUND (at `field`) for a name that is neither a model nor an archived
 * rule set, or a prefix that names several; a name that is both a model and a hash prefix,
 * or the model's own name, is INVALID_ARGUMENT; what `openModel` and `readArchivedRuleSet` throw.
 */
export async function openChallenger(
  loc: ModelLocation,
  other: string,
  schema: Schema,
  options: { engine?: RecordEngineName; field?: string } = {},
): Promise<Challenger> {
  const field = options.field ?? 'challenger';
  const engine = options.engine ?? DEFAULT_ENGINE;
  const ref = /^[0-9A-Fa-f]+$/.test(other) ? other.toLowerCase() : other;
  const hashes = HASH_PREFIX.test(ref) ? archivedHashes(loc).filter((h) => h.startsWith(ref)) : [];
  const otherLoc = { ...loc, name: other };
  const isModel = isModelName(otherLoc);
  // The model as its own challenger would agree with itself on every record, whatever its
  // rules: an audit of 100% agreement that measured nothing. (A rule set of the archive by
  // hash may be the one serving now; after a reload it is no longer, so it is taken.)
  if (isModel && other === loc.name) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected a challenger other than the model itself, found ${quoted(other)}: name another model or an archived rule set`,
      { field },
    );
  }
  if (isModel && hashes.length > 0) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected ${quoted(other)} to name either a model or an archived rule set, found both: rename the model or give more digits`,
      { field },
    );
  }
  let challenger: Challenger;
  if (isModel) {
    const m = await openModel(otherLoc, { teacher: false, front: false, engine });
    challenger = {
      source: { kind: 'model', model: other },
      ruleSet: m.ruleSet,
      ruleSetHash: m.ruleSetHash,
      schema: m.schema,
      decider: m.compiled ?? m.engine,
    };
  } else {
    if (hashes.length !== 1) throw notFound(loc, other, hashes, field);
    // Listed a moment ago, gone now (the archive pruned or moved meanwhile): not found.
    const entry = readArchivedRuleSet(loc, hashes[0]!);
    if (!entry) throw notFound(loc, other, [], field);
    challenger = {
      source: { kind: 'archive', hash: entry.hash },
      ruleSet: entry.ruleSet,
      ruleSetHash: entry.hash,
      schema: entry.schema,
      decider:
        engine === 'compiled' ? compileRuleSet(entry.ruleSet) : new RuleEngine(entry.ruleSet),
    };
  }
  const issues = schemaDifferences(schema, challenger.schema, field);
  if (issues.length > 0) throw NeurulesError.fromIssues(issues);
  return challenger;
}

/** Whether `loc` names a model folder (a name that is not a plain name is no model). */
function isModelName(loc: ModelLocation): boolean {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(loc.name)) return false;
  try {
    return fs.statSync(modelPaths(loc).dir).isDirectory();
  } catch {
    return false;
  }
}

/** A name as given, quoted and cut to 100 characters: a message stays one readable line. */
function quoted(other: string): string {
  return JSON.stringify(other.length > 100 ? `${other.slice(0, 100)}…` : other);
}

function notFound(loc: ModelLocation, other: string, hits: string[], field: string): NeurulesError {
  if (hits.length > 1) {
    return new NeurulesError(
      'RULE_SET_NOT_FOUND',
      `expected ${quoted(other)} to name one archived rule set of model '${loc.name}', found ${hits.length}: ${hits.map((h) => h.slice(0, 16)).join(', ')} (give more digits)`,
      { field },
    );
  }
  return new NeurulesError(
    'RULE_SET_NOT_FOUND',
    `expected a model in ${loc.modelsDir} or a rule-set hash (${CHALLENGER_PREFIX_DIGITS} to 64 hex digits) of the archive of model '${loc.name}', found ${quoted(other)}`,
    { field },
  );
}

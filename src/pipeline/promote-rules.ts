import { appendChange, changeAuthor, checkReason, type EditImpact } from '../artifacts/changes-log';
import { lockModel } from '../artifacts/model-lock';
import { checkModelName, loadModel, modelPaths, ruleChanges } from '../artifacts/model-store';
import { tryRecordRuleSet } from '../artifacts/rule-archive';
import { canonicalJson, ruleSetHash } from '../artifacts/rule-set-hash';
import type { ModelLocation } from '../artifacts/types';
import type { RuleChanges } from '../artifacts/changes-log';
import { type Issue, NeurulesError } from '../errors';
import { mergeOverrides, safeLoadOverrides } from '../overrides/merge-overrides';
import type { NeurulesRule, RuleSet } from '../rules/types';
import type { BackendChoice } from '../teacher/backend-choice';
import {
  checkDistilledRules,
  commitDistilledRules,
  impactLines,
  measureRulesChange,
  ruleChangeLines,
} from './commit-distilled-rules';
import { type ChallengerSource, openChallenger } from './open-challenger';

/** What `rules promote` found and did. */
export interface RulesPromotion {
  model: string;
  /** What was promoted: another model, or a rule set of the model's archive. */
  promoted: ChallengerSource;
  /** The merged rule set's hash serving before, and the challenger's (serving after). */
  before: string;
  after: string;
  /** False when the model serves the challenger's rule set already (nothing to promote). */
  changed: boolean;
  /** True when the promotion was committed (not with `dryRun`, not when unchanged). */
  committed: boolean;
  /** The distilled rules that change, by id. */
  changes: RuleChanges;
  /** On the build's held-out split, with the model's network. */
  impact?: EditImpact;
  /** The generation the promoted rules were committed with. */
  generation?: string;
  /** Why the promoted rule set could not be filed in the archive, when it could not. */
  archiveWarning?: string;
}

/** Options of {@link promoteRules}. */
export interface PromoteOptions {
  /** Check and measure, commit nothing. @defaultValue false */
  dryRun?: boolean;
  /** TensorFlow.js backend that measures the network. @defaultValue 'auto' */
  backend?: BackendChoice;
  /** Why the challenger is promoted: recorded in `changes.jsonl` and the archive's history. */
  reason?: string;
}

const isOverride = (r: NeurulesRule): boolean => r.event?.params?.source === 'override';

/**
 * Promote a challenger to the model's rule set: `from` names it as `serve --shadow` does
 * (another model of the same schema, or an archived rule set by hash or a unique prefix of
 * 12 or more hex digits; see `openChallenger`). The challenger's distilled rules are
 * committed as the model's, as `rules accept` commits an edit (checked for gaps and
 * overlaps, measured on the held-out split, a new generation with the same network made
 * current by one rename, one line in `changes.jsonl` with the reason and what was promoted,
 * the rule set filed in the archive), all under the model's lock.
 *
 * What serves after it is the rule set served as the challenger, hash for hash: the model's
 * override files, above the challenger's distilled rules, must make exactly the challenger's
 * rule set; otherwise PROMOTE_OVERRIDES_DIFFER names each override that differs (only the
 * challenger's, only the model's, or changed), and nothing is committed: override files are
 * the experts' (saved through the studio, with their own history), never rewritten here.
 *
 * Throws what `openChallenger` throws (CHALLENGER_SCHEMA_MISMATCH, RULE_SET_NOT_FOUND, at
 * field `from`), PROMOTE_OVERRIDES_DIFFER, what `loadModel` throws (RULES_MODIFIED for a
 * hand edit not accepted), the override files' problems, RULES_GAP / RULES_OVERLAP,
 * MODEL_LOCKED.
 *
 * @example
 * const r = await promoteRules(loc, 'german-credit-v2', { reason: 'a month in shadow, 98% agreement' });
 * r.after; // the hash that serves now
 */
export async function promoteRules(
  loc: ModelLocation,
  from: string,
  options: PromoteOptions = {},
): Promise<RulesPromotion> {
  checkModelName(loc.name);
  const reason = options.reason !== undefined ? checkReason(options.reason) : undefined;
  const p = modelPaths(loc);
  const lock = lockModel(p.dir, 'rules promote');
  try {
    const m = loadModel(loc);
    const overrides = safeLoadOverrides(p.overrides, m.schema);
    if (!overrides.ok) throw NeurulesError.fromIssues(overrides.issues);
    const before = ruleSetHash(mergeOverrides(m.ruleSet, overrides.value, m.schema));
    const challenger = await openChallenger(loc, from, m.schema, { field: 'from' });
    const { generation: _g, ...header } = m.ruleSet;
    const distilled: RuleSet = {
      ...header,
      rules: challenger.ruleSet.rules.filter((r) => !isOverride(r)),
    };
    const changes = ruleChanges(m.ruleSet, distilled);
    const base = { model: loc.name, promoted: challenger.source, before, changes };
    const after = challenger.ruleSetHash;
    if (after === before) return { ...base, after, changed: false, committed: false };
    const merged = mergeOverrides(distilled, overrides.value, m.schema);
    if (ruleSetHash(merged) !== after) {
      throw NeurulesError.fromIssues(overrideDifferences(challenger.ruleSet, merged, p.overrides));
    }
    checkDistilledRules(distilled, m.schema, p.rules);
    const measured = await measureRulesChange(
      loc,
      m,
      { before: m.ruleSet, after: distilled, overrides: overrides.value },
      { backend: options.backend ?? 'auto', allowEditedRules: false },
    );
    const result: RulesPromotion = {
      ...base,
      after,
      changed: true,
      committed: false,
      impact: measured.impact,
    };
    if (options.dryRun) return result;
    const saved = await commitDistilledRules(loc, m, distilled, measured.metrics, { lock });
    appendChange(p.changes, {
      kind: 'rules promote',
      by: changeAuthor(),
      model: loc.name,
      generation: saved.generation,
      promoted: challenger.source,
      from: m.rulesHash,
      to: ruleSetHash(distilled),
      before,
      after,
      changes,
      ...(reason !== undefined && { reason }),
      impact: measured.impact,
    });
    const archiveWarning = tryRecordRuleSet(loc, {
      ruleSet: { ...merged, version: 2, generation: saved.generation },
      schema: m.schema,
      made: 'rules promote',
      generation: saved.generation,
      ...(reason !== undefined && { reason }),
      figures: measured.figures ?? {
        on: measured.impact.description,
        records: measured.impact.records,
        accuracy: measured.impact.accuracy.after,
        fidelity: measured.impact.fidelity.after,
      },
    });
    return {
      ...result,
      committed: true,
      generation: saved.generation,
      ...(archiveWarning !== undefined && { archiveWarning }),
    };
  } finally {
    lock.release();
  }
}

/**
 * One PROMOTE_OVERRIDES_DIFFER issue per override that makes the challenger's rule set and
 * the model's files (`merged`: the challenger's distilled rules with the model's overrides)
 * differ, at `overrides.ID`: one only the challenger has, one only the model has, one whose
 * conditions, class or rank differ. The distilled rules are the same in both.
 */
function overrideDifferences(challenger: RuleSet, merged: RuleSet, dir: string): Issue[] {
  const theirs = new Map(challenger.rules.filter(isOverride).map((r) => [r.name, r]));
  const ours = new Map(merged.rules.filter(isOverride).map((r) => [r.name, r]));
  const issue = (id: string, what: string): Issue => ({
    code: 'PROMOTE_OVERRIDES_DIFFER',
    message: `expected the model's overrides (${dir}) to make the challenger's rule set, found override '${id}' ${what}; make the override files the challenger's first`,
    field: `overrides.${id}`,
  });
  const issues: Issue[] = [];
  for (const [id, r] of theirs) {
    const o = ours.get(id);
    if (!o) issues.push(issue(id, "in the challenger's rule set only"));
    else if (canonicalJson(o) !== canonicalJson(r))
      issues.push(issue(id, 'with other conditions, class or rank than the challenger has'));
  }
  for (const id of ours.keys()) {
    if (!theirs.has(id)) issues.push(issue(id, "in the model's override files only"));
  }
  // Same overrides, other order: the hit policy ranks them by priority, then file and place.
  if (issues.length === 0) issues.push(issue('*', 'ranked in another order'));
  return issues;
}

/** `rules promote`'s report, line by line. */
export function formatPromotion(r: RulesPromotion): string[] {
  const what =
    r.promoted.kind === 'model'
      ? `model '${r.promoted.model}'`
      : `archived rule set ${r.promoted.hash.slice(0, 12)}…`;
  const lines = [`rules promote: model '${r.model}', from ${what}`];
  if (!r.changed) {
    lines.push(`nothing to promote: the model serves rule set ${r.after.slice(0, 12)}… already`);
    return lines;
  }
  lines.push(`  serving ${r.before.slice(0, 12)}…  →  ${r.after.slice(0, 12)}… (the challenger's)`);
  lines.push(...ruleChangeLines(r.changes, 'distilled rules'));
  if (r.impact) lines.push(...impactLines(r.impact));
  lines.push(
    r.committed
      ? `promoted: committed as generation ${r.generation ?? '?'}; logged in changes.jsonl beside the rule file`
      : 'not promoted (dry run): nothing was recorded',
  );
  if (r.archiveWarning) lines.push(`warning: ${r.archiveWarning}`);
  return lines;
}

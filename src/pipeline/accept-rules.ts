import { lockModel } from '../artifacts/model-lock';
import {
  appendChange,
  changeAuthor,
  type EditImpact,
  type RuleChanges,
} from '../artifacts/changes-log';
import {
  checkModelName,
  loadModel,
  modelPaths,
  ruleChanges,
  type SaveOptions,
} from '../artifacts/model-store';
import type { ModelLocation } from '../artifacts/types';
import type { BackendChoice } from '../teacher/backend-choice';
import { tryRecordRuleSet } from '../artifacts/rule-archive';
import { mergeOverrides, safeLoadOverrides } from '../overrides/merge-overrides';
import {
  checkDistilledRules,
  commitDistilledRules,
  impactLines,
  measureRulesChange,
  ruleChangeLines,
} from './commit-distilled-rules';

/** What `rules accept` found and did. */
export interface RulesAcceptance {
  model: string;
  file: string;
  /** The committed rules hash, and the edited file's. */
  from: string;
  to: string;
  /** False when the file already holds the committed rules (nothing to accept). */
  edited: boolean;
  /** True when the new hash was recorded (not with `dryRun`). */
  accepted: boolean;
  changes: RuleChanges;
  /** Absent for a model of the old single-folder layout, which keeps no committed copy. */
  impact?: EditImpact;
  /** The generation the accepted rules were committed with (when accepted). */
  generation?: string;
  /** Why the accepted rule set could not be filed in the archive, when it could not. */
  archiveWarning?: string;
}

/** Options of {@link acceptRules}. */
export interface AcceptOptions {
  /** Check and measure, record nothing. @defaultValue false */
  dryRun?: boolean;
  /** TensorFlow.js backend that measures the network. @defaultValue 'auto' */
  backend?: BackendChoice;
  /** Why the edit is made: recorded in `changes.jsonl` and the archive's history. */
  reason?: string;
  /** Test hook of the commit (see `saveModel`): runs after each of its steps. */
  afterSaveStep?: SaveOptions['afterStep'];
}

/**
 * Accept a hand edit of a model's distilled rule file: re-verify the rules against the
 * schema, check with the region algebra that they still send every record (complete, with
 * missing values or unseen levels) to exactly one rule (RULES_GAP / RULES_OVERLAP, each with
 * an example record), check that the compiled evaluator takes them, measure the edit on the
 * build's held-out split, and then (unless `dryRun`) commit the edit as a build commits:
 * a new generation with the same network, schema and tree, the accepted rules, and metrics
 * measured anew, made current by one rename of the rule file; then one line in
 * `RULES_DIR/NAME/changes.jsonl`. Holds the model's lock throughout (MODEL_LOCKED while
 * a build runs). The commit replaces the rule file only if it still holds exactly the
 * bytes that were verified: an edit saved meanwhile is FILE_CHANGED, nothing is committed
 * and the newer file stays as it is, to be accepted in turn.
 *
 * Throws NeurulesError: what `loadModel` and `verifyRuleSet` report, RULES_GAP,
 * RULES_OVERLAP, the compiled evaluator's refusals, FILE_CHANGED, MODEL_LOCKED.
 */
export async function acceptRules(
  loc: ModelLocation,
  options: AcceptOptions = {},
): Promise<RulesAcceptance> {
  checkModelName(loc.name);
  const p = modelPaths(loc);
  const lock = lockModel(p.dir, 'rules accept');
  try {
    const m = loadModel(loc, { allowEditedRules: true });
    const from = m.manifest.rulesHash;
    const to = m.rulesHash;
    const base = { model: loc.name, file: m.rulesFile, from, to };
    const none = { changed: [], added: [], removed: [], reordered: false };
    if (from === to) return { ...base, edited: false, accepted: false, changes: none };

    checkDistilledRules(m.ruleSet, m.schema, m.rulesFile);

    const before = m.committedRules;
    const changes = before ? ruleChanges(before, m.ruleSet) : none;
    // The rule set that comes into force is the accepted rules with the overrides above them.
    const overrides = safeLoadOverrides(p.overrides, m.schema);
    const measured = before
      ? await measureRulesChange(
          loc,
          m,
          { before, after: m.ruleSet, overrides: overrides.ok ? overrides.value : undefined },
          { backend: options.backend ?? 'auto', allowEditedRules: true },
        )
      : undefined;
    const impact = measured?.impact;
    const figures = measured?.figures;
    const result: RulesAcceptance = {
      ...base,
      edited: true,
      accepted: !options.dryRun,
      changes,
      ...(impact && { impact }),
    };
    if (options.dryRun) return result;

    // Committed as a build is: a new generation (the same network, schema and tree, the
    // accepted rules and their metrics), made current by renaming the rule file into place.
    const saved = await commitDistilledRules(loc, m, m.ruleSet, measured?.metrics ?? m.metrics, {
      lock,
      // The bytes verified above: an edit saved since is refused, not overwritten.
      expectRulesFile: m.rulesFileSha256,
      ...(options.afterSaveStep && { afterStep: options.afterSaveStep }),
    });
    appendChange(p.changes, {
      kind: 'rules accept',
      by: changeAuthor(),
      model: loc.name,
      generation: saved.generation,
      from,
      to,
      changes,
      ...(options.reason !== undefined && { reason: options.reason }),
      ...(impact && { impact }),
    });
    // Filed in the archive once committed; when the overrides do not load, no service can
    // serve this rule set, and the one that does (after they are mended) files it.
    let archiveWarning: string | undefined;
    if (overrides.ok) {
      const { generation: _rg, ...rules } = m.ruleSet;
      const distilled = { ...rules, version: 2 as const, generation: saved.generation };
      archiveWarning = tryRecordRuleSet(loc, {
        ruleSet: mergeOverrides(distilled, overrides.value, m.schema),
        schema: m.schema,
        made: 'rules accept',
        generation: saved.generation,
        ...(options.reason !== undefined && { reason: options.reason }),
        ...((figures ?? impact) && {
          figures: figures ?? {
            on: impact!.description,
            records: impact!.records,
            accuracy: impact!.accuracy.after,
            fidelity: impact!.fidelity.after,
          },
        }),
      });
    }
    return {
      ...result,
      generation: saved.generation,
      ...(archiveWarning !== undefined && { archiveWarning }),
    };
  } finally {
    lock.release();
  }
}

/** `rules accept`'s report, line by line. */
export function formatAcceptance(r: RulesAcceptance): string[] {
  const lines = [`rules accept: model '${r.model}', ${r.file}`];
  if (!r.edited) {
    lines.push(`nothing to accept: the file holds the committed rules (${r.from.slice(0, 12)}…)`);
    return lines;
  }
  lines.push(`  committed ${r.from.slice(0, 12)}…  →  edited ${r.to.slice(0, 12)}…`);
  lines.push(...ruleChangeLines(r.changes, 'rules'));
  lines.push(
    '  every record reaches exactly one rule (complete records, missing values, unseen levels)',
  );
  if (r.impact) {
    lines.push(...impactLines(r.impact));
  } else {
    lines.push('  no impact: a model of the old layout keeps no copy of its committed rules');
  }
  lines.push(
    r.accepted
      ? `accepted: committed as generation ${r.generation ?? '?'}; logged in changes.jsonl beside the rule file`
      : 'not accepted (dry run): nothing was recorded',
  );
  if (r.archiveWarning) lines.push(`warning: ${r.archiveWarning}`);
  return lines;
}

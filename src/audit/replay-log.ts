import { readArchivedRuleSet } from '../artifacts/rule-archive';
import type { ModelLocation } from '../artifacts/types';
import { IssueList } from '../data/issue-list';
import type { DataRecord, Schema } from '../data/types';
import { evaluatorOf } from '../engine/explain-decision';
import type { Decision } from '../engine/types';
import { isNeurulesError } from '../errors';
import { dependenceOn } from '../regions/decisive-fields';
import type { RuleSet } from '../rules/types';
import {
  type LinePlace,
  type LoggedDecision,
  inputsIssue,
  loggedRecord,
  logLines,
  parseLogLine,
} from './log-lines';

/** A rule set that decided, with the schema its facts are read with. */
export interface RuleSetInForce {
  /** `ruleSetHash(ruleSet)`. */
  hash: string;
  ruleSet: RuleSet;
  schema: Schema;
  /** The model generation whose distilled rules it holds, where known. */
  generation?: string;
}

/** A class and the rule that decided it; both null when no rule fired. */
export interface Outcome {
  class: string | null;
  ruleId: string | null;
}

/** A logged decision that the rules in force then decide otherwise today. */
export interface ReplayDifference extends LinePlace {
  requestId?: string;
  time: string;
  /** The hash of the rule set the line names. */
  ruleSet: string;
  logged: { class: string; ruleId: string };
  replayed: Outcome;
}

/** A logged decision that depended on fields the log redacted, so it cannot be replayed. */
export interface NotReplayableLine extends LinePlace {
  requestId?: string;
  ruleSet: string;
  /** The redacted fields the decision depended on (all the line's, with `reason`). */
  redacted: string[];
  /** Present when the rules could not be analysed: why the dependence is unknown. */
  reason?: string;
}

/** A logged decision whose rule set is in neither the archive nor today's rules. */
export interface UnknownRuleSetLine extends LinePlace {
  requestId?: string;
  ruleSet: string;
}

/** What one rule set decided in the logs, and where it was found. */
export interface ReplayedRuleSet {
  hash: string;
  /** `archive`: filed in `RULES_DIR/NAME/archive/`; `today`: the model's current rules. */
  from: 'archive' | 'today';
  generation?: string;
  decisions: number;
}

/** What {@link replayLog} found; the counts add up to `decisions`. */
export interface ReplayReport {
  model: string;
  files: string[];
  /** Decisions read (the log lines that are not blank). */
  decisions: number;
  reproduced: number;
  differ: number;
  unknownRuleSet: number;
  notReplayable: number;
  /** Every rule set the logs name that is known, in the order first met. */
  ruleSets: ReplayedRuleSet[];
  differences: ReplayDifference[];
  notReplayableLines: NotReplayableLine[];
  unknown: UnknownRuleSetLine[];
}

/** What {@link replayLog} replays, and with what. */
export interface ReplayRequest {
  loc: ModelLocation;
  /** The model's merged rule set today: it replays lines naming it when it is not archived. */
  current: RuleSetInForce;
  /** The decision logs, read as one (a log from several replicas). */
  files: readonly string[];
}

/** A known rule set, ready to decide (compiled once) and analysed when first needed. */
interface Known extends RuleSetInForce {
  from: ReplayedRuleSet['from'];
  evaluator: ReturnType<typeof evaluatorOf>;
  count: ReplayedRuleSet;
}

/**
 * Replay a model's decision logs: re-decide every logged decision with the rule set its
 * line names (by hash: the archived one, `readArchivedRuleSet`, or today's merged rules
 * when the archive lacks it and the hash is theirs) and compare the class and the rule.
 * Writes nothing. The files are streamed a line at a time, each rule set compiled once.
 *
 * A line is one of four: reproduced; a difference (another class or rule, or no rule);
 * of an unknown rule set; or not replayable, when the decision depended on redacted
 * fields (written "[redacted]", read as missing). Whether it depended on them is decided
 * exactly by {@link decisiveFields}: with every other input fixed to its logged value,
 * does some value of the redacted fields (missing included) let another rule decide? If
 * not, the line is replayed with them missing and compared as any other. A rule set the
 * region analysis refuses (overlapping rules of one priority, a condition outside it) gives
 * no such answer: its lines with redacted fields are not replayable, with the reason.
 *
 * Every problem of every file is collected and thrown together: LOG_LINE_INVALID for a
 * line that is not JSON, not a decision, or whose inputs do not fit the schema of its rule
 * set (a feature absent, a number where a level belongs); LOG_OTHER_MODEL for a line of
 * another model. FILE_NOT_FOUND for a file that cannot be read, ARCHIVE_MODIFIED for an
 * archived rule set that does not match its hash (both at once).
 *
 * @example
 * const report = await replayLog({ loc, current, files: ['decisions.jsonl'] });
 * report.differ; // 0 when every decision reproduces
 */
export async function replayLog(request: ReplayRequest): Promise<ReplayReport> {
  const { loc, current, files } = request;
  const report: ReplayReport = {
    model: loc.name,
    files: [...files],
    decisions: 0,
    reproduced: 0,
    differ: 0,
    unknownRuleSet: 0,
    notReplayable: 0,
    ruleSets: [],
    differences: [],
    notReplayableLines: [],
    unknown: [],
  };
  const known = new Map<string, Known | null>();
  const resolve = (hash: string): Known | null => {
    let k = known.get(hash);
    if (k !== undefined) return k;
    const found = findRuleSet(loc, hash, current);
    k = null;
    if (found) {
      const count: ReplayedRuleSet = {
        hash,
        from: found.from,
        ...(found.generation !== undefined && { generation: found.generation }),
        decisions: 0,
      };
      report.ruleSets.push(count);
      k = { ...found, evaluator: evaluatorOf(found.ruleSet), count };
    }
    known.set(hash, k);
    return k;
  };
  const issues = new IssueList();
  for (const file of files) {
    for await (const { line, text } of logLines(file)) {
      const read = parseLogLine(text, { file, line }, loc.name);
      if (!read.ok) {
        issues.addAll(read.issues);
        continue;
      }
      const d = read.value;
      const rules = resolve(d.ruleSet);
      if (!rules) {
        report.decisions++;
        report.unknownRuleSet++;
        report.unknown.push({ ...placeOf(d), ruleSet: d.ruleSet });
        continue;
      }
      const problem = inputsIssue(d, rules.schema, rules.hash);
      if (problem) {
        issues.add(problem);
        continue;
      }
      report.decisions++;
      rules.count.decisions++;
      await replayLine(d, rules, report);
    }
  }
  issues.throwIfAny();
  return report;
}

/** Replay one line whose inputs fit its rule set's schema, and count what it gives. */
async function replayLine(d: LoggedDecision, rules: Known, report: ReplayReport): Promise<void> {
  const { record, redacted } = loggedRecord(d, rules.schema);
  const depends = dependenceOn(rules, record, redacted);
  if ('refused' in depends) {
    report.notReplayable++;
    report.notReplayableLines.push({
      ...placeOf(d),
      ruleSet: d.ruleSet,
      redacted,
      reason: depends.refused,
    });
    return;
  }
  if (depends.length > 0) {
    report.notReplayable++;
    report.notReplayableLines.push({ ...placeOf(d), ruleSet: d.ruleSet, redacted: depends });
    return;
  }
  const replayed = await outcomeOf(rules, record);
  if (replayed.class === d.class && replayed.ruleId === d.ruleId) {
    report.reproduced++;
    return;
  }
  report.differ++;
  report.differences.push({
    ...placeOf(d),
    time: d.time,
    ruleSet: d.ruleSet,
    logged: { class: d.class, ruleId: d.ruleId },
    replayed,
  });
}

/** A rule set a line names, and where it was found. */
export type FoundRuleSet = RuleSetInForce & { from: 'archive' | 'today' };

/**
 * The rule set of `hash`: the archive's (checked: ARCHIVE_MODIFIED when it does not match),
 * or `today`'s (the model's merged rules now) when the archive lacks it and the hash is
 * theirs; undefined when neither has it.
 */
export function findRuleSet(
  loc: ModelLocation,
  hash: string,
  today: RuleSetInForce,
): FoundRuleSet | undefined {
  const archived = readArchivedRuleSet(loc, hash);
  if (archived) {
    return {
      hash,
      ruleSet: archived.ruleSet,
      schema: archived.schema,
      ...(archived.generation !== undefined && { generation: archived.generation }),
      from: 'archive',
    };
  }
  return hash === today.hash ? { ...today, from: 'today' } : undefined;
}

/** The class and rule a rule set decides a record with; nulls when no rule fires. */
async function outcomeOf(rules: Known, record: DataRecord): Promise<Outcome> {
  let decision: Decision;
  try {
    decision = await rules.evaluator.decide(record);
  } catch (e) {
    if (isNeurulesError(e) && e.code === 'NO_RULE_FIRED') return { class: null, ruleId: null };
    throw e;
  }
  return { class: decision.class, ruleId: decision.ruleId };
}

function placeOf(d: LoggedDecision): LinePlace & { requestId?: string } {
  return {
    file: d.file,
    line: d.line,
    ...(d.requestId !== undefined && { requestId: d.requestId }),
  };
}

/** A hash as the report shows it: its first 12 digits. */
export const shortHash = (hash: string): string => hash.slice(0, 12);

const said = (o: Outcome): string =>
  o.class === null ? 'no rule fires' : `${o.class} by ${o.ruleId}`;

/**
 * The report as lines for a terminal: one per line that is not reproduced, in file and
 * line order (`FILE:LINE  logged bad by R06, replayed good by R08 (rule set 3fa9c1d2e4b5)`),
 * then the summary, always last: `replayed N decisions: R reproduced, D differ, U unknown
 * rule set`, with `, X not replayable (redacted)` when X is not 0.
 */
export function formatReplay(report: ReplayReport): string[] {
  const found: { at: LinePlace; text: string }[] = [
    ...report.differences.map((d) => ({
      at: d,
      text: `logged ${d.logged.class} by ${d.logged.ruleId}, replayed ${said(d.replayed)} (rule set ${shortHash(d.ruleSet)})`,
    })),
    ...report.unknown.map((u) => ({
      at: u,
      text: `unknown rule set ${shortHash(u.ruleSet)}: in neither the archive of model '${report.model}' nor today's rules`,
    })),
    ...report.notReplayableLines.map((n) => ({
      at: n,
      text:
        `not replayable (redacted: ${n.redacted.join(', ')}): ` +
        (n.reason ??
          `other values of ${n.redacted.join(' or ')} let another rule decide, with the other inputs as logged`) +
        ` (rule set ${shortHash(n.ruleSet)})`,
    })),
  ];
  const fileOrder = new Map(report.files.map((f, i) => [f, i] as const));
  found.sort(
    (a, b) => fileOrder.get(a.at.file)! - fileOrder.get(b.at.file)! || a.at.line - b.at.line,
  );
  return [...found.map((f) => `${f.at.file}:${f.at.line}  ${f.text}`), replaySummary(report)];
}

/** The last line of {@link formatReplay}. */
export function replaySummary(r: ReplayReport): string {
  return (
    `replayed ${r.decisions} decisions: ${r.reproduced} reproduced, ${r.differ} differ, ${r.unknownRuleSet} unknown rule set` +
    (r.notReplayable > 0 ? `, ${r.notReplayable} not replayable (redacted)` : '')
  );
}

/** Whether every decision reproduced: none differs, none is of an unknown rule set or redacted. */
export function allReproduced(r: ReplayReport): boolean {
  return r.differ === 0 && r.unknownRuleSet === 0 && r.notReplayable === 0;
}

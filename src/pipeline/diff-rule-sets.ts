import * as path from 'node:path';
import { readLoggedDecisions } from '../audit/log-lines';
import { findRuleSet } from '../audit/replay-log';
import { loadDecisionData } from '../artifacts/model-data';
import {
  archivePaths,
  type HistoryEntry,
  type MadeBy,
  readHistory,
  resolveRuleSetRef,
} from '../artifacts/rule-archive';
import type { ModelLocation } from '../artifacts/types';
import {
  type ChangedRecord,
  type ClassFlow,
  diffDecisions,
  diffLog,
  diffRegions,
  type LogDiff,
  type RecordsDiff,
  type RegionDiff,
  type RuleSetChanges,
  ruleSetChanges,
  type RuleSetWithSchema,
} from '../audit/rule-set-diff';
import { readRecords } from '../data/read-records';
import type { DataRecord } from '../data/types';
import { compileRuleSet } from '../engine/compiled-rules';
import { isNeurulesError, NeurulesError } from '../errors';
import type { PerceivedFacts } from '../perception/perceived';
import type { BackendChoice } from '../teacher/backend-choice';
import { type OpenModel, openModel } from './open-model';

/** Options of {@link diffRuleSets}. */
export interface DiffOptions {
  /**
   * The rule set to compare from: a hash, a prefix of 6 or more hex digits, or a
   * generation (see `resolveRuleSetRef`).
   * @defaultValue the rule set that came into force before `to` (the archive's history)
   */
  from?: string;
  /** The rule set to compare to, named as `from` is. @defaultValue the model's rule set now */
  to?: string;
  /**
   * A .csv or .jsonl file of records to decide with both (labelled or not).
   * @defaultValue the build's held-out test split
   */
  data?: string;
  /** A decision log (`neurules serve --decision-log`) whose inputs the `to` rules decide again. */
  log?: string;
  /** @defaultValue 'auto' */
  backend?: BackendChoice;
}

/** One side of a diff: which rule set, and how it came into force. */
export interface RuleSetSide {
  hash: string;
  /** It is the model's rule set now (distilled rules with the overrides on disk). */
  current: boolean;
  /** What made it come into force last, and when (absent when the history has no line of it). */
  made?: MadeBy;
  time?: string;
  generation?: string;
  /** How many rules it has, and how many of them are overrides. */
  rules: number;
  overrides: number;
}

/** Everything `neurules diff` found (its `--json` output). */
export interface RuleSetDiff {
  model: string;
  from: RuleSetSide;
  to: RuleSetSide;
  /** The rules added, removed and changed, in words. */
  rules: RuleSetChanges;
  /** The exact regions whose class changes, or why they are not computed. */
  regions: RegionDiff;
  /** What the records are (`held-out test split (300 of 1000 rows) of data/german-credit.csv`); null when none were decided. */
  on: string | null;
  /** The records decided with both rule sets, and how many of them change class. */
  records: { total: number; changed: number } | null;
  /** From the class before (rows) to the class after (columns), on the records. */
  flow: ClassFlow | null;
  /** Agreement with the records' labels before and after; null without labels or records. */
  accuracy: { before: number; after: number } | null;
  /** Agreement with the model's (current) network before and after; null without records. */
  fidelity: { before: number; after: number } | null;
  /** Why no records were decided (the build's data file is gone or changed), when none were. */
  notMeasured?: string;
  /** With `log`: what the `to` rules decide of the logged decisions. */
  log?: LogDiff;
}

/**
 * Compare two rule sets of a model, by default the one that came into force before the
 * current one (the archive's history) with the current one (the distilled rules with the
 * overrides on disk now, archived or not): the rules added, removed and changed, in words;
 * the exact regions of the record space whose class changes, each with an example record
 * checked against both rule sets; the records that change class (`data`, by default the
 * build's held-out split), the class flow, accuracy and fidelity (agreement with the
 * model's network) before and after; and with `log`, what the `to` rules decide of the
 * decisions a service logged.
 *
 * Throws NeurulesError: RULE_SET_NOT_FOUND (field `--from` or `--to`) for a reference that
 * names no rule set, and for the default `from` when the history holds no earlier rule
 * set; ARCHIVE_MODIFIED for an archived rule set that does not match its hash; what
 * `openModel` and `loadDecisionData` throw; LOG_LINE_INVALID, LOG_OTHER_MODEL and
 * NO_DECISIONS for the log; INTERNAL when the region analysis and the compiled evaluator
 * disagree (a bug: no region is then shown).
 *
 * @example
 * const diff = await diffRuleSets(loc, { from: '3fa9c1d2' });
 * diff.records?.changed; // 4
 */
export async function diffRuleSets(
  loc: ModelLocation,
  options: DiffOptions = {},
): Promise<RuleSetDiff> {
  const backend = options.backend ?? 'auto';
  const model = await openModel(loc, { teacher: true, backend });
  try {
    const history = readHistory(loc).entries;
    const toHash =
      options.to !== undefined
        ? resolveRuleSetRef(loc, options.to, '--to', model.ruleSetHash)
        : model.ruleSetHash;
    const fromHash =
      options.from !== undefined
        ? resolveRuleSetRef(loc, options.from, '--from', model.ruleSetHash)
        : previousHash(loc, history, toHash, model.ruleSetHash);
    const before = ruleSetOf(loc, model, fromHash, '--from');
    const after = ruleSetOf(loc, model, toHash, '--to');
    const measured = await measureRecords(loc, model, before, after, options);
    const diff: RuleSetDiff = {
      model: loc.name,
      from: sideOf(history, model, fromHash, before),
      to: sideOf(history, model, toHash, after),
      rules: ruleSetChanges(before.ruleSet, after.ruleSet),
      regions: diffRegions(before, after, measured.changed),
      on: measured.on,
      records: measured.diff && { total: measured.diff.total, changed: measured.diff.changed },
      flow: measured.diff?.flow ?? null,
      accuracy: measured.diff?.accuracy ?? null,
      fidelity: measured.diff?.fidelity ?? null,
      ...(measured.notMeasured !== undefined && { notMeasured: measured.notMeasured }),
    };
    if (options.log !== undefined) {
      const entries = await readLoggedDecisions(options.log, loc.name);
      diff.log = diffLog(entries, after, options.log);
    }
    return diff;
  } finally {
    model.teacher?.dispose();
    model.front?.dispose();
  }
}

/**
 * The rule set that came into force before `to`: the newest history line, before the last
 * line of `to`, that names another rule set. RULE_SET_NOT_FOUND (field `--from`) when there
 * is none.
 */
function previousHash(
  loc: ModelLocation,
  history: readonly HistoryEntry[],
  to: string,
  current: string,
): string {
  const last = history.map((e) => e.hash).lastIndexOf(to);
  const earlier = history.slice(0, last < 0 ? history.length : last);
  const previous = earlier.filter((e) => e.hash !== to).at(-1);
  if (previous) return previous.hash;
  const which = to === current ? 'the current rule set' : 'the rule set given with --to';
  throw new NeurulesError(
    'RULE_SET_NOT_FOUND',
    `expected a rule set of model '${loc.name}' that came into force before ${which} (${to.slice(0, 12)}), found none: its archive history (${archivePaths(loc).history}) holds ${history.length ? `${history.length} line(s), none of an earlier rule set` : 'no line'}; name one with --from`,
    { field: '--from' },
  );
}

/** The rule set of a hash with its schema: the archive's, or the current one. */
function ruleSetOf(
  loc: ModelLocation,
  model: OpenModel,
  hash: string,
  field: string,
): RuleSetWithSchema {
  const found = findRuleSet(loc, hash, {
    hash: model.ruleSetHash,
    ruleSet: model.ruleSet,
    schema: model.schema,
  });
  if (found) return { ruleSet: found.ruleSet, schema: found.schema };
  throw new NeurulesError(
    'RULE_SET_NOT_FOUND',
    `expected rule set ${hash.slice(0, 12)}… of model '${loc.name}' in its archive (${path.join(archivePaths(loc).dir, `${hash}.json`)}), found no such file`,
    { field },
  );
}

function sideOf(
  history: readonly HistoryEntry[],
  model: OpenModel,
  hash: string,
  side: RuleSetWithSchema,
): RuleSetSide {
  const entry = history.filter((e) => e.hash === hash).at(-1);
  return {
    hash,
    current: hash === model.ruleSetHash,
    ...(entry && { made: entry.made, time: entry.time }),
    ...((entry?.generation ?? side.ruleSet.generation) !== undefined && {
      generation: entry?.generation ?? side.ruleSet.generation,
    }),
    rules: side.ruleSet.rules.length,
    overrides: side.ruleSet.rules.filter((r) => r.event.params.source === 'override').length,
  };
}

/** The records both rule sets decide, what they make of them, and the changed records. */
async function measureRecords(
  loc: ModelLocation,
  model: OpenModel,
  before: RuleSetWithSchema,
  after: RuleSetWithSchema,
  options: DiffOptions,
): Promise<{
  on: string | null;
  diff: RecordsDiff | null;
  changed: ChangedRecord[];
  notMeasured?: string;
}> {
  let read: { records: DataRecord[]; labels: number[] | null; description: string };
  try {
    read = await recordsToDecide(loc, model, options);
  } catch (e) {
    // The build's data file gone or changed: the rules still compare, the records cannot.
    if (options.data !== undefined || !isNeurulesError(e)) throw e;
    if (e.code !== 'FILE_NOT_FOUND' && e.code !== 'DATA_CHANGED') throw e;
    return {
      on: null,
      diff: null,
      changed: [],
      notMeasured: `the build's held-out split cannot be read again (${e.code}: ${e.message}); give --data FILE`,
    };
  }
  const { records, labels, description } = read;
  const decide = (side: RuleSetWithSchema) => {
    const rules = compileRuleSet(side.ruleSet);
    return records.map((r) => rules.decide(r).class);
  };
  const [b, a] = [decide(before), decide(after)];
  const diff = diffDecisions({
    classes: model.schema.classes,
    before: b,
    after: a,
    labels,
    network: model.teacher!.predict(records),
  });
  const changed = records.flatMap((record, i) =>
    b[i] !== a[i] ? [{ record, from: b[i]!, to: a[i]! }] : [],
  );
  return { on: description, diff, changed };
}

/**
 * The records to decide: the build's held-out split, a labelled file (both as `audit`
 * reads them, perceived for a model with concepts), or a file without the target column
 * (or key), read as `predict` reads it.
 */
async function recordsToDecide(
  loc: ModelLocation,
  model: OpenModel,
  options: DiffOptions,
): Promise<{ records: DataRecord[]; labels: number[] | null; description: string }> {
  const file = options.data;
  const front = model.front;
  const labelled = async () => {
    const data = await loadDecisionData(loc, {
      ...(file !== undefined && { data: file }),
      backend: options.backend ?? 'auto',
      ...(front && { front }),
    });
    return { records: data.test.records, labels: data.test.labels, description: data.description };
  };
  if (file === undefined) return labelled();
  const raw = readRecords(file, front ? front.spec.input : model.schema, {
    unknownCategories: 'keep',
  });
  if (raw.targets.some((t) => t !== undefined)) return labelled();
  let records = raw.records;
  if (front) {
    const batch = await front.perceive(records, { file, lines: raw.lines });
    const issues = batch.rows.flatMap((r) => ('issues' in r ? r.issues : []));
    if (issues.length > 0) throw NeurulesError.fromIssues(issues);
    records = (batch.rows as { record: DataRecord; perceived: PerceivedFacts }[]).map(
      (r) => r.record,
    );
  }
  return {
    records,
    labels: null,
    description: `all ${records.length} records of ${file} (no labels: no accuracy)`,
  };
}

/** How one side reads in the headline: `3fa9c1d2e4b5 (build 2026-12-07 17:40)`. */
function sideLabel(s: RuleSetSide): string {
  const when = s.time !== undefined ? ` ${s.time.slice(0, 16).replace('T', ' ')}` : '';
  const how = s.made !== undefined ? `${s.made}${when}` : 'not archived';
  return `${s.hash.slice(0, 12)} (${how}${s.current ? ', current' : ''})`;
}

/** A class-flow matrix as aligned text lines (rows: from, columns: to). */
function flowLines(flow: ClassFlow, rows: string, columns: string): string[] {
  const width = Math.max(6, ...flow.classes.map((c) => c.length + 2));
  const cell = (t: string) => t.padStart(width);
  const lead = Math.max(...flow.classes.map((c) => c.length));
  return [
    `    ${rows} ↓ ${columns} →`,
    `    ${''.padEnd(lead)}${flow.classes.map(cell).join('')}`,
    ...flow.classes.map(
      (c, i) => `    ${c.padEnd(lead)}${flow.counts[i]!.map((n) => cell(String(n))).join('')}`,
    ),
  ];
}

/** How many regions the text lists (`--json` has all). */
export const REGIONS_SHOWN = 20;

/** `neurules diff`'s report, line by line. */
export function formatRuleSetDiff(d: RuleSetDiff): string[] {
  const f = (x: number): string => x.toFixed(3);
  const out = [`diff ${d.model}: ${sideLabel(d.from)} → ${sideLabel(d.to)}`, ''];
  const r = d.rules;
  const same = !r.added.length && !r.removed.length && !r.changed.length;
  out.push(
    same
      ? `rules: none added, removed or changed${r.reordered ? ' (their order changed)' : ''}`
      : `rules: ${r.added.length} added, ${r.removed.length} removed, ${r.changed.length} changed${r.reordered ? '; the order of the rules changed' : ''}`,
  );
  const word = (x: RuleSetChanges['added'][number]) => `${x.conditions} → ${x.class}`;
  for (const x of r.added) out.push(`  + ${x.name} (${x.source}): ${word(x)}`);
  for (const x of r.removed) out.push(`  - ${x.name} (${x.source}): ${word(x)}`);
  for (const x of r.changed) {
    out.push(
      `  ~ ${x.name} (${x.after.source}; ${x.differs.join(', ')} changed)`,
      `      before: ${word(x.before)}`,
      `      after:  ${word(x.after)}`,
    );
  }
  out.push('');
  if (!d.regions.computed) {
    out.push(`regions whose decision changes: not computed: ${d.regions.reason}`);
  } else {
    const regions = d.regions.regions;
    out.push(
      regions.length
        ? `regions whose decision changes (exact): ${regions.length}; each example shows the features its region names (--json: the whole record)`
        : 'regions whose decision changes (exact): none: the two rule sets decide every record alike',
    );
    regions.slice(0, REGIONS_SHOWN).forEach((g, i) => {
      // The features the region constrains; the example's others are typical values.
      const example = g.features
        .map((k) => `${k}=${g.example[k] === null ? 'missing' : g.example[k]}`)
        .join(', ');
      out.push(
        `  ${i + 1}. ${g.from} → ${g.to} where ${g.conditions}  (${g.rules.before} → ${g.rules.after})`,
        `     e.g. ${example || 'any record'}`,
      );
    });
    if (regions.length > REGIONS_SHOWN)
      out.push(`  … and ${regions.length - REGIONS_SHOWN} more (--json lists them all)`);
  }
  out.push('');
  if (d.records && d.flow && d.fidelity) {
    out.push(
      `records: ${d.on}`,
      `  ${d.records.changed} of ${d.records.total} change class`,
      ...flowLines(d.flow, 'before', 'after'),
      d.accuracy
        ? `  accuracy  ${f(d.accuracy.before)} → ${f(d.accuracy.after)}`
        : '  accuracy  (no labels)',
      `  fidelity  ${f(d.fidelity.before)} → ${f(d.fidelity.after)}  (agreement with the model's network)`,
    );
  } else {
    out.push(`records: not decided: ${d.notMeasured ?? 'no records'}`);
  }
  if (d.log) {
    const l = d.log;
    const by = Object.entries(l.ruleSets)
      .map(([h, n]) => `${n} by ${h.slice(0, 12)}`)
      .join(', ');
    out.push(
      '',
      `log: ${l.file}: ${l.decisions.total} logged decisions (${by})`,
      `  ${l.decisions.changed} of ${l.decisions.total} would be decided otherwise by ${d.to.hash.slice(0, 12)}`,
      ...(l.redacted
        ? [
            `  ${l.redacted} of the lines have redacted inputs: ${l.redacted - l.undetermined} decided with them missing (the deciding rule does not depend on them), ${l.undetermined} left out (the deciding rule depends on them)`,
          ]
        : []),
      ...flowLines(l.flow, 'logged', 'now'),
    );
  }
  return out;
}

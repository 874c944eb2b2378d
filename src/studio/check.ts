import type { NestedCondition, TopLevelCondition } from 'json-rules-engine';
import type { PerceivedFacts } from '../perception/perceived';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { overrideImpact } from '../audit/override-impact';
import { ruleSetHash } from '../artifacts/rule-set-hash';
import type { DataRecord, Schema } from '../data/types';
import { compileRuleSet, type CompiledRules } from '../engine/compiled-rules';
import { explainDecision, formatExplanation, type Explanation } from '../engine/explain-decision';
import { runExamples } from '../engine/run-examples';
import { comparePlaces, type Issue, NeurulesError } from '../errors';
import { lintOverrides, type LintFinding } from '../overrides/lint-overrides';
import { checkOverrideTexts, mergeOverrides } from '../overrides/merge-overrides';
import type { Override } from '../overrides/parse-overrides';
import { describeBox, describeIncluded, describeRegionParts } from '../regions/describe-region';
import { ownValue } from '../regions/region';
import { conditionFacts } from '../rules/condition-facts';
import { changedRegions } from '../regions/changed-regions';
import type { RuleSet } from '../rules/types';
import { formatLint, type OverridesLint } from '../overrides/lint-report';
import { quickFixes } from './quick-fixes';
import type {
  ChangedRecord,
  Quality,
  SavedFile,
  StudioCheck,
  StudioFile,
  StudioImpact,
  StudioProblem,
  StudioRegion,
} from './contract';
import { describeOverrides } from './describe-overrides';
import { OVERRIDE_FILE_NAME } from './override-file-name';

/**
 * Everything a check needs, as plain data: it is copied once to the thread that checks, so
 * the server's event loop never runs the analysis itself.
 */
export interface CheckContext {
  /** The overrides folder (files are named as the loader names them, inside it). */
  dir: string;
  schema: Schema;
  /** The distilled rules alone. */
  distilled: RuleSet;
  /** The records dead overrides are judged on, and how `rules lint` names them. */
  judged: { records: DataRecord[]; label: string; source: 'split' | 'file'; file: string };
  /** The records impact and explanations are measured on, with their labels. */
  test: { records: DataRecord[]; labels: number[]; description: string };
  /** The network's class index for each test record. */
  network: number[];
}

/** The saved override files' merged rule set and its decisions (absent when they do not load). */
interface SavedState {
  merged?: RuleSet;
  hash: string;
  decisions?: string[];
  /** The merged rule set compiled, and the fields each of its overrides reads. */
  compiled?: CompiledRules;
  reads?: Map<string, string[]>;
}

/** The SHA-256 of a text, in hex: the hash a saved file is known by. */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The files as the loader names them (their path in the overrides folder), in name order.
 * A name that is not a plain `NAME.yaml`, or a name given twice, is INVALID_FILE_NAME.
 */
export function overrideTexts(
  dir: string,
  files: readonly StudioFile[],
): { file: string; text: string }[] {
  const seen = new Set<string>();
  for (const f of files) {
    if (!OVERRIDE_FILE_NAME.test(f.name) || seen.has(f.name)) {
      throw new NeurulesError(
        'INVALID_FILE_NAME',
        seen.has(f.name)
          ? `file '${f.name}' is given twice`
          : `expected a file name like 'policy.yaml' (letters, digits, '.', '_', '-'; no folder), found '${f.name}'`,
        { field: 'files' },
      );
    }
    seen.add(f.name);
  }
  return [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => ({ file: path.join(dir, f.name), text: f.text }));
}

/**
 * The overrides folder as it would be after writing `edited`: every file on disk, each
 * edited one in place of the file of its name. A save writes only the files it is given,
 * so the others stay, and the model is opened with all of them.
 */
export function folderAfter(
  saved: readonly SavedFile[],
  edited: readonly StudioFile[],
): StudioFile[] {
  const names = new Set(edited.map((f) => f.name));
  return [
    ...saved
      .filter((f) => f.hash !== null && !names.has(f.name))
      .map(({ name, text }) => ({ name, text })),
    ...edited.map(({ name, text }) => ({ name, text })),
  ];
}

/** One key per set of files and their texts. */
function filesKey(files: readonly StudioFile[]): string {
  return sha256(JSON.stringify(files.map((f) => [f.name, f.text])));
}

/**
 * The studio's checks on plain data: problems, lint, examples, impact, the behaviour diff and
 * explanations, each a stage's own (`checkOverrideTexts`, `lintOverrides`, `runExamples`,
 * `overrideImpact`, `ruleRegions`, `explainDecision`). It keeps the saved files' state, the
 * last rule set compiled and the last answer, each by the content it was made from, so a
 * repeated question is not computed again.
 */
export class OverridesChecker {
  private saved: { key: string; state: SavedState } | undefined;
  private lastCompiled: { key: string; compiled: CompiledRules } | undefined;
  private lastCheck: { key: string; check: StudioCheck } | undefined;

  constructor(private readonly ctx: CheckContext) {}

  /**
   * Check `files` (the whole folder as it would be saved, see {@link folderAfter}) against
   * the `saved` files on disk.
   */
  async check(files: readonly StudioFile[], saved: readonly SavedFile[]): Promise<StudioCheck> {
    const key = `${filesKey(files)}:${filesKey(saved)}`;
    if (this.lastCheck?.key === key) return this.lastCheck.check;
    const check = await this.checkAgain(files, saved);
    this.lastCheck = { key, check };
    return check;
  }

  /**
   * Explain one record under `files` (with problems: under the saved rules, as a served
   * model would decide), given the network's probabilities for it.
   */
  async explain(
    files: readonly StudioFile[],
    saved: readonly SavedFile[],
    record: DataRecord,
    probabilities: ArrayLike<number>,
    perceived?: PerceivedFacts,
  ): Promise<{ explanation: Explanation; text: string[] }> {
    const compiled =
      this.compiledFor(files) ??
      compileRuleSet(this.savedState(saved).merged ?? this.ctx.distilled);
    const explanation = await explainDecision(compiled, record, probabilities, {
      schema: this.ctx.schema,
      ...(perceived && { perceived }),
    });
    return { explanation, text: formatExplanation(explanation).split('\n') };
  }

  /**
   * Check the saved files as they are, ahead of the first check of an edit: their rule set,
   * decisions and regions are then at hand, and the code of every stage has run once (a
   * fresh thread runs it several times slower until the engine has compiled it).
   */
  async warm(saved: readonly SavedFile[]): Promise<null> {
    await this.check(folderAfter(saved, []), saved);
    return null;
  }

  private async checkAgain(
    files: readonly StudioFile[],
    savedFiles: readonly SavedFile[],
  ): Promise<StudioCheck> {
    const names = files.map((f) => f.name).sort();
    const state = this.evaluate(files);
    const saved = this.savedState(savedFiles);
    if (!state.overrides) {
      return {
        ok: false,
        files: names,
        problems: state.problems,
        findings: [],
        lintLines: formatLint(state.lint),
        folder: this.ctx.dir,
        examples: [],
        impact: null,
        regions: [],
        overrides: null,
        ruleSet: { saved: saved.hash, edited: null },
      };
    }
    const examples = await runExamples(state.overrides, state.compiled!);
    const impact = this.impact(state.overrides, state.merged!, state.compiled!, saved);
    return {
      ok: state.ok,
      files: names,
      problems: [],
      findings: state.findings,
      lintLines: formatLint(state.lint),
      folder: this.ctx.dir,
      examples: examples.results.map((r) => ({ ...r, file: path.basename(r.file) })),
      impact,
      regions: saved.merged ? this.regions(saved, state.merged!) : [],
      overrides: describeOverrides(state.overrides, state.merged!),
      ruleSet: { saved: saved.hash, edited: ruleSetHash(state.merged!) },
    };
  }

  private evaluate(files: readonly StudioFile[]): {
    ok: boolean;
    problems: StudioProblem[];
    findings: StudioProblem[];
    lint: OverridesLint;
    overrides?: Override[];
    merged?: RuleSet;
    compiled?: CompiledRules;
  } {
    const { dir, schema, distilled, judged } = this.ctx;
    const texts = overrideTexts(dir, files);
    const loaded = checkOverrideTexts(texts, schema);
    if (!loaded.ok) {
      const problems = [...loaded.issues].sort(comparePlaces);
      const textOf = new Map(texts.map((t) => [t.file, t.text]));
      return {
        ok: false,
        problems: problems.map((i) => withFixes(place(i, 'error'), i, textOf, schema)),
        findings: [],
        lint: { ok: false, dir, problems, findings: [] },
      };
    }
    const overrides = loaded.value;
    const lintFindings: LintFinding[] = lintOverrides({
      overrides,
      distilled,
      schema,
      records: judged.records,
      recordsLabel: judged.label,
    });
    const ok = !lintFindings.some((f) => f.severity === 'error');
    const merged = mergeOverrides(distilled, overrides, schema);
    const compiled = compileRuleSet(merged);
    this.lastCompiled = { key: filesKey(files), compiled };
    return {
      ok,
      problems: [],
      findings: lintFindings.map((f) => withExample(place(f, f.severity), f, overrides)),
      lint: {
        ok,
        dir,
        overrides: overrides.length,
        judgedOn: { records: judged.records.length, source: judged.source, file: judged.file },
        problems: [],
        findings: lintFindings,
      },
      overrides,
      merged,
      compiled,
    };
  }

  /** The class a rule set decides for each test record. */
  private decide(rules: CompiledRules): string[] {
    return this.ctx.test.records.map((r) => rules.decide(r).class);
  }

  /** The files' rule set, compiled; undefined when the files have problems. */
  private compiledFor(files: readonly StudioFile[]): CompiledRules | undefined {
    const key = filesKey(files);
    if (this.lastCompiled?.key === key) return this.lastCompiled.compiled;
    const { dir, schema, distilled } = this.ctx;
    const loaded = checkOverrideTexts(overrideTexts(dir, files), schema);
    if (!loaded.ok) return undefined;
    const compiled = compileRuleSet(mergeOverrides(distilled, loaded.value, schema));
    this.lastCompiled = { key, compiled };
    return compiled;
  }

  /** The saved files' merged rule set (undefined when they do not load), its hash and decisions. */
  private savedState(files: readonly SavedFile[]): SavedState {
    const key = files.map((f) => `${f.name}\0${f.hash ?? ''}`).join('\0');
    if (this.saved?.key === key) return this.saved.state;
    const { dir, schema, distilled } = this.ctx;
    const loaded = checkOverrideTexts(overrideTexts(dir, files), schema);
    const merged = loaded.ok ? mergeOverrides(distilled, loaded.value, schema) : undefined;
    // The saved rule set's decisions on the test records: what each check compares with.
    const compiled = merged && compileRuleSet(merged);
    const state =
      merged && compiled
        ? {
            merged,
            hash: ruleSetHash(merged),
            decisions: this.decide(compiled),
            compiled,
            reads: readFields(merged),
          }
        : { hash: '' };
    this.saved = { key, state };
    return state;
  }

  /**
   * The impact, with one baseline: the saved overrides' decisions against the edited ones
   * (what changes, and how accuracy and fidelity move), beside what `neurules rules impact`
   * measures against the distilled rules alone.
   */
  private impact(
    overrides: Override[],
    merged: RuleSet,
    compiled: CompiledRules,
    saved: SavedState,
  ): StudioImpact {
    const { schema, distilled, test, network } = this.ctx;
    const impact = overrideImpact({
      classes: schema.classes,
      overrides,
      merged,
      distilled,
      records: test.records,
      labels: test.labels,
      network,
    });
    const edited = this.decide(compiled);
    const changedRecords: ChangedRecord[] = [];
    if (saved.decisions && saved.compiled && saved.reads) {
      const reads = { saved: saved.reads, edited: readFields(merged) };
      const decided = { saved: saved.compiled, edited: compiled };
      saved.decisions.forEach((from, index) => {
        const to = edited[index]!;
        if (from !== to) changedRecords.push(this.changedRecord(index, from, to, decided, reads));
      });
    }
    return {
      records: impact.records,
      description: test.description,
      changed: changedRecords.length,
      before: saved.decisions ? this.quality(saved.decisions) : null,
      after: this.quality(edited),
      changedRecords,
      distilled: {
        changed: impact.changed,
        quality: { accuracy: impact.accuracyWithout, fidelity: impact.fidelityWithout },
      },
      overrides: impact.items.map((i) => ({
        id: i.id,
        fires: i.fires,
        changed: i.changed,
        deltaAccuracy: i.accuracyDelta,
        deltaFidelity: i.fidelityDelta,
      })),
    };
  }

  /** Accuracy and fidelity of the classes decided for the test records. */
  private quality(decisions: readonly string[]): Quality {
    const { schema, test, network } = this.ctx;
    const share = (truth: readonly number[]) =>
      decisions.length
        ? decisions.filter((d, i) => d === schema.classes[truth[i]!]).length / decisions.length
        : 0;
    return { accuracy: share(test.labels), fidelity: share(network) };
  }

  /**
   * A changed record: its label, old and new class, whether the change is right, and the
   * fields the deciding override reads (the edited side's, else the saved side's).
   */
  private changedRecord(
    index: number,
    from: string,
    to: string,
    decided: Record<'saved' | 'edited', CompiledRules>,
    reads: Record<'saved' | 'edited', Map<string, string[]>>,
  ): ChangedRecord {
    const record = this.ctx.test.records[index]!;
    const label = this.ctx.schema.classes[this.ctx.test.labels[index]!] ?? '';
    const verdict = to === label ? 'now right' : from === label ? 'now wrong' : 'still wrong';
    const after = decided.edited.decide(record).ruleId;
    const before = decided.saved.decide(record).ruleId;
    const override = reads.edited.has(after) ? after : reads.saved.has(before) ? before : null;
    const names =
      override === null ? [] : (reads.edited.get(override) ?? reads.saved.get(override) ?? []);
    return {
      index,
      label,
      from,
      to,
      verdict,
      override,
      fields: names.map((name) => ({ name, value: ownValue(record, name) ?? null })),
    };
  }

  /**
   * Exact regions whose class differs between two rule sets (up to 100), as readable
   * conditions: whole, and in parts with the deciding overrides' own features first.
   */
  private regions(saved: SavedState, edited: RuleSet): StudioRegion[] {
    const schema = this.ctx.schema;
    const reads = { saved: saved.reads ?? new Map<string, string[]>(), edited: readFields(edited) };
    return changedRegions(saved.merged!, edited, schema, { limit: 100 }).regions.map((r) => {
      const overrides = [
        ...new Set(
          [
            reads.edited.has(r.rules.after) ? r.rules.after : null,
            reads.saved.has(r.rules.before) ? r.rules.before : null,
          ].filter((id): id is string => id !== null),
        ),
      ];
      const first = [
        ...new Set(overrides.flatMap((id) => reads.edited.get(id) ?? reads.saved.get(id) ?? [])),
      ];
      const parts = describeRegionParts(r.box, schema, first);
      return {
        from: r.from,
        to: r.to,
        conditions: describeBox(r.box, schema),
        overrides,
        own: parts.first,
        other: parts.rest,
        included: describeIncluded(parts),
      };
    });
  }
}

/** The fields each override of a rule set reads, by its id, in the order it reads them. */
function readFields(ruleSet: RuleSet): Map<string, string[]> {
  return new Map(
    ruleSet.rules
      .filter((r) => r.event.params.source === 'override')
      .map((r) => [r.name, [...conditionFacts(r.conditions)]]),
  );
}

function place(i: Issue, severity: 'error' | 'warning'): StudioProblem {
  return {
    code: i.code,
    message: i.message,
    file: i.file !== undefined ? path.basename(i.file) : null,
    line: i.line ?? null,
    column: i.column ?? null,
    severity,
  };
}

/** A problem with its quick fixes (none: as it was), found in its file's text as checked. */
function withFixes(
  problem: StudioProblem,
  issue: Issue,
  textOf: ReadonlyMap<string, string>,
  schema: Schema,
): StudioProblem {
  const text = issue.file !== undefined ? textOf.get(issue.file) : undefined;
  const fixes = text !== undefined ? quickFixes(issue, text, schema) : [];
  return fixes.length ? { ...problem, fixes } : problem;
}

/** A lint finding with its example record and the features its override reads. */
function withExample(
  problem: StudioProblem,
  finding: LintFinding,
  overrides: readonly Override[],
): StudioProblem {
  if (!finding.example) return problem;
  const override = overrides.find((o) => o.id === finding.ids[0]);
  return {
    ...problem,
    example: finding.example,
    fields: override ? featuresRead(override.conditions) : [],
  };
}

/** The features a condition reads, each once, in the order they are written. */
function featuresRead(c: TopLevelCondition | NestedCondition): string[] {
  const found = new Set<string>();
  const walk = (n: TopLevelCondition | NestedCondition): void => {
    if ('all' in n) n.all.forEach(walk);
    else if ('any' in n) n.any.forEach(walk);
    else if ('not' in n) walk(n.not);
    else if ('fact' in n) found.add(n.fact);
  };
  walk(c);
  return [...found];
}

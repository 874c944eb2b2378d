import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { overrideImpact, type OverrideImpact } from '../audit/override-impact';
import { loadModel, modelPaths, type LoadedModel } from '../artifacts/model-store';
import { lockModel } from '../artifacts/model-lock';
import { appendChange, changeAuthor } from '../artifacts/changes-log';
import { ruleSetHash } from '../artifacts/rule-set-hash';
import type { ModelLocation } from '../artifacts/types';
import { parseRecord } from '../data/parse-record';
import type { DataRecord } from '../data/types';
import { compileRuleSet, type CompiledRules } from '../engine/compile-rules';
import { explainDecision, formatExplanation, type Explanation } from '../engine/explain-decision';
import { runExamples, type ExampleResult } from '../engine/run-examples';
import { comparePlaces, type Issue, NeurulesError } from '../errors';
import { writeFileAtomic } from '../files/write-atomic';
import { listFolderFiles, readRegularFile } from '../files/read-safe';
import { lintOverrides, type LintFinding } from '../overrides/lint-overrides';
import { checkOverrideTexts, hitOrder, mergeOverrides } from '../overrides/merge-overrides';
import { OVERRIDE_LIMITS, overrideOperators, type Override } from '../overrides/parse-overrides';
import { treeView } from '../audit/tree-view';
import { renderTreeSvg } from '../report/svg-tree';
import { describeBox } from '../regions/describe-region';
import { intersectRegions } from '../regions/region';
import { ruleRegions } from '../regions/rule-regions';
import { describeRule } from '../rules/describe-rule';
import type { RuleSet } from '../rules/types';
import type { BackendChoice } from '../teacher/backend-choice';
import type { Teacher } from '../teacher/create-teacher';
import { formatLint, type OverridesLint } from './lint-model-overrides';
import { loadModelData, type ModelData } from './open-dataset';

/** An override file as the studio edits it: a plain name inside the overrides folder. */
export interface StudioFile {
  name: string;
  text: string;
}

/** An override file on disk, with the hash of its content (null: not on disk yet). */
export interface SavedFile extends StudioFile {
  hash: string | null;
}

/** A problem or lint finding, placed in one of the edited files. */
export interface StudioProblem {
  code: string;
  message: string;
  /** The file's name, as in the request. */
  file: string | null;
  line: number | null;
  column: number | null;
  severity: 'error' | 'warning';
}

/** What the edited overrides do, checked live. */
export interface StudioCheck {
  /** No validation problem and no conflict: the files can be saved. */
  ok: boolean;
  problems: StudioProblem[];
  findings: StudioProblem[];
  /** Exactly what `neurules rules lint` prints for these files. */
  lintLines: string[];
  examples: (ExampleResult & { file: string })[];
  /** On the held-out records; null when the files have validation problems. */
  impact: StudioImpact | null;
  /** The regions of the record space whose class the edit changes (saved → edited). */
  regions: { from: string; to: string; conditions: string }[];
  /** Content hash of the edited merged rule set, and of the saved one. */
  ruleSet: { saved: string; edited: string | null };
}

/** The impact panel: the numbers `neurules rules impact` prints, and the changed records. */
export interface StudioImpact {
  records: number;
  description: string;
  /** Decisions the edited overrides change against the distilled rules alone. */
  changed: number;
  before: { accuracy: number; fidelity: number };
  after: { accuracy: number; fidelity: number };
  overrides: {
    id: string;
    fires: number;
    changed: number;
    deltaAccuracy: number;
    deltaFidelity: number;
  }[];
  /** Held-out records whose class the edit changes against the saved overrides. */
  changedRecords: { index: number; from: string; to: string }[];
}

/** One line of `RULES_DIR/NAME/changes.jsonl` written by a studio save. */
export interface OverridesChangeEntry {
  time: string;
  kind: 'overrides';
  by: string;
  reason: string;
  files: string[];
  /** Content hash of the merged rule set before and after the save. */
  before: string;
  after: string;
  /** Held-out decisions the save changes. */
  changed: number;
  /** Unified diff of every file saved. */
  diff: string;
}

/** The saved override files' merged rule set and its decisions (absent when they do not load). */
interface SavedState {
  merged?: RuleSet;
  hash: string;
  decisions?: string[];
}

/** `NAME.yaml` or `NAME.yml`, a plain file name. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.ya?ml$/;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Options of {@link openStudio}. */
export interface StudioOptions {
  /** A labelled file to measure on instead of the build's held-out split. */
  data?: string;
  backend?: BackendChoice;
}

/**
 * Open the rule studio's session on a model: the model (checked as every command checks
 * it), its held-out records and the network's decisions on them. Every check the studio
 * makes is a stage's own: parse and validate (`checkOverrideTexts`), lint
 * (`lintOverrides`), examples (`runExamples`), impact (`overrideImpact`), explanations
 * (`explainDecision`), regions (`ruleRegions`).
 */
export async function openStudio(loc: ModelLocation, options: StudioOptions = {}): Promise<Studio> {
  const model = loadModel(loc);
  const data = loadModelData(loc, options.data !== undefined ? { data: options.data } : {});
  const { selectBackend } = await import('../teacher/backend');
  const { loadTeacher } = await import('../teacher/model-io');
  await selectBackend(options.backend ?? 'auto');
  const teacher = await loadTeacher(model.teacherDir, model.schema);
  return new Studio(loc, model, data, teacher);
}

/** The studio's session: what the HTTP routes call. */
export class Studio {
  readonly dir: string;
  private readonly network: number[];
  private readonly probabilities: Float32Array;
  private readonly judged: { records: DataRecord[]; label: string; source: 'split' | 'file' };
  /** The merged rule set of the files checked last (an explanation usually follows a check). */
  private lastCompiled: { key: string; compiled: CompiledRules } | undefined;
  /** The saved files' merged rule set, by the files' names and hashes. */
  private saved: { key: string; state: SavedState } | undefined;

  constructor(
    readonly loc: ModelLocation,
    readonly model: LoadedModel,
    readonly data: ModelData,
    private readonly teacher: Teacher,
  ) {
    this.dir = modelPaths(loc).overrides;
    this.network = teacher.predict(data.test.records);
    this.probabilities = teacher.predictProbaFlat(data.test.records);
    this.judged =
      data.source === 'split'
        ? { records: data.train.records, label: 'training records', source: 'split' }
        : { records: data.test.records, label: `records of ${data.file}`, source: 'file' };
  }

  /** Release the network. */
  close(): void {
    this.teacher.dispose();
  }

  /** The override files on disk (a model without any gets a new, empty `overrides.yaml`). */
  savedFiles(): SavedFile[] {
    const listing = listFolderFiles(this.dir, /\.ya?ml$/i);
    if (listing.issues.length) throw NeurulesError.fromIssues(listing.issues);
    const files = listing.files.map((f) => {
      const text = readRegularFile(f.open, {
        noFollow: true,
        name: f.file,
        encoding: 'utf8',
        limit: OVERRIDE_LIMITS.maxBytes + 1,
      });
      return { name: path.basename(f.file), text, hash: sha256(text) };
    });
    return files.length ? files : [{ name: 'overrides.yaml', text: '', hash: null }];
  }

  /** The model as the page shows it: schema, distilled rules as sentences, saved overrides. */
  describe(): {
    model: string;
    classes: string[];
    schema: LoadedModel['schema'];
    distilled: {
      id: string;
      sentence: string;
      class: string;
      support: number;
      confidence: number | null;
    }[];
    overrides: {
      id: string;
      file: string;
      line: number;
      sentence: string;
      class: string;
      priority: number;
    }[];
    files: SavedFile[];
    data: { description: string; rows: number };
    treeSvg: string;
    operators: { numeric: string[]; categorical: string[] };
  } {
    const files = this.savedFiles();
    const loaded = checkOverrideTexts(this.texts(files), this.model.schema);
    const overrides = loaded.ok ? hitOrder(loaded.value) : [];
    const merged = loaded.ok
      ? mergeOverrides(this.model.ruleSet, overrides, this.model.schema)
      : null;
    return {
      model: this.loc.name,
      classes: this.model.schema.classes,
      schema: this.model.schema,
      distilled: this.model.ruleSet.rules.map((r) => ({
        id: r.name,
        sentence: describeRule(r),
        class: r.event.params.class,
        support: r.event.params.support,
        confidence: r.event.params.confidence ?? null,
      })),
      overrides: overrides.map((o) => ({
        id: o.id,
        file: path.basename(o.file),
        line: o.line,
        sentence: describeRule(merged!.rules.find((r) => r.name === o.id)!),
        class: o.class,
        priority: o.priority,
      })),
      files,
      data: { description: this.data.description, rows: this.data.test.records.length },
      // The audit report's own drawing of the tree.
      treeSvg: renderTreeSvg(
        treeView(this.model.tree, this.model.schema, this.model.ruleSet),
        this.model.schema.classes,
      ),
      operators: overrideOperators(),
    };
  }

  /** Check edited files: problems, lint, examples, impact and the behaviour diff. */
  async check(files: readonly StudioFile[]): Promise<StudioCheck> {
    const state = this.evaluate(files);
    const saved = this.savedState();
    if (!state.overrides) {
      return {
        ok: false,
        problems: state.problems,
        findings: [],
        lintLines: formatLint(state.lint),
        examples: [],
        impact: null,
        regions: [],
        ruleSet: { saved: saved.hash, edited: null },
      };
    }
    const examples = await runExamples(state.overrides, state.compiled!);
    const impact = this.impact(state.overrides, state.merged!, state.compiled!, saved);
    return {
      ok: state.ok,
      problems: [],
      findings: state.findings,
      lintLines: formatLint(state.lint),
      examples: examples.results.map((r) => ({ ...r, file: path.basename(r.file) })),
      impact,
      regions: saved.merged ? this.regions(saved.merged, state.merged!) : [],
      ruleSet: { saved: saved.hash, edited: ruleSetHash(state.merged!) },
    };
  }

  /** Explain one record (given, or a held-out one by index) under the edited files. */
  async explain(
    files: readonly StudioFile[],
    source: { record: Record<string, unknown> } | { index: number },
  ): Promise<{ record: DataRecord; explanation: Explanation; text: string[] }> {
    // Problems in the files: explain with the saved rules, as a served model would decide.
    const compiled =
      this.compiledFor(files) ?? compileRuleSet(this.savedState().merged ?? this.model.ruleSet);
    let record: DataRecord;
    let probabilities: Float32Array;
    if ('index' in source) {
      const r = this.data.test.records[source.index];
      if (!r) {
        throw new NeurulesError(
          'ROW_OUT_OF_RANGE',
          `expected a held-out record index from 0 to ${this.data.test.records.length - 1}, found ${source.index}`,
          { field: 'index' },
        );
      }
      record = r;
      const k = this.model.schema.classes.length;
      probabilities = this.probabilities.slice(source.index * k, (source.index + 1) * k);
    } else {
      const parsed = parseRecord(this.model.schema, source.record, { field: 'record' });
      if (parsed.issues.length) throw NeurulesError.fromIssues(parsed.issues);
      record = parsed.record;
      probabilities = this.teacher.predictProbaFlat([record]);
    }
    const explanation = await explainDecision(compiled, record, probabilities, {
      schema: this.model.schema,
    });
    return { record, explanation, text: formatExplanation(explanation).split('\n') };
  }

  /** Held-out records, a page at a time. */
  records(
    offset: number,
    limit: number,
  ): {
    total: number;
    records: { index: number; record: DataRecord; label: string }[];
  } {
    const { records, labels } = this.data.test;
    const end = Math.min(records.length, offset + limit);
    const out = [];
    for (let i = Math.max(0, offset); i < end; i++) {
      out.push({ index: i, record: records[i]!, label: this.model.schema.classes[labels[i]!]! });
    }
    return { total: records.length, records: out };
  }

  /**
   * Save edited files: refused with SAVE_BLOCKED when they have errors, with FILE_CHANGED
   * when a file changed on disk since it was loaded (`baseHash`, null for a new file). Each
   * changed file is written atomically; then one line goes to `changes.jsonl`. Holds the
   * model's lock while it writes.
   */
  async save(
    files: readonly (StudioFile & { baseHash: string | null })[],
    reason: string,
  ): Promise<{ saved: string[]; entry: OverridesChangeEntry }> {
    if (!reason.trim() || /[\r\n]/.test(reason)) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `expected a one-line reason for the change, found ${reason.trim() ? 'several lines' : 'none'}`,
        { field: 'reason' },
      );
    }
    const checked = await this.check(files);
    if (!checked.ok) {
      const issues = [
        ...checked.problems,
        ...checked.findings.filter((f) => f.severity === 'error'),
      ];
      const e = new NeurulesError(
        'SAVE_BLOCKED',
        `the edited overrides have ${issues.length} error(s); fix them before saving`,
        { field: 'files' },
        issues.map((i) => ({
          code: i.code as Issue['code'],
          message: i.message,
          ...(i.file !== null && { file: i.file }),
          ...(i.line !== null && { line: i.line }),
          ...(i.column !== null && { column: i.column }),
        })),
      );
      throw e;
    }
    const p = modelPaths(this.loc);
    const lock = lockModel(p.dir, 'studio save');
    try {
      const before = this.savedState();
      const onDisk = new Map(
        this.savedFiles()
          .filter((f) => f.hash)
          .map((f) => [f.name, f]),
      );
      for (const f of files) {
        const current = onDisk.get(f.name)?.hash ?? null;
        if (current !== f.baseHash) {
          throw new NeurulesError(
            'FILE_CHANGED',
            `${path.join(this.dir, f.name)} changed on disk since it was loaded (${current === null ? 'it is gone' : `now ${current.slice(0, 12)}…`}); reload it, then make the change again`,
            { file: path.join(this.dir, f.name) },
          );
        }
      }
      const changed = files.filter((f) => onDisk.get(f.name)?.text !== f.text);
      let diff = '';
      for (const f of changed) {
        const name = path.join(this.dir, f.name);
        diff += createTwoFilesPatch(name, name, onDisk.get(f.name)?.text ?? '', f.text, '', '');
        writeFileAtomic(name, f.text);
      }
      const after = this.savedState();
      const entry: OverridesChangeEntry = {
        time: new Date().toISOString(),
        kind: 'overrides',
        by: changeAuthor(),
        reason: reason.trim(),
        files: changed.map((f) => f.name),
        before: before.hash,
        after: after.hash,
        changed: checked.impact?.changedRecords.length ?? 0,
        diff,
      };
      appendChange(p.changes, entry);
      return { saved: entry.files, entry };
    } finally {
      lock.release();
    }
  }

  /** Every line of `changes.jsonl` (rules accepted and overrides saved), oldest first. */
  history(): unknown[] {
    const file = modelPaths(this.loc).changes;
    if (!fs.existsSync(file)) return [];
    return readRegularFile(file, { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as unknown];
        } catch {
          return [];
        }
      });
  }

  /** The files as the loader names them (their path in the overrides folder), in name order. */
  private texts(files: readonly StudioFile[]): { file: string; text: string }[] {
    const seen = new Set<string>();
    for (const f of files) {
      if (!FILE_NAME.test(f.name) || seen.has(f.name)) {
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
      .map((f) => ({ file: path.join(this.dir, f.name), text: f.text }));
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
    const loaded = checkOverrideTexts(this.texts(files), this.model.schema);
    if (!loaded.ok) {
      const problems = [...loaded.issues].sort(comparePlaces);
      return {
        ok: false,
        problems: problems.map((i) => this.place(i, 'error')),
        findings: [],
        lint: { ok: false, dir: this.dir, problems, findings: [] },
      };
    }
    const overrides = loaded.value;
    const lintFindings: LintFinding[] = lintOverrides({
      overrides,
      distilled: this.model.ruleSet,
      schema: this.model.schema,
      records: this.judged.records,
      recordsLabel: this.judged.label,
    });
    const ok = !lintFindings.some((f) => f.severity === 'error');
    const merged = mergeOverrides(this.model.ruleSet, overrides, this.model.schema);
    const compiled = compileRuleSet(merged);
    this.lastCompiled = { key: filesKey(files), compiled };
    return {
      ok,
      problems: [],
      findings: lintFindings.map((f) => this.place(f, f.severity)),
      lint: {
        ok,
        dir: this.dir,
        overrides: overrides.length,
        judgedOn: {
          records: this.judged.records.length,
          source: this.judged.source,
          file: this.data.file,
        },
        problems: [],
        findings: lintFindings,
      },
      overrides,
      merged,
      compiled,
    };
  }

  /** The class a rule set decides for each held-out record. */
  private decide(rules: CompiledRules): string[] {
    return this.data.test.records.map((r) => rules.decide(r).class);
  }

  /** The edited files' rule set, compiled; undefined when the files have problems. */
  private compiledFor(files: readonly StudioFile[]): CompiledRules | undefined {
    const key = filesKey(files);
    if (this.lastCompiled?.key === key) return this.lastCompiled.compiled;
    const loaded = checkOverrideTexts(this.texts(files), this.model.schema);
    if (!loaded.ok) return undefined;
    const compiled = compileRuleSet(
      mergeOverrides(this.model.ruleSet, loaded.value, this.model.schema),
    );
    this.lastCompiled = { key, compiled };
    return compiled;
  }

  /** The saved files' merged rule set (undefined when they do not load) and its hash. */
  private savedState(): SavedState {
    // Read every time (another editor may have changed the files); parsed once per content.
    const files = this.savedFiles();
    const key = files.map((f) => `${f.name}\0${f.hash ?? ''}`).join('\0');
    if (this.saved?.key === key) return this.saved.state;
    const loaded = checkOverrideTexts(this.texts(files), this.model.schema);
    const merged = loaded.ok
      ? mergeOverrides(this.model.ruleSet, loaded.value, this.model.schema)
      : undefined;
    // The saved rule set's decisions on the held-out records: what each check compares with.
    const state = merged
      ? {
          merged,
          hash: ruleSetHash(merged),
          decisions: this.decide(compileRuleSet(merged)),
        }
      : { hash: '' };
    this.saved = { key, state };
    return state;
  }

  private impact(
    overrides: Override[],
    merged: RuleSet,
    compiled: CompiledRules,
    saved: SavedState,
  ): StudioImpact {
    const { records, labels } = this.data.test;
    const impact: OverrideImpact = overrideImpact({
      classes: this.model.schema.classes,
      overrides,
      merged,
      distilled: this.model.ruleSet,
      records,
      labels,
      network: this.network,
    });
    const changedRecords: StudioImpact['changedRecords'] = [];
    if (saved.decisions) {
      const after = this.decide(compiled);
      saved.decisions.forEach((from, index) => {
        if (from !== after[index]) changedRecords.push({ index, from, to: after[index]! });
      });
    }
    return {
      records: impact.records,
      description: this.data.description,
      changed: impact.changed,
      before: { accuracy: impact.accuracyWithout, fidelity: impact.fidelityWithout },
      after: { accuracy: impact.accuracyWith, fidelity: impact.fidelityWith },
      overrides: impact.items.map((i) => ({
        id: i.id,
        fires: i.fires,
        changed: i.changed,
        deltaAccuracy: i.accuracyDelta,
        deltaFidelity: i.fidelityDelta,
      })),
      changedRecords,
    };
  }

  /** Exact regions whose class differs between two rule sets, as readable conditions. */
  private regions(
    saved: RuleSet,
    edited: RuleSet,
  ): { from: string; to: string; conditions: string }[] {
    const schema = this.model.schema;
    const a = ruleRegions(saved, schema);
    const b = ruleRegions(edited, schema);
    const out: { from: string; to: string; conditions: string }[] = [];
    for (const x of a) {
      for (const y of b) {
        const from = x.rule.event.params.class;
        const to = y.rule.event.params.class;
        if (from === to) continue;
        for (const box of intersectRegions(x.decides, y.decides, schema)) {
          out.push({ from, to, conditions: describeBox(box, schema) });
          if (out.length >= 100) return out;
        }
      }
    }
    return out;
  }

  private place(i: Issue, severity: 'error' | 'warning'): StudioProblem {
    return {
      code: i.code,
      message: i.message,
      file: i.file !== undefined ? path.basename(i.file) : null,
      line: i.line ?? null,
      column: i.column ?? null,
      severity,
    };
  }
}

/** One key per set of files and their texts. */
function filesKey(files: readonly StudioFile[]): string {
  return sha256(JSON.stringify(files.map((f) => [f.name, f.text])));
}

import { greyLevels } from '../audit/concept-audit';
import type { PerceivedFacts } from '../perception/perceived';
import * as path from 'node:path';
import { loadModel, modelPaths, type LoadedModel } from '../artifacts/model-store';
import { lockModel } from '../artifacts/model-lock';
import {
  appendChange,
  changeAuthor,
  checkReason,
  type ChangeEntry,
  type OverridesSaveEntry,
  readChanges,
} from '../artifacts/changes-log';
import type { ModelLocation } from '../artifacts/types';
import { parseRecord } from '../data/parse-record';
import type { DataRecord } from '../data/types';
import type { Explanation } from '../engine/explain-decision';
import { type Issue, NeurulesError } from '../errors';
import { listFolderFiles, readRegularFile } from '../files/regular-files';
import { writeFileAtomic } from '../files/write-atomic';
import { checkOverrideTexts, mergeOverrides } from '../overrides/merge-overrides';
import { overrideOperators } from '../overrides/override-operators';
import { OVERRIDE_LIMITS } from '../overrides/parse-overrides';
import { treeView } from '../audit/tree-view';
import { renderTreeSvg } from '../report/svg-tree';
import { describeRule } from '../rules/describe-rule';
import type { BackendChoice } from '../teacher/backend-choice';
import type { Teacher } from '../teacher/create-teacher';
import { loadDecisionData, type ModelData } from '../artifacts/model-data';
import { tryRecordRuleSet as tryRecord } from '../artifacts/rule-archive';
import { folderAfter, overrideTexts, sha256 } from './check';
import { StudioCheckThread } from './check-thread';
import { describeOverrides } from './describe-overrides';
import {
  assertCurrentBase,
  assertPending,
  assertSecondAuthor,
  filesDiff,
  listProposals,
  makeProposal,
  proposalsDir,
  readProposal,
  rebaseTexts,
  rejectProposal,
  requiredAuthor,
  versionAfter,
  writeProposal,
} from './proposals';
import type {
  ConceptImage,
  FileToSave,
  SavedFile,
  StudioCheck,
  StudioCondition,
  StudioExplained,
  StudioFile,
  StudioHistory,
  StudioModel,
  StudioProposal,
  StudioProposals,
  StudioRecords,
  StudioSaved,
} from './contract';

export type { SavedFile, StudioCheck, StudioFile, StudioImpact, StudioProblem } from './contract';

/** Options of {@link openStudio}. */
export interface StudioOptions {
  /** A labelled file to measure on instead of the build's held-out split. */
  data?: string;
  backend?: BackendChoice;
  /** Four-eyes review: a save becomes a proposal another author approves. @defaultValue false */
  review?: boolean;
  /** A save, revert or proposal without an author is AUTHOR_REQUIRED. @defaultValue false */
  requireAuthor?: boolean;
}

/** How a session treats saves: {@link StudioOptions.review} and `requireAuthor`. */
export interface SaveRules {
  review: boolean;
  requireAuthor: boolean;
}

/** What a save records besides its reason (see `OverridesSaveEntry`). */
interface SaveMeta {
  author?: string;
  approvedBy?: string;
  proposal?: string;
  revertOf?: number;
}

/** Steps of a save that run under the model's lock: before the first check, after the write. */
interface LockedSteps {
  before?(disk: SavedFile[]): void;
  after?(entry: OverridesSaveEntry): void;
}

/**
 * Open the rule studio's session on a model: the model (checked as every command checks
 * it), its held-out records and the network's decisions on them. Every check the studio
 * makes is a stage's own: parse and validate (`checkOverrideTexts`), lint
 * (`lintOverrides`), examples (`runExamples`), impact (`overrideImpact`), explanations
 * (`explainDecision`), regions (`ruleRegions`); they run on a worker thread
 * ({@link StudioCheckThread}), so the server answers other requests meanwhile.
 *
 * @example
 * const studio = await openStudio({ modelsDir: 'models', rulesDir: 'rules', name: 'german-credit' });
 * const check = await studio.check([{ name: 'policy.yaml', text }]);
 * await studio.close();
 */
export async function openStudio(
  loc: ModelLocation,
  options: StudioOptions = {},
): Promise<StudioSession> {
  const model = loadModel(loc);
  const data = await loadDecisionData(loc, {
    ...(options.data !== undefined && { data: options.data }),
    backend: options.backend ?? 'auto',
  });
  const { selectBackend } = await import('../teacher/backend');
  const { loadTeacher } = await import('../teacher/model-io');
  await selectBackend(options.backend ?? 'auto');
  const teacher = await loadTeacher(model.teacherDir, model.schema);
  return new StudioSession(loc, model, data, teacher, {
    review: options.review ?? false,
    requireAuthor: options.requireAuthor ?? false,
  });
}

/** The studio's session: what the HTTP routes call. */
export class StudioSession {
  readonly dir: string;
  private readonly probabilities: Float32Array;
  private readonly thread: StudioCheckThread;
  /** One save at a time in this process (the model's lock keeps other processes out). */
  private saving: Promise<unknown> = Promise.resolve();
  /** The page's view of the saved files, by their names and hashes. */
  private described: { key: string; value: StudioModel } | undefined;

  constructor(
    readonly loc: ModelLocation,
    readonly model: LoadedModel,
    readonly data: ModelData,
    private readonly teacher: Teacher,
    readonly rules: SaveRules = { review: false, requireAuthor: false },
  ) {
    this.dir = modelPaths(loc).overrides;
    this.probabilities = teacher.predictProbaFlat(data.test.records);
    const judged =
      data.source === 'split'
        ? { records: data.train.records, label: 'training records', source: 'split' as const }
        : { records: data.test.records, label: `records of ${data.file}`, source: 'file' as const };
    this.thread = new StudioCheckThread({
      dir: this.dir,
      schema: model.schema,
      distilled: model.ruleSet,
      judged: { ...judged, file: data.file },
      test: {
        records: data.test.records,
        labels: data.test.labels,
        description: data.description,
      },
      network: teacher.predict(data.test.records),
    });
    // The thread starts and analyses the saved files while the page loads.
    try {
      this.thread.warm(this.savedFiles());
    } catch {
      // A folder that cannot be read: the first check or save reports it.
    }
  }

  /** Release the network and stop the check thread. */
  close(): Promise<void> {
    this.teacher.dispose();
    return this.thread.close();
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
  describe(): StudioModel {
    const files = this.savedFiles();
    // Parsing a thousand overrides takes a while: only when the files changed.
    const key = files.map((f) => `${f.name}\0${f.hash ?? ''}`).join('\0');
    if (this.described?.key !== key) this.described = { key, value: this.describeAgain(files) };
    return this.described.value;
  }

  private describeAgain(files: SavedFile[]): StudioModel {
    const loaded = checkOverrideTexts(overrideTexts(this.dir, files), this.model.schema);
    const overrides = loaded.ok
      ? describeOverrides(
          loaded.value,
          mergeOverrides(this.model.ruleSet, loaded.value, this.model.schema),
        )
      : [];
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
        conditions: r.conditions as StudioCondition,
      })),
      overrides,
      files,
      data: { description: this.data.description, rows: this.data.test.records.length },
      review: this.rules.review,
      requireAuthor: this.rules.requireAuthor,
      // The audit report's own drawing of the tree.
      treeSvg: renderTreeSvg(
        treeView(this.model.tree, this.model.schema, this.model.ruleSet),
        this.model.schema.classes,
      ),
      operators: overrideOperators(),
    };
  }

  /**
   * Check edited files: problems, lint, examples, impact and the behaviour diff, of the
   * overrides folder as it would be after saving them (the other files on disk included).
   * Runs on the check thread; `signal` drops the check (a newer one replaces it).
   */
  async check(
    files: readonly StudioFile[],
    options: { signal?: AbortSignal } = {},
  ): Promise<StudioCheck> {
    overrideTexts(this.dir, files);
    const saved = this.savedFiles();
    return this.thread.check(folderAfter(saved, files), saved, options.signal);
  }

  /** Explain one record (given, or a held-out one by index) under the edited files. */
  async explain(
    files: readonly StudioFile[],
    source: { record: Record<string, unknown> } | { index: number },
    options: { signal?: AbortSignal } = {},
  ): Promise<StudioExplained<Explanation>> {
    overrideTexts(this.dir, files);
    let record: DataRecord;
    let probabilities: Float32Array;
    let perceived: PerceivedFacts | undefined;
    let images: ConceptImage[] | undefined;
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
      perceived = this.perceivedOf(source.index);
      images = this.imagesOf(source.index);
      const k = this.model.schema.classes.length;
      probabilities = this.probabilities.slice(source.index * k, (source.index + 1) * k);
    } else {
      const parsed = parseRecord(this.model.schema, source.record, { field: 'record' });
      if (parsed.issues.length) throw NeurulesError.fromIssues(parsed.issues);
      record = parsed.record;
      probabilities = this.teacher.predictProbaFlat([record]);
    }
    const saved = this.savedFiles();
    const { explanation, text } = await this.thread.explain(
      folderAfter(saved, files),
      saved,
      record,
      probabilities,
      options.signal,
      perceived,
    );
    return { record, explanation, text, ...(images && images.length > 0 && { images }) };
  }

  /** What was perceived of held-out record `i` (models with perception concepts). */
  private perceivedOf(i: number): PerceivedFacts | undefined {
    const concepts = this.data.concepts;
    if (!concepts) return undefined;
    return Object.fromEntries(concepts.map((c) => [c.name, c.perceived[i]!]));
  }

  /** The images of held-out record `i`: its concepts that have a shape, as read. */
  private imagesOf(i: number): ConceptImage[] | undefined {
    return this.data.concepts?.flatMap((c) =>
      c.shape
        ? [
            {
              concept: c.name,
              height: c.shape.height,
              width: c.shape.width,
              pixels: greyLevels(c.inputs.subarray(i * c.width, (i + 1) * c.width)),
            },
          ]
        : [],
    );
  }

  /** Held-out records, a page at a time. */
  records(offset: number, limit: number): StudioRecords {
    const { records, labels } = this.data.test;
    const end = Math.min(records.length, offset + limit);
    const out = [];
    for (let i = Math.max(0, offset); i < end; i++) {
      const perceived = this.perceivedOf(i);
      out.push({
        index: i,
        record: records[i]!,
        label: this.model.schema.classes[labels[i]!]!,
        ...(perceived && { perceived }),
      });
    }
    return { total: records.length, records: out };
  }

  /**
   * Save edited files: refused with FILE_CHANGED when a file changed on disk since it was
   * loaded (`baseHash`, null for a new file), and with SAVE_BLOCKED when the overrides folder
   * as it would be after the write (the files on disk, the edited ones in their place) has
   * errors: a file another tab or editor added counts, so two saves that each add the same
   * override id cannot both pass. Saves run one at a time in this process, under the model's
   * lock (other processes); right before the first rename the folder is read again and must
   * be exactly what was checked (else FILE_CHANGED). Each changed file is written
   * atomically; then one line goes to `changes.jsonl`.
   */
  async save(
    files: readonly FileToSave[],
    reason: string,
    author?: string,
  ): Promise<StudioSaved<OverridesSaveEntry>> {
    if (this.rules.review) {
      throw new NeurulesError(
        'REVIEW_REQUIRED',
        'this studio reviews every change: propose it (POST /api/proposals), another author approves it',
        { field: 'files' },
      );
    }
    const why = checkReason(reason);
    const who = this.authorOf(author);
    overrideTexts(this.dir, files);
    return this.oneAtATime(() =>
      this.saveNow(files, why, who === undefined ? {} : { author: who }),
    );
  }

  /** Runs `step` after every save or decision this process started before it. */
  private oneAtATime<T>(step: () => Promise<T>): Promise<T> {
    const run = this.saving.then(step);
    this.saving = run.catch(() => undefined);
    return run;
  }

  /** The checked author; AUTHOR_REQUIRED when none is given and one must be (`required`, or `--require-author`). */
  private authorOf(
    author: string | undefined,
    required = this.rules.requireAuthor,
  ): string | undefined {
    if (!required && (author === undefined || author.trim() === '')) return undefined;
    return requiredAuthor(author);
  }

  private async saveNow(
    files: readonly FileToSave[],
    reason: string,
    meta: SaveMeta,
    steps: LockedSteps = {},
  ): Promise<StudioSaved<OverridesSaveEntry>> {
    const p = modelPaths(this.loc);
    const lock = lockModel(p.dir, 'studio save');
    try {
      this.sameRules(p.rules);
      const disk = this.savedFiles();
      steps.before?.(disk);
      const onDisk = new Map(disk.filter((f) => f.hash).map((f) => [f.name, f]));
      for (const f of files) this.unchanged(f.name, f.baseHash, onDisk.get(f.name)?.hash ?? null);
      // Not cancellable: a live check from another page must not stop a save's own check.
      const checked = await this.thread.check(folderAfter(disk, files), disk);
      if (!checked.ok) throw saveBlocked(checked);
      // The folder again, right before writing: anything changed since (an editor that
      // takes no lock) is FILE_CHANGED, never written over unchecked.
      const now = new Map(
        this.savedFiles()
          .filter((f) => f.hash)
          .map((f) => [f.name, f.hash]),
      );
      for (const name of new Set([...onDisk.keys(), ...now.keys()])) {
        this.unchanged(name, onDisk.get(name)?.hash ?? null, now.get(name) ?? null);
      }
      const changed = files.filter((f) => onDisk.get(f.name)?.text !== f.text);
      const diff = filesDiff(
        new Map([...onDisk].map(([name, f]) => [name, f.text])),
        changed,
        (name) => path.join(this.dir, name),
      );
      for (const f of changed) writeFileAtomic(path.join(this.dir, f.name), f.text);
      const entry = appendChange(p.changes, {
        kind: 'overrides',
        by: changeAuthor(),
        ...meta,
        reason,
        files: changed.map((f) => f.name),
        hashes: Object.fromEntries(changed.map((f) => [f.name, sha256(f.text)])),
        // The check's saved set is the folder before the write, its edited set the folder after.
        before: checked.ruleSet.saved,
        after: checked.ruleSet.edited!,
        changed: checked.impact?.changedRecords.length ?? 0,
        diff,
      }) as OverridesSaveEntry;
      // The saved overrides come into force with the next (re)load of a service: the rule
      // set they make is filed in the archive now, with who saved it and why.
      const saved = checkOverrideTexts(
        overrideTexts(this.dir, folderAfter(disk, files)),
        this.model.schema,
      );
      // Saved already: a failure to file it is not the save's (the service files it when it
      // loads the overrides, and the history finds this save's reason by the hash).
      if (saved.ok) {
        const impact = checked.impact;
        tryRecord(this.loc, {
          ruleSet: mergeOverrides(this.model.ruleSet, saved.value, this.model.schema),
          schema: this.model.schema,
          made: 'studio save',
          ...(this.model.manifest.generation !== undefined && {
            generation: this.model.manifest.generation,
          }),
          reason,
          ...(impact && {
            figures: {
              on: impact.description,
              records: impact.records,
              accuracy: impact.after.accuracy,
              fidelity: impact.after.fidelity,
            },
          }),
        });
      }
      steps.after?.(entry);
      return { saved: entry.files, entry };
    } finally {
      lock.release();
    }
  }

  /**
   * Set the override files back to their content right after history entry `entry`
   * (0-based, as `history()` lists them), recovered by {@link versionAfter}: a change like any
   * save, with its reason and author, recorded with `revertOf`. In review mode it becomes a
   * proposal instead. REVERT_IMPOSSIBLE when the content cannot be recovered; INVALID_ARGUMENT
   * (field `entry`) when the files are at that version already.
   */
  async revert(
    entry: number,
    reason: string,
    author?: string,
  ): Promise<StudioSaved<OverridesSaveEntry> | StudioProposal> {
    const why = checkReason(reason);
    const who = this.authorOf(author, this.rules.requireAuthor || this.rules.review);
    const disk = this.savedFiles();
    const hashes = new Map(disk.map((f) => [f.name, f]));
    const files = [...versionAfter(this.history().entries, entry, disk, this.dir)]
      .filter(([name, text]) => hashes.get(name)?.text !== text)
      .map(([name, text]) => ({ name, text, baseHash: hashes.get(name)?.hash ?? null }));
    if (files.length === 0) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `the override files are as they were after entry ${entry} already; nothing to revert`,
        { field: 'entry' },
      );
    }
    if (this.rules.review) return this.propose(files, why, who!, entry);
    return this.oneAtATime(() =>
      this.saveNow(files, why, { ...(who !== undefined && { author: who }), revertOf: entry }),
    );
  }

  /** `RULES_DIR/NAME/proposals`. */
  get proposalsDir(): string {
    return proposalsDir(this.dir);
  }

  /**
   * Propose a change (four-eyes review): the files checked as a save checks them (SAVE_BLOCKED
   * on errors, FILE_CHANGED when a base hash is not the file's on disk), then written as a
   * pending proposal with its diff and impact frozen. Nothing in `overrides/` changes.
   */
  async propose(
    files: readonly FileToSave[],
    reason: string,
    author: string,
    revertOf?: number,
  ): Promise<StudioProposal> {
    const why = checkReason(reason);
    const who = this.authorOf(author, true)!;
    overrideTexts(this.dir, files);
    const disk = this.savedFiles();
    const onDisk = new Map(disk.filter((f) => f.hash).map((f) => [f.name, f]));
    for (const f of files) this.unchanged(f.name, f.baseHash, onDisk.get(f.name)?.hash ?? null);
    const changed = files
      .filter((f) => onDisk.get(f.name)?.text !== f.text)
      .map(({ name, text }) => ({ name, text }));
    if (changed.length === 0) {
      throw new NeurulesError('INVALID_ARGUMENT', 'expected a change to propose, found none', {
        field: 'files',
      });
    }
    const proposal = makeProposal({
      model: this.loc.name,
      author: who,
      reason: why,
      files: changed,
      disk,
      impact: await this.frozenImpact(disk, changed),
      ...(revertOf !== undefined && { revertOf }),
    });
    writeProposal(this.proposalsDir, proposal);
    return proposal;
  }

  /** The check of the folder with `files` in place, as a proposal freezes it (SAVE_BLOCKED on errors). */
  private async frozenImpact(
    disk: SavedFile[],
    files: readonly StudioFile[],
  ): Promise<StudioProposal['impact']> {
    const checked = await this.thread.check(folderAfter(disk, files), disk);
    if (!checked.ok) throw saveBlocked(checked);
    const i = checked.impact;
    return i
      ? {
          description: i.description,
          records: i.records,
          changed: i.changedRecords.length,
          saved: i.before,
          proposed: i.after,
        }
      : null;
  }

  /** Every proposal, newest first, and the files in `proposals/` that are not one. */
  proposals(): StudioProposals {
    return listProposals(this.proposalsDir);
  }

  /**
   * Approve proposal `id` as `author`, who must not be its author (SELF_APPROVAL): it is
   * committed exactly as a save is (under the model's lock, the same checks, SAVE_BLOCKED,
   * the rule archive), and `changes.jsonl` records its author and the approver. A proposal
   * whose base files changed is PROPOSAL_STALE; one decided already PROPOSAL_CLOSED.
   */
  async approve(id: string, author: string): Promise<StudioSaved<OverridesSaveEntry>> {
    const approver = this.authorOf(author, true)!;
    const first = readProposal(this.proposalsDir, id);
    assertSecondAuthor(first, approver);
    return this.oneAtATime(() => {
      let proposal = first;
      return this.saveNow(
        first.files.map((f) => ({
          ...f,
          baseHash: first.base.find((b) => b.name === f.name)?.hash ?? null,
        })),
        first.reason,
        {
          author: first.author,
          approvedBy: approver,
          proposal: id,
          ...(first.revertOf !== undefined && { revertOf: first.revertOf }),
        },
        {
          before: (disk) => {
            // Read again under the lock: another process may have decided it meanwhile.
            proposal = readProposal(this.proposalsDir, id);
            assertPending(proposal);
            assertCurrentBase(proposal, disk, this.dir);
          },
          after: (entry) => {
            writeProposal(this.proposalsDir, {
              ...proposal,
              status: 'approved',
              decision: { by: approver, time: entry.time },
            });
          },
        },
      );
    });
  }

  /** Reject proposal `id` as `author` with a one-line reason (see `rejectProposal`). */
  async reject(id: string, author: string, reason: string): Promise<StudioProposal> {
    return this.oneAtATime(async () => rejectProposal(this.loc, id, author, reason));
  }

  /**
   * Re-base proposal `id` on the override files as they are now (see `rebaseTexts`):
   * REBASE_CONFLICT naming the file when its change does not apply; its diff and impact are
   * measured again, and the base it replaced is kept in `rebased`.
   */
  async rebase(id: string): Promise<StudioProposal> {
    const proposal = readProposal(this.proposalsDir, id);
    assertPending(proposal);
    const disk = this.savedFiles();
    const files = rebaseTexts(proposal, disk, this.dir);
    const impact = await this.frozenImpact(disk, files);
    return this.underLock('studio rebase', () => {
      const now = readProposal(this.proposalsDir, id);
      assertPending(now);
      const fresh = makeProposal({
        model: now.model,
        author: now.author,
        reason: now.reason,
        files,
        disk,
        impact,
      });
      const rebased: StudioProposal = {
        ...now,
        base: fresh.base,
        files: fresh.files,
        diff: fresh.diff,
        impact,
        rebased: [...(now.rebased ?? []), { time: fresh.created, base: now.base }],
      };
      writeProposal(this.proposalsDir, rebased);
      return rebased;
    });
  }

  /** Runs `step` under the model's lock, after this process's saves. */
  private underLock<T>(purpose: string, step: () => T): Promise<T> {
    return this.oneAtATime(async () => {
      const lock = lockModel(modelPaths(this.loc).dir, purpose);
      try {
        return step();
      } finally {
        lock.release();
      }
    });
  }

  /** FILE_CHANGED unless the file's hash on disk is the one expected (null: no such file). */
  private unchanged(name: string, expected: string | null, current: string | null): void {
    if (current === expected) return;
    const file = path.join(this.dir, name);
    throw new NeurulesError(
      'FILE_CHANGED',
      `${file} changed on disk since it was loaded (${current === null ? 'it is gone' : expected === null ? 'it is new' : `now ${current.slice(0, 12)}…`}); reload it, then make the change again`,
      { file },
    );
  }

  /**
   * FILE_CHANGED (at the rule file) when the model's distilled rules or generation on disk
   * are no longer those this session loaded: a `rules promote`, `rules accept` or build
   * since. A save would then be checked over rules that no longer serve, and filed in the
   * archive's history as in force with them. Called under the model's lock.
   */
  private sameRules(file: string): void {
    const now = loadModel(this.loc);
    if (
      now.rulesHash !== this.model.rulesHash ||
      now.manifest.generation !== this.model.manifest.generation
    ) {
      throw new NeurulesError(
        'FILE_CHANGED',
        `${file} changed on disk since the studio loaded it (now ${now.rulesHash.slice(0, 12)}…, generation ${now.manifest.generation ?? 'none'}: a rules promote, rules accept or build since); restart the studio to edit the overrides over the rules that serve now`,
        { file },
      );
    }
  }

  /**
   * Every entry of `changes.jsonl` (rules accepted and overrides saved), oldest first, and
   * the lines that are not entries, by number.
   */
  history(): StudioHistory<ChangeEntry> {
    return readChanges(modelPaths(this.loc).changes);
  }
}

/** SAVE_BLOCKED with every error of the check, each at its place. */
function saveBlocked(checked: StudioCheck): NeurulesError {
  const issues = [...checked.problems, ...checked.findings.filter((f) => f.severity === 'error')];
  return new NeurulesError(
    'SAVE_BLOCKED',
    `the overrides as they would be saved have ${issues.length} error(s); fix them before saving`,
    { field: 'files' },
    issues.map((i) => ({
      code: i.code as Issue['code'],
      message: i.message,
      ...(i.file !== null && { file: i.file }),
      ...(i.line !== null && { line: i.line }),
      ...(i.column !== null && { column: i.column }),
    })),
  );
}

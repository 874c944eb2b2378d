import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Schema } from '../data/types';
import type { PerceptionSpec } from '../perception/perception-front';
import type { Metrics, ModelArtifacts, ModelLocation, ModelManifest } from './types';
import type { Tree } from '../distill/types';
import { NeurulesError } from '../errors';
import type { NeurulesRule, RuleSet } from '../rules/types';
import { parseArtifact, readArtifact } from './read-artifact';
import { ruleSetHash } from './rule-set-hash';
import { writeFailure } from '../files/write-atomic';
import { readRegularFile } from '../files/regular-files';
import { ensureDirectory, lockModel, type ModelLock } from './model-lock';
import { verifyRuleSet } from '../rules/verify-rules';
import { checkEncoding, type TeacherEncoding } from '../teacher/check-encoding';

/** Format versions this neurules reads and writes. */
export const FORMAT_VERSIONS = { model: 2, schema: 1, tree: 1, metrics: 1, rules: 2 } as const;

/** What a model name may be (`--name`, `--model`): a plain folder name, never a path. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** A generation folder's name: its UTC creation time and a random suffix. */
const GENERATION_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/** Refuse a model name that is not a plain folder name (a path, `..`, empty, too long). */
export function checkModelName(name: string, field = 'model'): void {
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected a model name of at most 100 letters, digits, '.', '_' or '-' (starting with a letter or digit), found '${name}'`,
      { field },
    );
  }
}

/** Where a model's fixed files are (the generation's files are found through the rules). */
export function modelPaths(loc: ModelLocation) {
  const dir = path.join(loc.modelsDir, loc.name);
  const rulesDir = path.join(loc.rulesDir, loc.name);
  return {
    /** `MODELS_DIR/NAME`: the generation folders and the lock. */
    dir,
    lock: path.join(dir, '.lock'),
    rulesDir,
    /** The rule file of record; it names the current generation (the commit point). */
    rules: path.join(rulesDir, 'distilled.rules.json'),
    overrides: path.join(rulesDir, 'overrides'),
    /** Accepted hand edits of the distilled rules, one JSON line each. */
    changes: path.join(rulesDir, 'changes.jsonl'),
  };
}

/** A model as opened: its files, checked against the hashes its manifest recorded. */
export interface LoadedModel {
  manifest: ModelManifest;
  schema: Schema;
  tree: Tree;
  metrics: Metrics;
  /** The distilled rules, from `RULES_DIR/NAME/distilled.rules.json`. */
  ruleSet: RuleSet;
  /** The folder holding manifest, schema, tree, metrics and teacher. */
  dir: string;
  teacherDir: string;
  /** A model with perception concepts: `perception.json` (concepts, raw input schema). */
  perception?: PerceptionSpec;
  /** The folder of the perception networks, a folder per concept. */
  perceiversDir: string;
  manifestFile: string;
  rulesFile: string;
  /** The rules as committed with the model (generation folders only). */
  committedRules?: RuleSet;
  /** The rule file's content hash (equal to `manifest.rulesHash` unless `allowEditedRules`). */
  rulesHash: string;
  /**
   * SHA-256 of the rule file's bytes as read: what a commit replacing the file checks it
   * still holds (`rules accept`, see {@link SaveOptions.expectRulesFile}).
   */
  rulesFileSha256: string;
}

/** The steps of {@link saveModel}, in order; a test hook runs after each one. */
export type SaveStep =
  | 'clean'
  | 'write schema.json'
  | 'write tree.json'
  | 'write metrics.json'
  | 'write rules copy'
  | 'write teacher'
  | 'write perception'
  | 'write manifest.json'
  | 'rename generation'
  | 'write rules temp'
  | 'commit'
  | 'prune';

/** Options of {@link saveModel}. */
export interface SaveOptions {
  /** The model's lock, when the caller holds it already (a build takes it before training). */
  lock?: ModelLock;
  /**
   * The SHA-256 of the bytes the rule file must still hold when the commit replaces it:
   * the file a caller read and checked (`rules accept` passes the edited file it verified,
   * `LoadedModel.rulesFileSha256`). Anything else there is FILE_CHANGED: nothing is
   * committed, and the file is left as it is. Without it, the rule file is checked as a
   * build replaces it (see {@link checkRulesReplaceable} and `discardEdits`).
   */
  expectRulesFile?: string;
  /**
   * Replace a rule file holding an edit that was not accepted, keeping a copy of it beside
   * it (`distilled.rules.json.edited-GENERATION`, named by `SaveResult.keptEditedRules`);
   * without it such a file is RULES_MODIFIED, both before anything is written and at the
   * commit. @defaultValue false
   */
  discardEdits?: boolean;
  /** Test hook, called after each step (fault injection: throw, or end the process). */
  afterStep?: (step: SaveStep) => void;
}

/** What {@link saveModel} committed. */
export interface SaveResult {
  /** The new generation's name and folder. */
  generation: string;
  dir: string;
  /**
   * Where the rule file that was replaced was kept, when it held rules that were not the
   * committed rules of a model (an edit discarded with `discardEdits`, or a file that could
   * not be checked; see {@link RulesFileState}).
   */
  keptEditedRules?: string;
}

const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';
const sha = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * Commit a model and its rules as one unit.
 *
 * 1. Everything of the model goes into a new generation folder `MODELS_DIR/NAME/.tmp-G`
 *    (each file written and flushed to disk), whose manifest records the SHA-256 of every
 *    other file; the folder is then renamed to `MODELS_DIR/NAME/G`.
 * 2. The rules, which name generation G, are written to a temporary file beside
 *    `RULES_DIR/NAME/distilled.rules.json` and renamed over it. This one rename is the
 *    commit: before it, the rule file names the old generation (which is untouched); after
 *    it, the new one.
 * 3. Generations other than the new and the previous one are removed, as are temporary
 *    files of builds that died (the lock proves no build of this name is running).
 *
 * The rule file being replaced is checked twice, before anything is written and again
 * just before the commit's rename (an editor may save it at any time; the lock only keeps
 * other neurules processes out): with `options.expectRulesFile` it must still hold exactly
 * those bytes (FILE_CHANGED otherwise); without, it must hold the rules committed with the
 * model it names, or be absent (RULES_MODIFIED for an edit that was not accepted, unless
 * `options.discardEdits`). A file that is replaced without being the committed rules of a
 * model is kept beside it (see {@link SaveResult.keptEditedRules}).
 *
 * A failure before the commit leaves the old model current and removes what was written.
 * Takes the model's lock unless `options.lock` is given (MODEL_LOCKED when another process
 * holds it). Returns the new generation's name and folder.
 */
export async function saveModel(
  loc: ModelLocation,
  a: ModelArtifacts,
  options: SaveOptions = {},
): Promise<SaveResult> {
  checkModelName(loc.name, 'name');
  const p = modelPaths(loc);
  const lock = options.lock ?? lockModel(p.dir, 'build');
  const step = (name: SaveStep): void => options.afterStep?.(name);
  try {
    // Refused now rather than after every file of the generation has been written.
    checkReplacedRules(loc, options);
    const previous = currentGeneration(p.rules);
    removeLeftovers(loc, previous);
    step('clean');
    const generation = newGeneration();
    const tmp = path.join(p.dir, `.tmp-${generation}`);
    const final = path.join(p.dir, generation);
    const ruleSet: RuleSet = { ...a.ruleSet, version: 2, generation };
    const rulesJson = json(ruleSet);
    const rulesHash = ruleSetHash(ruleSet);
    const rulesFile = `rules-${rulesHash.slice(0, 12)}.json`;
    const rulesTmp = path.join(p.rulesDir, `.distilled.rules.json.${process.pid}.tmp`);
    const keptTmp = path.join(p.rulesDir, `.distilled.rules.json.edited.${process.pid}.tmp`);
    const kept = path.join(p.rulesDir, `distilled.rules.json.edited-${generation}`);
    let keptEditedRules: string | undefined;
    try {
      fs.mkdirSync(tmp);
      const files: Record<string, string> = {};
      const put = (rel: string, data: string, name: SaveStep): void => {
        writeDurable(path.join(tmp, rel), data);
        files[rel] = sha(data);
        step(name);
      };
      put('schema.json', json(a.schema), 'write schema.json');
      put('tree.json', json(a.tree), 'write tree.json');
      put('metrics.json', json(a.metrics), 'write metrics.json');
      put(rulesFile, rulesJson, 'write rules copy');
      await a.saveTeacher(path.join(tmp, 'teacher'));
      for (const rel of listFiles(path.join(tmp, 'teacher'))) {
        const file = path.join(tmp, 'teacher', rel);
        files[`teacher/${rel}`] = sha(fs.readFileSync(file));
        flush(file);
      }
      step('write teacher');
      if (a.perception) {
        put('perception.json', json(a.perception.spec), 'write perception');
        a.perception.savePerceivers(path.join(tmp, 'perceivers'));
        for (const rel of listFiles(path.join(tmp, 'perceivers'))) {
          const file = path.join(tmp, 'perceivers', rel);
          files[`perceivers/${rel}`] = sha(fs.readFileSync(file));
          flush(file);
        }
      }
      const manifest: ModelManifest = {
        ...a.manifest,
        version: 2,
        generation,
        rulesHash,
        rulesFile,
        files,
      };
      writeDurable(path.join(tmp, 'manifest.json'), json(manifest));
      step('write manifest.json');
      fs.renameSync(tmp, final);
      flush(p.dir);
      step('rename generation');
      ensureDirectory(p.rulesDir, 'rules folder');
      writeDurable(rulesTmp, rulesJson);
      step('write rules temp');
      // Checked again as late as possible: a file saved by an editor while the model was
      // being written (minutes of training for a build) must not be replaced unseen. The
      // window left is the few microseconds between this read and the rename.
      const replaced = checkReplacedRules(loc, options);
      // With `expectRulesFile` the file replaced is the one the caller checked and is
      // committing (an accepted edit): nothing of it is lost.
      const unaccepted = replaced.kind === 'edited' || replaced.kind === 'unchecked';
      if (unaccepted && options.expectRulesFile === undefined) {
        // Written whole, then renamed: a copy is never half there.
        writeDurable(keptTmp, replaced.bytes);
        fs.renameSync(keptTmp, kept);
        keptEditedRules = kept;
      }
      fs.renameSync(rulesTmp, p.rules);
    } catch (e) {
      // Not committed: the rule file still names the previous generation, and still holds
      // what it held (so its copy goes too).
      for (const leftover of [tmp, final, rulesTmp, keptTmp, ...(keptEditedRules ? [kept] : [])])
        fs.rmSync(leftover, { recursive: true, force: true });
      throw writeFailure(e, p.rules);
    }
    flush(p.rulesDir);
    step('commit');
    pruneGenerations(p.dir, new Set([generation, ...(previous ? [previous] : [])]));
    step('prune');
    return { generation, dir: final, ...(keptEditedRules && { keptEditedRules }) };
  } finally {
    if (!options.lock) lock.release();
  }
}

/**
 * What `RULES_DIR/NAME/distilled.rules.json` holds, judged as a build about to replace it
 * judges it:
 *
 * - `absent`: no file;
 * - `committed`: the rules committed with the model it names (its rules hash is the
 *   manifest's `rulesHash`), so replacing it loses nothing;
 * - `edited`: readable rules of a model that is there, which differ from the rules
 *   committed with it: an edit that was not accepted (`error` is the RULES_MODIFIED to
 *   refuse it with, naming both hashes and the rules that differ);
 * - `unchecked`: a file that cannot be compared with committed rules (not JSON, not a rule
 *   file, or naming a generation or manifest that is not there, as when `models/` was
 *   removed and `rules/` kept): it may be an edit, so it is kept when replaced (`why`
 *   says what was missing).
 *
 * `bytes` is the file as read and `sha256` their hash.
 */
export type RulesFileState =
  | { kind: 'absent' }
  | { kind: 'committed'; bytes: Buffer; sha256: string }
  | { kind: 'edited'; bytes: Buffer; sha256: string; error: NeurulesError }
  | { kind: 'unchecked'; bytes: Buffer; sha256: string; why: string };

/**
 * Read the rule file of a model and say whether it holds the rules committed with the
 * model (see {@link RulesFileState}). Only a rule file that is not a regular file (a
 * FIFO, a folder) is an error (NOT_A_REGULAR_FILE): a model whose other files are
 * damaged is still one a build may replace.
 */
export function inspectRulesFile(loc: ModelLocation): RulesFileState {
  const p = modelPaths(loc);
  // A dangling link is no file too: the commit renames over the link itself.
  if (!statQuietly(p.rules)) return { kind: 'absent' };
  const bytes = readRegularFile(p.rules, { missingCode: 'RULES_NOT_FOUND' });
  const sha256 = sha(bytes);
  const unchecked = (why: string): RulesFileState => ({ kind: 'unchecked', bytes, sha256, why });
  let ruleSet: RuleSet;
  try {
    ruleSet = parseArtifact<RuleSet>(
      bytes.toString('utf8'),
      p.rules,
      'neurules.rules',
      FORMAT_VERSIONS.rules,
    );
  } catch (e) {
    return unchecked((e as Error).message);
  }
  const generation: unknown = ruleSet.generation;
  let dir = p.dir;
  if (generation !== undefined) {
    if (typeof generation !== 'string' || !GENERATION_PATTERN.test(generation))
      return unchecked(`it names no generation folder (${JSON.stringify(generation)})`);
    dir = path.join(p.dir, generation);
  }
  let manifest: ModelManifest;
  try {
    manifest = readArtifact<ModelManifest>(
      path.join(dir, 'manifest.json'),
      'neurules.model',
      FORMAT_VERSIONS.model,
    );
  } catch (e) {
    return unchecked((e as Error).message);
  }
  if (typeof manifest.rulesHash !== 'string')
    return unchecked(`${path.join(dir, 'manifest.json')} records no rules hash`);
  const rulesHash = ruleSetHash(ruleSet);
  if (rulesHash === manifest.rulesHash) return { kind: 'committed', bytes, sha256 };
  let committed: RuleSet | undefined;
  try {
    if (manifest.rulesFile !== undefined && !manifest.rulesFile.includes('/'))
      committed = readArtifact<RuleSet>(
        path.join(dir, manifest.rulesFile),
        'neurules.rules',
        FORMAT_VERSIONS.rules,
      );
  } catch {
    // The message then names the hashes only.
  }
  return {
    kind: 'edited',
    bytes,
    sha256,
    error: rulesModified(p.rules, loc.name, rulesHash, manifest.rulesHash, ruleSet, committed),
  };
}

/**
 * Refuse to replace a rule file holding an edit that was not accepted: RULES_MODIFIED
 * (the error {@link inspectRulesFile} describes), unless `discardEdits`. A build calls it
 * before training, so it is refused at once rather than after minutes of work;
 * {@link saveModel} checks again at the commit. Returns what the file holds.
 *
 * Refusing is the default, rather than replacing the file and keeping a copy: an edit
 * nobody accepted is a decision someone meant to make, a copy beside the rule file is
 * easily missed, and the new model would then decide other than its editor believes.
 * A file that cannot be checked at all is not refused (a broken model is what a build
 * repairs) but kept by the commit, since it may be an edit.
 */
export function checkRulesReplaceable(
  loc: ModelLocation,
  options: { discardEdits?: boolean } = {},
): RulesFileState {
  const state = inspectRulesFile(loc);
  if (state.kind === 'edited' && !options.discardEdits) throw state.error;
  return state;
}

/** {@link saveModel}'s check of the rule file it is about to replace. */
function checkReplacedRules(loc: ModelLocation, options: SaveOptions): RulesFileState {
  if (options.expectRulesFile === undefined) return checkRulesReplaceable(loc, options);
  const state = inspectRulesFile(loc);
  const found = state.kind === 'absent' ? undefined : state.sha256;
  if (found !== options.expectRulesFile) {
    const file = modelPaths(loc).rules;
    throw new NeurulesError(
      'FILE_CHANGED',
      `${file} changed after it was checked: ${found === undefined ? 'it is gone' : `its SHA-256 is ${found.slice(0, 12)}…`}, the file checked had ${options.expectRulesFile.slice(0, 12)}…; nothing was committed, and the file was left as it is`,
      { file },
    );
  }
  return state;
}

/** RULES_MODIFIED: the rule file's rules are not the ones committed with the model. */
function rulesModified(
  file: string,
  name: string,
  found: string,
  expected: string,
  edited: RuleSet,
  committed: RuleSet | undefined,
): NeurulesError {
  const comparable = committed && Array.isArray(committed.rules) && Array.isArray(edited.rules);
  const changed = comparable ? ` (${describeRuleChanges(committed, edited)})` : '';
  return new NeurulesError(
    'RULES_MODIFIED',
    `${file} has rules hash ${found.slice(0, 12)}…, expected ${expected.slice(0, 12)}…, the hash of the rules committed with model '${name}'${changed}`,
    { file, field: 'rules' },
  );
}

/** `YYYYMMDDTHHMMSSZ-xxxxxx`: sorts by creation time. */
function newGeneration(): string {
  const time = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${time}-${randomBytes(3).toString('hex')}`;
}

/** The generation the rule file names now, if it is a readable version-2 rule file. */
function currentGeneration(rulesFile: string): string | undefined {
  try {
    const g = (JSON.parse(fs.readFileSync(rulesFile, 'utf8')) as { generation?: unknown })
      .generation;
    return typeof g === 'string' && GENERATION_PATTERN.test(g) ? g : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Remove what builds that died left behind: temporary generation folders, rule temp files,
 * the temporary folders of older neurules (`MODELS_DIR/.NAME.tmp-*`), and generations
 * newer than the current one (written but never committed). Only called with the lock held.
 */
function removeLeftovers(loc: ModelLocation, current: string | undefined): void {
  const p = modelPaths(loc);
  const remove = (dir: string, match: (entry: string) => boolean): void => {
    for (const entry of readdirQuietly(dir))
      if (match(entry)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  };
  remove(p.dir, (e) => e.startsWith('.tmp-'));
  remove(p.dir, (e) => GENERATION_PATTERN.test(e) && (current === undefined ? false : e > current));
  remove(p.rulesDir, (e) => /^\.distilled\.rules\.json\.(edited\.)?\d+\.tmp$/.test(e));
  remove(loc.modelsDir, (e) => e.startsWith(`.${loc.name}.tmp-`));
}

/** Remove generation folders not in `keep`, and the files of the old single-folder layout. */
function pruneGenerations(dir: string, keep: Set<string>): void {
  const legacy = new Set(['manifest.json', 'schema.json', 'tree.json', 'metrics.json', 'teacher']);
  for (const entry of readdirQuietly(dir)) {
    if ((GENERATION_PATTERN.test(entry) && !keep.has(entry)) || legacy.has(entry)) {
      try {
        fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
      } catch {
        // The new model is committed; an old folder that cannot be removed now is
        // removed by the next build.
      }
    }
  }
}

function readdirQuietly(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Files under `dir`, as paths relative to it with `/` separators, sorted. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** Write a new file and flush it to the disk before returning. */
function writeDurable(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'wx');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Flush a file or folder (a folder: its entries, so a rename survives a power cut). */
function flush(file: string): void {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on folders; the rename itself is still atomic.
  }
}

/** Options of {@link loadModel}. */
export interface LoadOptions {
  /**
   * Open a model whose distilled rule file differs from its committed rules (for
   * `rules accept`); every other check still applies. @defaultValue false
   */
  allowEditedRules?: boolean;
}

/**
 * Open a model: read the rule file, then the generation it names, and check every file
 * against the SHA-256 the manifest recorded (MODEL_FILE_MODIFIED), and the rules against the
 * committed rules hash (RULES_MODIFIED, naming both hashes and the rules that differ).
 * Models of the old single-folder layout (manifest version 1) are read from
 * `MODELS_DIR/NAME/` and checked by their rules hash.
 *
 * Throws NeurulesError: INVALID_ARGUMENT (a name that is not a plain name), MODEL_NOT_FOUND,
 * NOT_A_DIRECTORY, RULES_NOT_FOUND, FOREIGN_FORMAT, NEWER_FORMAT, INVALID_ARTIFACT,
 * MODEL_FILE_MODIFIED, RULES_MODIFIED; the rules' own problems (RULE_UNKNOWN_CLASS,
 * RULE_UNKNOWN_FACT, RULE_INVALID_CONDITION, see `verifyRuleSet`), and SCHEMA_MISMATCH when
 * the schema disagrees with the network's input encoding.
 */
export function loadModel(loc: ModelLocation, options: LoadOptions = {}): LoadedModel {
  checkModelName(loc.name);
  const p = modelPaths(loc);
  const modelsDir = statQuietly(loc.modelsDir);
  if (modelsDir && !modelsDir.isDirectory()) {
    throw new NeurulesError(
      'NOT_A_DIRECTORY',
      `expected models folder ${loc.modelsDir} to be a folder, found a file`,
      { file: loc.modelsDir },
    );
  }
  if (!statQuietly(p.dir)?.isDirectory()) throw modelNotFound(loc, p.dir);
  if (!fs.existsSync(p.rules)) {
    const legacy = path.join(p.dir, 'manifest.json');
    if (!fs.existsSync(legacy)) throw modelNotFound(loc, p.dir);
    // A model of the old layout without its rules: its manifest's own problems first.
    readArtifact<ModelManifest>(legacy, 'neurules.model', FORMAT_VERSIONS.model);
  }
  // Read once: the hash of exactly these bytes is what `rules accept` checks at its commit.
  const rulesBytes = readRegularFile(p.rules, { missingCode: 'RULES_NOT_FOUND' });
  const ruleSet = parseArtifact<RuleSet>(
    rulesBytes.toString('utf8'),
    p.rules,
    'neurules.rules',
    FORMAT_VERSIONS.rules,
  );
  if (!Array.isArray(ruleSet.rules) || ruleSet.rules.length === 0) {
    throw new NeurulesError('INVALID_ARTIFACT', `${p.rules}: expected a non-empty 'rules' array`, {
      file: p.rules,
      field: 'rules',
    });
  }
  let dir = p.dir;
  if (ruleSet.generation !== undefined) {
    if (typeof ruleSet.generation !== 'string' || !GENERATION_PATTERN.test(ruleSet.generation)) {
      throw new NeurulesError(
        'INVALID_ARTIFACT',
        `${p.rules}: expected 'generation' to name a generation folder (like 20261130T091502Z-3fa9c1), found ${JSON.stringify(ruleSet.generation)}`,
        { file: p.rules, field: 'generation' },
      );
    }
    dir = path.join(p.dir, ruleSet.generation);
    if (!statQuietly(dir)?.isDirectory()) {
      throw new NeurulesError(
        'INVALID_ARTIFACT',
        `${p.rules} names generation ${ruleSet.generation}, but ${dir} is not there`,
        { file: p.rules, field: 'generation' },
      );
    }
  }
  const { manifestFile, manifest, texts } = readCheckedManifest(dir);
  const read = <T extends { format: string; version: number }>(
    rel: string,
    format: T['format'],
    version: number,
  ): T => {
    const text = texts.get(rel);
    const file = path.join(dir, rel);
    return text === undefined
      ? readArtifact<T>(file, format, version)
      : parseArtifact<T>(text, file, format, version);
  };
  const schema = read<Schema>('schema.json', 'neurules.schema', FORMAT_VERSIONS.schema);
  const tree = read<Tree>('tree.json', 'neurules.tree', FORMAT_VERSIONS.tree);
  const metrics = read<Metrics>('metrics.json', 'neurules.metrics', FORMAT_VERSIONS.metrics);
  const committedRules =
    manifest.rulesFile !== undefined
      ? read<RuleSet>(manifest.rulesFile, 'neurules.rules', FORMAT_VERSIONS.rules)
      : undefined;
  const rulesHash = ruleSetHash(ruleSet);
  if (rulesHash !== manifest.rulesHash && !options.allowEditedRules)
    throw rulesModified(p.rules, loc.name, rulesHash, manifest.rulesHash, ruleSet, committedRules);
  // The rules must fit the schema, and the schema the network's input encoding. An edit
  // being accepted is verified by `rules accept` itself, with its own report.
  const issues = options.allowEditedRules ? [] : verifyRuleSet(ruleSet, schema, p.rules);
  const teacherFile = path.join(dir, 'teacher', 'teacher.json');
  const teacherText = texts.get('teacher/teacher.json');
  const teacher =
    teacherText === undefined
      ? readArtifact<TeacherEncoding & { format: string; version: number }>(
          teacherFile,
          'neurules.teacher',
          1,
        )
      : parseArtifact<TeacherEncoding & { format: string; version: number }>(
          teacherText,
          teacherFile,
          'neurules.teacher',
          1,
        );
  issues.push(...checkEncoding(schema, teacher, teacherFile));
  if (issues.length > 0) throw NeurulesError.fromIssues(issues);
  // Perception is part of a model only when its manifest lists the file (and so its hash).
  const perception =
    manifest.files?.['perception.json'] !== undefined
      ? read<PerceptionSpec>('perception.json', 'neurules.perception', 1)
      : undefined;
  if (perception) checkPerception(perception, schema, path.join(dir, 'perception.json'));
  return {
    manifest,
    schema,
    tree,
    metrics,
    ruleSet,
    dir,
    teacherDir: path.join(dir, 'teacher'),
    ...(perception && { perception }),
    perceiversDir: path.join(dir, 'perceivers'),
    manifestFile,
    rulesFile: p.rules,
    ...(committedRules && { committedRules }),
    rulesHash,
    rulesFileSha256: sha(rulesBytes),
  };
}

/**
 * A model generation still on disk (the current one or a kept older one), every file
 * checked against its manifest as {@link loadModel} checks the current one: its folder, its
 * schema and its network's folder. Undefined when the folder is gone (pruned). Throws as
 * `loadModel` does for a damaged generation (MODEL_FILE_MODIFIED, INVALID_ARTIFACT, ...).
 */
export function openGeneration(
  loc: ModelLocation,
  generation: string,
): { dir: string; schema: Schema; teacherDir: string } | undefined {
  if (!GENERATION_PATTERN.test(generation)) return undefined;
  const dir = path.join(modelPaths(loc).dir, generation);
  if (!statQuietly(dir)?.isDirectory()) return undefined;
  const { texts } = readCheckedManifest(dir);
  const schemaFile = path.join(dir, 'schema.json');
  const text = texts.get('schema.json');
  const schema =
    text === undefined
      ? readArtifact<Schema>(schemaFile, 'neurules.schema', FORMAT_VERSIONS.schema)
      : parseArtifact<Schema>(text, schemaFile, 'neurules.schema', FORMAT_VERSIONS.schema);
  return { dir, schema, teacherDir: path.join(dir, 'teacher') };
}

/**
 * INVALID_ARTIFACT unless `perception.json` fits the rules' schema: a list of concepts,
 * each a fact of the rules with its confidence, and an input schema with the same target
 * and classes.
 */
function checkPerception(p: PerceptionSpec, schema: Schema, file: string): void {
  const bad = (field: string, what: string) =>
    new NeurulesError('INVALID_ARTIFACT', `${file}: ${what}`, { file, field });
  if (!Array.isArray(p.concepts) || p.concepts.length === 0)
    throw bad('concepts', 'expected a non-empty list of concepts');
  if (!p.input || !Array.isArray(p.input.features))
    throw bad('input', 'expected the schema raw records are read with');
  if (
    p.input.target !== schema.target ||
    JSON.stringify(p.input.classes) !== JSON.stringify(schema.classes)
  )
    throw bad('input', "expected the input schema's target and classes to be the model's");
  const facts = new Set(schema.features.map((f) => f.name));
  for (const c of p.concepts) {
    const name = typeof c?.name === 'string' ? c.name : '';
    if (
      !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ||
      !facts.has(name) ||
      !facts.has(`${name}_confidence`) ||
      !Array.isArray(c.classes)
    )
      throw bad('concepts', `expected each concept to be a fact of the rules, found '${name}'`);
  }
}

/**
 * A generation folder's manifest, and (for a generation folder, version 2) every file it
 * names checked against its hash, with the JSON files' text (see {@link checkFiles}).
 */
function readCheckedManifest(dir: string): {
  manifestFile: string;
  manifest: ModelManifest;
  texts: Map<string, string>;
} {
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = readArtifact<ModelManifest>(
    manifestFile,
    'neurules.model',
    FORMAT_VERSIONS.model,
  );
  const texts = new Map<string, string>();
  if (manifest.version >= 2) checkFiles(dir, manifestFile, manifest, texts);
  return { manifestFile, manifest, texts };
}

/** Check every file the manifest names against its hash; keep the JSON files' text. */
function checkFiles(
  dir: string,
  manifestFile: string,
  manifest: ModelManifest,
  texts: Map<string, string>,
): void {
  const files = manifest.files;
  if (!files || typeof files !== 'object') {
    throw new NeurulesError('INVALID_ARTIFACT', `${manifestFile}: expected a 'files' object`, {
      file: manifestFile,
      field: 'files',
    });
  }
  const required = ['schema.json', 'tree.json', 'metrics.json', manifest.rulesFile ?? ''];
  for (const rel of required) {
    if (!(rel in files)) {
      throw new NeurulesError(
        'INVALID_ARTIFACT',
        `${manifestFile}: expected 'files' to name ${rel || "'rulesFile'"}`,
        { file: manifestFile, field: 'files' },
      );
    }
  }
  for (const [rel, expected] of Object.entries(files)) {
    if (rel.split('/').some((part) => part === '..' || part === '') || path.isAbsolute(rel)) {
      throw new NeurulesError(
        'INVALID_ARTIFACT',
        `${manifestFile}: expected file names inside the generation folder, found '${rel}'`,
        { file: manifestFile, field: `files.${rel}` },
      );
    }
    const file = path.join(dir, rel);
    const bytes = readRegularFile(file, { missingCode: 'MODEL_NOT_FOUND' });
    const found = sha(bytes);
    if (found !== expected) {
      throw new NeurulesError(
        'MODEL_FILE_MODIFIED',
        `${file} has SHA-256 ${found.slice(0, 12)}…, expected ${String(expected).slice(0, 12)}… as ${manifestFile} recorded`,
        { file, field: `files.${rel}` },
      );
    }
    if (rel.endsWith('.json')) texts.set(rel, bytes.toString('utf8'));
  }
}

/** "rules r3, r5 changed; r9 added; r2 removed", comparing by rule name. */
export function describeRuleChanges(before: RuleSet, after: RuleSet): string {
  const diff = ruleChanges(before, after);
  const parts: string[] = [];
  const list = (names: string[]): string =>
    names.slice(0, 8).join(', ') + (names.length > 8 ? ` and ${names.length - 8} more` : '');
  if (diff.changed.length) parts.push(`rule(s) ${list(diff.changed)} changed`);
  if (diff.added.length) parts.push(`${list(diff.added)} added`);
  if (diff.removed.length) parts.push(`${list(diff.removed)} removed`);
  if (diff.reordered) parts.push('the order of the rules changed');
  return parts.join('; ') || 'the rules differ';
}

/** The rules added, removed and changed between two rule sets, by rule name. */
export function ruleChanges(
  before: RuleSet,
  after: RuleSet,
): { changed: string[]; added: string[]; removed: string[]; reordered: boolean } {
  const byName = (rules: NeurulesRule[]): Map<string, string> =>
    new Map(rules.map((r) => [String(r.name), ruleSetHash({ rules: [r] })]));
  const a = byName(before.rules);
  const b = byName(after.rules);
  const changed = [...b].filter(([n, h]) => a.has(n) && a.get(n) !== h).map(([n]) => n);
  const added = [...b.keys()].filter((n) => !a.has(n));
  const removed = [...a.keys()].filter((n) => !b.has(n));
  const common = (rules: NeurulesRule[], other: Map<string, string>): string =>
    rules
      .map((r) => String(r.name))
      .filter((n) => other.has(n))
      .join('\n');
  const reordered = common(before.rules, b) !== common(after.rules, a);
  return { changed, added, removed, reordered };
}

function statQuietly(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

function modelNotFound(loc: ModelLocation, dir: string): NeurulesError {
  const known = readdirQuietly(loc.modelsDir)
    .filter((d) => MODEL_NAME_PATTERN.test(d))
    .filter(
      (d) =>
        fs.existsSync(path.join(loc.rulesDir, d, 'distilled.rules.json')) ||
        fs.existsSync(path.join(loc.modelsDir, d, 'manifest.json')),
    );
  return new NeurulesError(
    'MODEL_NOT_FOUND',
    `no model '${loc.name}' in ${loc.modelsDir}` +
      (known.length
        ? ` (models there: ${known.join(', ')})`
        : ` (${loc.modelsDir} holds no model)`),
    { file: dir, field: 'model' },
  );
}

/** Read and check a model's manifest, schema, tree and metrics (see {@link loadModel}). */
export function loadModelFiles(loc: ModelLocation): {
  manifest: ModelManifest;
  schema: Schema;
  tree: Tree;
  metrics: Metrics;
} {
  const { manifest, schema, tree, metrics } = loadModel(loc);
  return { manifest, schema, tree, metrics };
}

/** Read and check a model's distilled rule set (see {@link loadModel}). */
export function loadRuleSet(loc: ModelLocation): RuleSet {
  return loadModel(loc).ruleSet;
}

export { ruleSetHash };

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Schema } from '../data/types';
import { NeurulesError } from '../errors';
import { kindOf, readRegularFile } from '../files/regular-files';
import { inputFileError } from '../data/read-input-file';
import { writeFileAtomic } from '../files/write-atomic';
import { writeFailure } from '../files/write-failure';
import type { NeurulesRule, RuleSet } from '../rules/types';
import { verifyRuleSet } from '../rules/verify-rules';
import { appendJsonLine, changeAuthor, readChanges, type ChangeEntry } from './changes-log';
import { parseArtifact } from './read-artifact';
import { canonicalJson, ruleSetHash } from './rule-set-hash';
import type { ModelLocation } from './types';

/**
 * The archive of a model's rule sets: every merged rule set (distilled rules with the
 * overrides above them) that came into force, filed by its content hash in
 * `RULES_DIR/NAME/archive/HASH.json`, and `RULES_DIR/NAME/archive/history.jsonl`, one line
 * each time a rule set came into force (a build, `rules accept`, a studio save, or a
 * service that found overrides edited by hand). The archive lives beside the rules, not in
 * a model generation, so pruning generations loses nothing of it: the rules alone decide.
 */
export const ARCHIVE_VERSION = 1;

/** What made a rule set come into force. */
export type MadeBy = 'build' | 'rules accept' | 'rules promote' | 'studio save' | 'serve';

/** `archive/HASH.json`: one merged rule set and the schema its facts are read with. */
export interface ArchivedRuleSet {
  format: 'neurules.archived-rules';
  version: typeof ARCHIVE_VERSION;
  model: string;
  /** `ruleSetHash(ruleSet)`: the file's name, checked on every read. */
  hash: string;
  /** The generation whose distilled rules are in it (absent for the old single-folder layout). */
  generation?: string;
  /** Content hash of the distilled rules alone. */
  distilledHash: string;
  /** The ids of the overrides above them, in hit-policy order. */
  overrides: string[];
  /** SHA-256 of the schema as canonical JSON, checked on every read. */
  schemaSha256: string;
  schema: Schema;
  /** The merged rule set, as it decided. */
  ruleSet: RuleSet;
}

/** Held-out figures of a merged rule set, where the step that made it measured them. */
export interface RuleSetFigures {
  /** What the records are (`test split of data/german-credit.csv`). */
  on: string;
  records: number;
  /** Accuracy against the labels. */
  accuracy: number;
  /** Agreement with the network. */
  fidelity: number;
}

/** One line of `archive/history.jsonl`: a rule set came into force. */
export interface HistoryEntry {
  v: typeof ARCHIVE_VERSION;
  time: string;
  model: string;
  hash: string;
  made: MadeBy;
  generation?: string;
  /** `user@host` of the process that made it. */
  by: string;
  /** Why, where the step was given a reason (`rules accept --reason`, a studio save). */
  reason?: string;
  rules: number;
  overrides: number;
  figures?: RuleSetFigures;
}

/** Where a model's archive is. */
export function archivePaths(loc: ModelLocation): { dir: string; history: string } {
  const dir = path.join(loc.rulesDir, loc.name, 'archive');
  return { dir, history: path.join(dir, 'history.jsonl') };
}

/** What {@link recordRuleSet} is told about the rule set that came into force. */
export interface RecordRequest {
  /** The merged rule set (distilled rules with overrides above them). */
  ruleSet: RuleSet;
  schema: Schema;
  made: MadeBy;
  generation?: string;
  reason?: string;
  figures?: RuleSetFigures;
  /** @defaultValue now */
  time?: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const HASH_FILE = /^([0-9a-f]{64})\.json$/;
const GENERATION = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/**
 * File a merged rule set in the model's archive (written whole, then renamed; kept as it is
 * when already there, after checking it) and add a history line saying it came into force,
 * unless it is the rule set the last line names (a service restarted on the same rules adds
 * nothing). Returns the hash and whether a history line was added. WRITE_FAILED when the
 * archive cannot be written, ARCHIVE_MODIFIED when the file filed under the hash holds
 * something else.
 */
export function recordRuleSet(
  loc: ModelLocation,
  request: RecordRequest,
): { hash: string; added: boolean } {
  const hash = ruleSetHash(request.ruleSet);
  const p = archivePaths(loc);
  const file = path.join(p.dir, `${hash}.json`);
  archiveFolder(p.dir);
  const { distilled, overrides } = splitRules(request.ruleSet);
  if (!archiveFile(file)) {
    const entry: ArchivedRuleSet = {
      format: 'neurules.archived-rules',
      version: ARCHIVE_VERSION,
      model: loc.name,
      hash,
      ...(request.generation !== undefined && { generation: request.generation }),
      distilledHash: ruleSetHash({ rules: distilled }),
      overrides: overrides.map((r) => String(r.name)),
      schemaSha256: sha256(canonicalJson(request.schema)),
      schema: request.schema,
      ruleSet: request.ruleSet,
    };
    try {
      fs.mkdirSync(p.dir, { recursive: true });
    } catch (e) {
      throw writeFailure(e, p.dir);
    }
    writeFileAtomic(file, JSON.stringify(entry, null, 2) + '\n');
  } else {
    readArchivedFile(file, hash, loc.name);
  }
  // Read (and so checked to be a regular file, never a link) before it is appended to.
  const last = readHistory(loc).entries.at(-1);
  if (last?.hash === hash && request.made === 'serve') return { hash, added: false };
  const line: HistoryEntry = {
    v: ARCHIVE_VERSION,
    time: request.time ?? new Date().toISOString(),
    model: loc.name,
    hash,
    made: request.made,
    ...(request.generation !== undefined && { generation: request.generation }),
    by: changeAuthor(),
    ...(request.reason !== undefined && { reason: request.reason }),
    rules: request.ruleSet.rules.length,
    overrides: overrides.length,
    ...(request.figures && { figures: request.figures }),
  };
  appendJsonLine(p.history, line);
  return { hash, added: true };
}

/**
 * {@link recordRuleSet} for a step that is committed already (a studio save, an accepted
 * edit): a failure to file the rule set is returned as its message rather than thrown, for
 * the step to report; the service files the rule set when it loads it.
 */
export function tryRecordRuleSet(loc: ModelLocation, request: RecordRequest): string | undefined {
  try {
    recordRuleSet(loc, request);
    return undefined;
  } catch (e) {
    return `the rule set was not archived: ${(e as Error).message}; neurules serve archives it when it starts`;
  }
}

/**
 * The archived rule set filed under `hash`, checked (its rules' hash is its name, its
 * schema's hash the one recorded), or undefined when the archive holds none.
 * ARCHIVE_MODIFIED when the file does not match; NOT_A_REGULAR_FILE for a FIFO or folder.
 */
export function readArchivedRuleSet(loc: ModelLocation, hash: string): ArchivedRuleSet | undefined {
  if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
  const { dir } = archivePaths(loc);
  const file = path.join(dir, `${hash}.json`);
  if (!archiveFolder(dir) || !archiveFile(file)) return undefined;
  return readArchivedFile(file, hash, loc.name);
}

function readArchivedFile(file: string, hash: string, model: string): ArchivedRuleSet {
  const modified = (what: string, field: string): NeurulesError =>
    new NeurulesError('ARCHIVE_MODIFIED', `${file}: ${what}`, { file, field });
  const entry = parseArtifact<ArchivedRuleSet>(
    readRegularFile(file, { encoding: 'utf8' }),
    file,
    'neurules.archived-rules',
    ARCHIVE_VERSION,
  );
  if (!entry.ruleSet || !Array.isArray(entry.ruleSet.rules))
    throw modified('expected a rule set with a list of rules, found none', 'ruleSet');
  const found = ruleSetHash(entry.ruleSet);
  if (found !== hash || entry.hash !== hash) {
    throw modified(
      `expected rules whose hash is the file's name ${hash.slice(0, 12)}…, found rules of hash ${found.slice(0, 12)}…`,
      'ruleSet',
    );
  }
  if (!entry.schema || sha256(canonicalJson(entry.schema)) !== entry.schemaSha256)
    throw modified('expected the schema whose SHA-256 the entry recorded, found another', 'schema');
  // The distilled rules must fit the schema as the live rules must (overrides were checked
  // against it when they were parsed, and are YAML's, not this file's).
  const { distilled, overrides } = splitRules(entry.ruleSet);
  const issues = verifyRuleSet({ ...entry.ruleSet, rules: distilled }, entry.schema, file);
  if (issues.length > 0) {
    throw modified(
      `expected rules that fit the archived schema, found: ${issues[0]!.message}`,
      'ruleSet',
    );
  }
  // An override's class was checked against the schema when its YAML was parsed; here it
  // is this file's, and a rule set read from the archive decides (a `serve --shadow`
  // challenger, a replay), so a class the schema does not list is a modified entry.
  const stray = overrides.find((r) => !entry.schema.classes.includes(r.event?.params?.class));
  if (stray) {
    throw modified(
      `expected override '${String(stray.name)}' to decide one of the classes ${JSON.stringify(entry.schema.classes)}, found ${JSON.stringify(stray.event?.params?.class)?.slice(0, 100)}`,
      'ruleSet',
    );
  }
  // What the entry says of its rules must be what its rules are.
  const says: [string, boolean][] = [
    ['model', entry.model === model],
    [
      'generation',
      entry.generation === undefined ||
        (typeof entry.generation === 'string' && GENERATION.test(entry.generation)),
    ],
    ['distilledHash', entry.distilledHash === ruleSetHash({ rules: distilled })],
    [
      'overrides',
      JSON.stringify(entry.overrides) === JSON.stringify(overrides.map((r) => String(r.name))),
    ],
  ];
  const wrong = says.find(([, ok]) => !ok);
  if (wrong) {
    throw modified(
      `expected '${wrong[0]}' to be what the archived rules are (model '${model}', their distilled rules' hash, their overrides), found ${JSON.stringify(entry[wrong[0] as keyof ArchivedRuleSet])}`,
      wrong[0],
    );
  }
  return entry;
}

/** A merged rule set's distilled rules and its overrides, each in their order. */
function splitRules(ruleSet: RuleSet): { distilled: NeurulesRule[]; overrides: NeurulesRule[] } {
  const isOverride = (r: NeurulesRule) => r.event?.params?.source === 'override';
  return {
    distilled: ruleSet.rules.filter((r) => !isOverride(r)),
    overrides: ruleSet.rules.filter(isOverride),
  };
}

/** The hashes of every rule set in the archive, sorted. */
export function archivedHashes(loc: ModelLocation): string[] {
  const { dir } = archivePaths(loc);
  if (!archiveFolder(dir)) return [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw inputFileError(dir, e);
  }
  return names
    .map((n) => HASH_FILE.exec(n)?.[1])
    .filter((h): h is string => h !== undefined)
    .sort();
}

/** What {@link readHistory} read: the entries, oldest first, and lines it could not read. */
export interface HistoryRead {
  entries: HistoryEntry[];
  unreadable: { line: number; reason: string }[];
}

/** Every line of the model's `archive/history.jsonl` (none when there is no such file). */
export function readHistory(loc: ModelLocation): HistoryRead {
  const { dir, history: file } = archivePaths(loc);
  if (!archiveFolder(dir) || !archiveFile(file)) return { entries: [], unreadable: [] };
  const out: HistoryRead = { entries: [], unreadable: [] };
  readRegularFile(file, { encoding: 'utf8' })
    .split('\n')
    .forEach((text, i) => {
      if (!text.trim()) return;
      let e: Partial<HistoryEntry> | undefined;
      try {
        e = JSON.parse(text) as Partial<HistoryEntry>;
      } catch {
        out.unreadable.push({ line: i + 1, reason: 'not JSON' });
        return;
      }
      const problem = historyProblem(e);
      if (problem === undefined) out.entries.push(e as HistoryEntry);
      else out.unreadable.push({ line: i + 1, reason: problem });
    });
  return out;
}

const MADE: readonly string[] = ['build', 'rules accept', 'rules promote', 'studio save', 'serve'];

/** Why a parsed history line is not an entry of this version, or undefined when it is one. */
function historyProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const e = value as Record<string, unknown>;
  if (e.v !== ARCHIVE_VERSION) return `v must be ${ARCHIVE_VERSION}, found ${JSON.stringify(e.v)}`;
  const text = (k: string, optional = false): string | undefined =>
    (optional && e[k] === undefined) || typeof e[k] === 'string' ? undefined : `${k} must be text`;
  const problem =
    text('time') ??
    text('model') ??
    text('by') ??
    text('reason', true) ??
    (typeof e.hash === 'string' && /^[0-9a-f]{64}$/.test(e.hash)
      ? undefined
      : 'hash must be 64 hex digits') ??
    (typeof e.made === 'string' && MADE.includes(e.made)
      ? undefined
      : `made must be one of ${MADE.join(', ')}`) ??
    (e.generation === undefined ||
    (typeof e.generation === 'string' && GENERATION.test(e.generation))
      ? undefined
      : 'generation must name a generation folder') ??
    (Number.isInteger(e.rules) && Number.isInteger(e.overrides)
      ? undefined
      : 'rules and overrides must be counts');
  if (problem) return problem;
  if (e.figures === undefined) return undefined;
  const f = e.figures as Record<string, unknown> | null;
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  return f !== null &&
    typeof f === 'object' &&
    typeof f.on === 'string' &&
    finite(f.records) &&
    finite(f.accuracy) &&
    finite(f.fidelity)
    ? undefined
    : 'figures must hold on, records, accuracy and fidelity';
}

/**
 * Find the rule set a reference names (`--from`, `--to`): a full hash or a prefix of at
 * least 6 hex digits of an archived one (or of `current`, the model's rule set now, when no
 * archived one has it), or a generation (the last rule set that came into
 * force with it). RULE_SET_NOT_FOUND (naming `field` and what there is) otherwise, also for
 * a prefix that names more than one.
 */
export function resolveRuleSetRef(
  loc: ModelLocation,
  given: string,
  field: string,
  current?: string,
): string {
  // Hex digits as a person may copy them, in capitals.
  const ref = /^[0-9A-Fa-f]+$/.test(given) ? given.toLowerCase() : given;
  const hashes = archivedHashes(loc);
  const history = readHistory(loc).entries;
  if (/^[0-9a-f]{6,64}$/.test(ref)) {
    let hits = hashes.filter((h) => h.startsWith(ref));
    // The model's rule set now, before it is archived (a service files it when it starts).
    if (hits.length === 0 && current?.startsWith(ref)) hits = [current];
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) {
      throw new NeurulesError(
        'RULE_SET_NOT_FOUND',
        `expected '${ref}' to name one archived rule set, found ${hits.length}: ${hits.map((h) => h.slice(0, 12)).join(', ')} (give more digits)`,
        { field },
      );
    }
  }
  const byGeneration = history.filter((e) => e.generation === ref).at(-1);
  if (byGeneration) return byGeneration.hash;
  const known = [...new Set(history.map((e) => e.hash.slice(0, 12)))].slice(-5);
  throw new NeurulesError(
    'RULE_SET_NOT_FOUND',
    `expected a rule-set hash (6 or more hex digits) or a generation of model '${loc.name}', found '${ref}'` +
      (known.length
        ? ` (the archive's latest: ${known.join(', ')}; see neurules history --model ${loc.name})`
        : ` (the archive of model '${loc.name}' is empty)`),
    { field },
  );
}

/** A history line with who made it and why, from `changes.jsonl` where it recorded the step. */
export interface HistoryItem extends HistoryEntry {
  /** The `changes.jsonl` entry of the step, when there is one. */
  change?: ChangeEntry;
}

/**
 * The model's history, oldest first: each history line with the `changes.jsonl` entry of
 * the same step (a studio save by the merged hash it made, `rules accept` by its
 * generation), whose author and reason are then the change's.
 */
export function modelHistory(loc: ModelLocation, changesFile: string): HistoryItem[] {
  const changes = readChanges(changesFile).entries;
  return readHistory(loc).entries.map((e) => {
    const change = changes.find((c) =>
      c.kind === 'overrides'
        ? (e.made === 'studio save' || e.made === 'serve') && c.after === e.hash
        : e.made === c.kind && c.generation === e.generation,
    );
    if (!change) return e;
    return {
      ...e,
      by: change.by,
      ...(change.reason !== undefined && { reason: change.reason }),
      change,
    };
  });
}

/**
 * What is at `file` in the archive, not following a link: undefined when nothing is there,
 * its stats when it is a regular file. Anything else (a symbolic link, a FIFO, a folder) is
 * NOT_A_REGULAR_FILE: the archive is never read or written through a link.
 */
function archiveFile(file: string): fs.Stats | undefined {
  const st = lstatQuietly(file);
  if (st && !st.isFile()) {
    throw new NeurulesError(
      'NOT_A_REGULAR_FILE',
      `expected ${file} to be a regular file of the rule-set archive, found ${kindOf(st)}`,
      { file },
    );
  }
  return st;
}

/**
 * Whether the model's archive folder is there; NOT_A_DIRECTORY when the path is a file, a
 * link or anything but a folder (the archive is never read or written through a link).
 */
function archiveFolder(dir: string): boolean {
  const st = lstatQuietly(dir);
  if (st && !st.isDirectory()) {
    throw new NeurulesError(
      'NOT_A_DIRECTORY',
      `expected the rule-set archive ${dir} to be a folder, found ${kindOf(st)}`,
      { file: dir },
    );
  }
  return st !== undefined;
}

function lstatQuietly(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

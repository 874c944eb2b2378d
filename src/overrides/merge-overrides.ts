import type { Schema } from '../data/types';
import { comparePlaces, type Issue, isNeurulesError, NeurulesError, type Result } from '../errors';
import {
  type ListedFile,
  listFolderFiles,
  listFolderFilesAsync,
  readRegularFile,
  readRegularFileAsync,
  type ReadRegularFileOptions,
} from '../files/regular-files';
import { DISTILLED_PRIORITY } from '../rules/compile-tree';
import { DECISION_EVENT, type NeurulesRule, type RuleSet } from '../rules/types';
import { type DeclaredId, type Override, OVERRIDE_LIMITS, parseOverrides } from './parse-overrides';

/** The files of an overrides folder that are read. */
const OVERRIDE_FILE = /\.ya?ml$/i;

/** What a safe load returns: the overrides, or every problem found. */
export type OverridesLoad = Result<Override[]>;

/**
 * How an override file is read: at its listed real path, never through a link put there
 * since (`noFollow`), named as listed. One byte over the size limit is enough for
 * parseOverrides to report OVERRIDE_LIMIT, so a huge file is never read whole.
 */
function readOptions(f: ListedFile): ReadRegularFileOptions & { encoding: 'utf8' } {
  return { noFollow: true, name: f.file, limit: OVERRIDE_LIMITS.maxBytes + 1, encoding: 'utf8' };
}

/**
 * Read every `*.yaml` / `*.yml` file of an overrides directory (in name order) and check
 * them together: every problem of every file, plus ids used twice across files
 * (DUPLICATE_ID). All files are valid or none is used. A missing directory means no
 * overrides. Only regular files are read, and symbolic links to regular files inside the
 * directory: `dir` being a file is NOT_A_DIRECTORY, an entry that is a FIFO, device,
 * socket or directory NOT_A_REGULAR_FILE, a link out of the directory OUTSIDE_FOLDER, a
 * dangling link FILE_NOT_FOUND, each naming the file. Nothing blocks on a FIFO.
 */
export function safeLoadOverrides(dir: string, schema: Schema): OverridesLoad {
  const listing = listFolderFiles(dir, OVERRIDE_FILE);
  const texts: OverrideText[] = [];
  const issues = [...listing.issues];
  for (const f of listing.files) {
    try {
      texts.push({ file: f.file, text: readRegularFile(f.open, readOptions(f)) });
    } catch (e) {
      if (!isNeurulesError(e)) throw e;
      issues.push(...e.issues);
    }
  }
  return checkOverrides(texts, issues, schema);
}

/**
 * {@link safeLoadOverrides} with `fs.promises`, for a running service: its reload never
 * waits on a file (a FIFO put in the folder cannot stall the event loop).
 */
export async function safeLoadOverridesAsync(dir: string, schema: Schema): Promise<OverridesLoad> {
  const listing = await listFolderFilesAsync(dir, OVERRIDE_FILE);
  const texts: OverrideText[] = [];
  const issues = [...listing.issues];
  for (const f of listing.files) {
    try {
      texts.push({ file: f.file, text: await readRegularFileAsync(f.open, readOptions(f)) });
    } catch (e) {
      if (!isNeurulesError(e)) throw e;
      issues.push(...e.issues);
    }
  }
  return checkOverrides(texts, issues, schema);
}

/** {@link safeLoadOverrides} that throws the problems as one NeurulesError. */
export function loadOverrides(dir: string, schema: Schema): Override[] {
  const r = safeLoadOverrides(dir, schema);
  if (!r.ok) throw NeurulesError.fromIssues(r.issues);
  return r.value;
}

/**
 * {@link safeLoadOverridesAsync} that throws the problems as one NeurulesError.
 *
 * @example
 * const overrides = await loadOverridesAsync('rules/german-credit/overrides', schema);
 */
export async function loadOverridesAsync(dir: string, schema: Schema): Promise<Override[]> {
  const r = await safeLoadOverridesAsync(dir, schema);
  if (!r.ok) throw NeurulesError.fromIssues(r.issues);
  return r.value;
}

/** An override file's name (as its problems name it) and text. */
export interface OverrideText {
  file: string;
  text: string;
}

/**
 * Check override files given as text (an editor's unsaved files), exactly as
 * {@link safeLoadOverrides} checks the files of a folder: every problem, and ids used twice
 * across files. `texts` in the order the loader would list them (by name).
 */
export function checkOverrideTexts(texts: readonly OverrideText[], schema: Schema): OverridesLoad {
  return checkOverrides([...texts], [], schema);
}

/** Parse the files read (in name order) and find ids used twice across them. */
function checkOverrides(texts: OverrideText[], issues: Issue[], schema: Schema): OverridesLoad {
  const overrides: Override[] = [];
  const declared: DeclaredId[] = [];
  for (const { file, text } of texts) {
    const parsed = parseOverrides(text, file, schema);
    issues.push(...parsed.issues);
    overrides.push(...parsed.overrides);
    declared.push(...parsed.declared);
  }
  // Every id written, valid entry or not: a duplicate is reported with the other problems.
  const seen = new Map<string, DeclaredId>();
  for (const d of declared) {
    const first = seen.get(d.id);
    if (first) {
      issues.push({
        code: 'DUPLICATE_ID',
        message: `override id '${d.id}' is already used at ${first.file}:${first.line}`,
        file: d.file,
        line: d.line,
        column: d.column,
        field: 'id',
      });
    } else seen.set(d.id, d);
  }
  return issues.length ? { ok: false, issues } : { ok: true, value: overrides };
}

/**
 * Overrides in the order they are tried: priority (highest first), then file, then
 * position. Files compare by code unit, as the loader lists them: the same on every
 * machine (`localeCompare` would follow the process locale and case rules).
 */
export function hitOrder(overrides: readonly Override[]): Override[] {
  return [...overrides].sort((a, b) => b.priority - a.priority || comparePlaces(a, b));
}

/**
 * The hit policy as one json-rules-engine rule set: overrides are ordered by their
 * priority (highest first), then by file and position; each gets its own json-rules-engine
 * priority above every distilled rule (which keep priority 1), in that order. So a plain
 * json-rules-engine run, taking the first event (the highest priority), decides by the
 * first matching override, and by the distilled rule when none matches.
 */
export function mergeOverrides(
  distilled: RuleSet,
  overrides: readonly Override[],
  schema: Schema,
): RuleSet {
  const ordered = hitOrder(overrides);
  const rules: NeurulesRule[] = ordered.map((o, rank) => {
    const probabilities: Record<string, number> = {};
    for (const c of schema.classes) probabilities[c] = c === o.class ? 1 : 0;
    return {
      name: o.id,
      priority: DISTILLED_PRIORITY + ordered.length - rank,
      conditions: o.conditions,
      event: {
        type: DECISION_EVENT,
        params: {
          ruleId: o.id,
          class: o.class,
          probabilities,
          support: 0,
          source: 'override',
          ...(o.reason !== undefined && { reason: o.reason }),
        },
      },
    };
  });
  return { ...distilled, rules: [...rules, ...distilled.rules] };
}

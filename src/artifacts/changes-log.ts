import * as fs from 'node:fs';
import * as os from 'node:os';
import { kindOf, readRegularFile } from '../files/regular-files';
import { NeurulesError } from '../errors';
import { writeFailure } from '../files/write-atomic';

/**
 * `RULES_DIR/NAME/changes.jsonl`: one JSON line per change a person made to what decides,
 * oldest first. Written by `rules accept` (a hand edit of the distilled rules), `rules
 * promote` (a challenger's rules) and by a studio save (override files). Every entry carries `v` (this format's version, 1), `time`
 * (ISO 8601), `kind` and `by` (`user@host`); lines written before `v` existed read as 1.
 * A studio save also names the `author` the studio was told (`by` stays the OS user), and an
 * approved proposal its `approvedBy`; older lines without them still read.
 */
export const CHANGES_VERSION = 1;

/** Held-out quality of the distilled rules before and after an edit. */
export interface EditImpact {
  /** What the records are (the build's held-out test split). */
  description: string;
  records: number;
  /** Records whose class the edit changes. */
  changed: number;
  accuracy: { before: number; after: number };
  fidelity: { before: number; after: number };
}

/** Rules named by id that an edit changed, added or removed, and whether it reordered them. */
export interface RuleChanges {
  changed: string[];
  added: string[];
  removed: string[];
  reordered: boolean;
}

/** Fields every entry has. */
interface EntryBase {
  /** The format's version. */
  v: typeof CHANGES_VERSION;
  time: string;
  /** Who made the change: `user@host` of the process that wrote it. */
  by: string;
}

/** `rules accept`: a hand edit of the distilled rule file, committed as a new generation. */
export interface RulesAcceptEntry extends EntryBase {
  kind: 'rules accept';
  model: string;
  /** The generation the accepted rules were committed with. */
  generation: string;
  /** The committed rules' hash before, and the accepted file's. */
  from: string;
  to: string;
  changes: RuleChanges;
  /** Why, as given to `rules accept --reason` (absent when none was given). */
  reason?: string;
  /** Absent for a model of the old single-folder layout, which keeps no committed copy. */
  impact?: EditImpact;
}

/**
 * `rules promote`: a challenger's rules (another model's, or an archived rule set) committed
 * as the model's distilled rules, as a new generation.
 */
export interface RulesPromoteEntry extends EntryBase {
  kind: 'rules promote';
  model: string;
  /** The generation the promoted rules were committed with. */
  generation: string;
  /** What was promoted: another model (by name), or a rule set of the archive (by hash). */
  promoted: { kind: 'model'; model: string } | { kind: 'archive'; hash: string };
  /** The distilled rules' hash before, and the promoted ones'. */
  from: string;
  to: string;
  /** The merged rule set's hash before, and after: the challenger's. */
  before: string;
  after: string;
  changes: RuleChanges;
  /** Why, as given to `rules promote --reason` (absent when none was given). */
  reason?: string;
  impact?: EditImpact;
}

/** A studio save of override files. */
export interface OverridesSaveEntry extends EntryBase {
  kind: 'overrides';
  reason: string;
  files: string[];
  /** Content hash of the merged rule set before and after the save. */
  before: string;
  after: string;
  /** Held-out decisions the save changes. */
  changed: number;
  /** Unified diff of every file saved. */
  diff: string;
  /** Who the studio was told made the change (absent in lines written before authors were asked). */
  author?: string;
  /** A four-eyes save: the approved proposal's id and who approved it. */
  proposal?: string;
  approvedBy?: string;
  /** A revert: the entry (0-based among the entries) whose version the files were set back to. */
  revertOf?: number;
  /** SHA-256 of each file as written (absent in older lines): a revert checks the disk by it. */
  hashes?: Record<string, string>;
}

/** One line of `changes.jsonl`. */
export type ChangeEntry = RulesAcceptEntry | RulesPromoteEntry | OverridesSaveEntry;

/** What {@link readChanges} read: the entries, and the lines it could not read, by number. */
export interface ChangesRead {
  entries: ChangeEntry[];
  /** Lines that are not an entry of this format (1-based), and why. */
  unreadable: { line: number; reason: string }[];
}

/**
 * Append one entry (its `v` and `time` filled in) to a `changes.jsonl`: one JSON line,
 * written in one call on a file opened for appending, then flushed to disk. A failure is
 * WRITE_FAILED naming the file.
 */
export function appendChange(
  file: string,
  entry: DistributiveOmit<ChangeEntry, 'v' | 'time'> & { time?: string },
): ChangeEntry {
  const full = { v: CHANGES_VERSION, time: new Date().toISOString(), ...entry } as ChangeEntry;
  appendJsonLine(file, full);
  return full;
}

/**
 * Append `value` as one JSON line to `file` (created when absent): written in one call on
 * a file opened for appending, then flushed to disk. WRITE_FAILED naming the file.
 */
export function appendJsonLine(file: string, value: unknown): void {
  // Appended to a regular file only, never through a link or into a FIFO.
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(file);
  } catch {
    st = undefined;
  }
  if (st && !st.isFile()) {
    throw new NeurulesError(
      'NOT_A_REGULAR_FILE',
      `expected ${file} to be a regular file to append to, found ${kindOf(st)}`,
      { file },
    );
  }
  try {
    const fd = fs.openSync(file, 'a');
    try {
      fs.writeSync(fd, JSON.stringify(value) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw writeFailure(e, file);
  }
}

/**
 * Every entry of a `changes.jsonl`, oldest first; none when there is no such file. A line
 * that is not JSON, or not an entry of a kind this version knows with the fields every entry
 * has, is not an entry: it is listed in `unreadable` with its number, never dropped silently.
 * A newer version's entry (`v` above this one's) is unreadable too, with that said.
 */
export function readChanges(file: string): ChangesRead {
  if (!fs.existsSync(file)) return { entries: [], unreadable: [] };
  const entries: ChangeEntry[] = [];
  const unreadable: ChangesRead['unreadable'] = [];
  readRegularFile(file, { encoding: 'utf8' })
    .split('\n')
    .forEach((text, i) => {
      if (!text.trim()) return;
      const line = i + 1;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        unreadable.push({ line, reason: 'not JSON' });
        return;
      }
      const reason = entryProblem(value);
      if (reason) unreadable.push({ line, reason });
      else entries.push({ ...(value as ChangeEntry), v: CHANGES_VERSION });
    });
  return { entries, unreadable };
}

/** Why a parsed line is not an entry, or undefined when it is one. */
function entryProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const e = value as Record<string, unknown>;
  const v = e.v ?? CHANGES_VERSION;
  if (v !== CHANGES_VERSION) {
    return typeof v === 'number' && v > CHANGES_VERSION
      ? `written by a newer version (v ${v}; this one reads v ${CHANGES_VERSION})`
      : `v must be ${CHANGES_VERSION}, found ${JSON.stringify(v)}`;
  }
  for (const field of ['time', 'by'] as const) {
    if (typeof e[field] !== 'string') return `${field} must be a string`;
  }
  switch (e.kind) {
    case 'rules accept':
      for (const field of ['model', 'generation', 'from', 'to'] as const) {
        if (typeof e[field] !== 'string') return `${field} must be a string`;
      }
      if (typeof e.changes !== 'object' || e.changes === null) return 'changes must be an object';
      return undefined;
    case 'rules promote': {
      for (const field of ['model', 'generation', 'from', 'to', 'before', 'after'] as const) {
        if (typeof e[field] !== 'string') return `${field} must be a string`;
      }
      if (typeof e.changes !== 'object' || e.changes === null) return 'changes must be an object';
      const p = e.promoted as Record<string, unknown> | null;
      const named =
        p !== null &&
        typeof p === 'object' &&
        ((p.kind === 'model' && typeof p.model === 'string') ||
          (p.kind === 'archive' && typeof p.hash === 'string'));
      return named ? undefined : 'promoted must name a model or an archived hash';
    }
    case 'overrides':
      for (const field of ['reason', 'before', 'after', 'diff'] as const) {
        if (typeof e[field] !== 'string') return `${field} must be a string`;
      }
      if (!Array.isArray(e.files)) return 'files must be a list';
      if (typeof e.changed !== 'number') return 'changed must be a number';
      for (const field of ['author', 'proposal', 'approvedBy'] as const) {
        if (e[field] !== undefined && typeof e[field] !== 'string') {
          return `${field} must be a string`;
        }
      }
      if (
        e.hashes !== undefined &&
        (typeof e.hashes !== 'object' ||
          e.hashes === null ||
          !Object.values(e.hashes).every((h) => typeof h === 'string'))
      ) {
        return 'hashes must be an object of file names to hashes';
      }
      if (e.revertOf !== undefined && !Number.isInteger(e.revertOf)) {
        return 'revertOf must be a whole number';
      }
      return undefined;
    default:
      return `kind must be 'rules accept', 'rules promote' or 'overrides', found ${JSON.stringify(e.kind)}`;
  }
}

/** Who makes a change: `user@host` of this process. */
export function changeAuthor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no user name (e.g. a uid without a passwd entry)
  }
  return `${user}@${os.hostname()}`;
}

/** The longest author name a change records. */
export const AUTHOR_MAX_LENGTH = 100;

/**
 * The author name of a change, trimmed: one line of 1 to {@link AUTHOR_MAX_LENGTH}
 * characters without control or format characters (a line break, U+202E), so the history
 * shows it as given. INVALID_ARGUMENT at `field` otherwise.
 */
export function checkAuthor(text: string, field = 'author'): string {
  const name = text.trim();
  const bad = /[\p{Cc}\p{Cf}\u2028\u2029]/u.exec(name);
  if (name === '' || name.length > AUTHOR_MAX_LENGTH || bad) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected ${field} to be one line of 1 to ${AUTHOR_MAX_LENGTH} characters without control characters, found ${
        bad
          ? `U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at ${bad.index + 1}`
          : `${name.length} characters`
      }`,
      { field },
    );
  }
  return name;
}

/** The reason of a change, trimmed: one line, not empty (INVALID_ARGUMENT, field `reason`). */
export function checkReason(reason: string): string {
  if (!reason.trim() || /[\r\n\u2028\u2029]/.test(reason)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected a one-line reason for the change, found ${reason.trim() ? 'several lines' : 'none'}`,
      { field: 'reason' },
    );
  }
  return reason.trim();
}

/** `Omit` over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

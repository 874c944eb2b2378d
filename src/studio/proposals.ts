import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { applyPatch, createTwoFilesPatch, parsePatch, reversePatch } from 'diff';
import { type ChangeEntry, checkAuthor, checkReason } from '../artifacts/changes-log';
import { lockModel } from '../artifacts/model-lock';
import { modelPaths } from '../artifacts/model-store';
import type { ModelLocation } from '../artifacts/types';
import { parseArtifact } from '../artifacts/read-artifact';
import { NeurulesError } from '../errors';
import { readRegularFile } from '../files/regular-files';
import { writeFileAtomic } from '../files/write-atomic';
import { sha256 } from './check';
import { OVERRIDE_FILE_NAME } from './override-file-name';
import type {
  ProposalImpact,
  SavedFile,
  StudioFile,
  StudioProposal,
  StudioProposals,
} from './contract';

export type { StudioProposal, StudioProposals } from './contract';

/** The version of `neurules.override-proposal` this code writes and reads. */
export const PROPOSAL_VERSION = 1;

/** A proposal id: the time it was made and a random tail (`20261207-201500-1a2b3c`). */
const PROPOSAL_ID = /^\d{8}-\d{6}-[0-9a-f]{6}$/;

/** `RULES_DIR/NAME/proposals`, beside `overrides/`. */
export function proposalsDir(overridesDir: string): string {
  return path.join(path.dirname(overridesDir), 'proposals');
}

/** A new proposal id, unique within a folder by its random tail. */
function newProposalId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * The unified diff of each file from `before` (absent: a new file) to its new text, each
 * headed by `label(name)` (a proposal names the file; a save's history line, its path).
 */
export function filesDiff(
  before: ReadonlyMap<string, string>,
  files: readonly StudioFile[],
  label: (name: string) => string = (name) => name,
): string {
  return files
    .map((f) => {
      const name = label(f.name);
      return createTwoFilesPatch(name, name, before.get(f.name) ?? '', f.text, '', '');
    })
    .join('');
}

/** What {@link makeProposal} needs: the change, who makes it, and the folder it is made on. */
export interface ProposalInput {
  model: string;
  author: string;
  reason: string;
  /** The proposed texts (only files whose text changes). */
  files: readonly StudioFile[];
  /** The override files on disk when it is made. */
  disk: readonly SavedFile[];
  impact: ProposalImpact | null;
  revertOf?: number;
  now?: Date;
}

/** A pending proposal of `files`, based on the files on `disk`. */
export function makeProposal(input: ProposalInput): StudioProposal {
  const now = input.now ?? new Date();
  const onDisk = new Map(input.disk.filter((f) => f.hash !== null).map((f) => [f.name, f]));
  return {
    format: 'neurules.override-proposal',
    version: PROPOSAL_VERSION,
    id: newProposalId(now),
    model: input.model,
    created: now.toISOString(),
    author: input.author,
    reason: input.reason,
    status: 'pending',
    base: input.files.map((f) => ({ name: f.name, hash: onDisk.get(f.name)?.hash ?? null })),
    files: input.files.map(({ name, text }) => ({ name, text })),
    diff: filesDiff(new Map([...onDisk].map(([name, f]) => [name, f.text])), input.files),
    impact: input.impact,
    ...(input.revertOf !== undefined && { revertOf: input.revertOf }),
  };
}

/** Write a proposal to `DIR/ID.json` atomically (the folder made when absent). */
export function writeProposal(dir: string, proposal: StudioProposal): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${proposal.id}.json`);
  writeFileAtomic(file, JSON.stringify(proposal, null, 2) + '\n');
  return file;
}

/**
 * The proposal `id` of `dir`: PROPOSAL_NOT_FOUND (field `id`) for an id that is not one or a
 * file that is not there; the artifact's own codes (FOREIGN_FORMAT, NEWER_FORMAT,
 * INVALID_ARTIFACT) for a file that is not a proposal of this version.
 */
export function readProposal(dir: string, id: string): StudioProposal {
  const file = path.join(dir, `${id}.json`);
  if (!PROPOSAL_ID.test(id) || !fs.existsSync(file)) {
    throw new NeurulesError(
      'PROPOSAL_NOT_FOUND',
      `expected the id of a proposal in ${dir} (like 20261207-201500-1a2b3c), found '${id}'`,
      { field: 'id' },
    );
  }
  const text = readRegularFile(file, { encoding: 'utf8', missingCode: 'PROPOSAL_NOT_FOUND' });
  const proposal = parseArtifact<StudioProposal>(
    text,
    file,
    'neurules.override-proposal',
    PROPOSAL_VERSION,
  );
  const problem = proposalProblem(proposal);
  if (problem || proposal.id !== id) {
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      `${file}: ${problem ?? `its id is '${proposal.id}', not the file's name`}`,
      { file },
    );
  }
  return proposal;
}

/** What is wrong with a parsed proposal's fields, or undefined. */
function proposalProblem(p: StudioProposal): string | undefined {
  for (const field of ['id', 'model', 'created', 'author', 'reason', 'diff'] as const) {
    if (typeof p[field] !== 'string') return `${field} must be a string`;
  }
  if (!['pending', 'approved', 'rejected'].includes(p.status)) {
    return `status must be pending, approved or rejected, found ${JSON.stringify(p.status)}`;
  }
  const isFile = (f: unknown): f is StudioFile =>
    !!f && typeof (f as StudioFile).name === 'string' && typeof (f as StudioFile).text === 'string';
  if (!Array.isArray(p.files) || p.files.length === 0 || !p.files.every(isFile)) {
    return 'files must be a non-empty list of { name, text }';
  }
  // A proposal is written into overrides/ when approved: only plain names inside it.
  const bad = [...p.files, ...(Array.isArray(p.base) ? p.base : [])].find(
    (f) => typeof f?.name === 'string' && !OVERRIDE_FILE_NAME.test(f.name),
  );
  if (bad) return `'${bad.name}' is not a plain override file name (NAME.yaml)`;
  if (
    !Array.isArray(p.base) ||
    !p.base.every(
      (b) => typeof b?.name === 'string' && (b.hash === null || typeof b.hash === 'string'),
    )
  ) {
    return 'base must be a list of { name, hash }';
  }
  return undefined;
}

/**
 * Every proposal of `dir`, newest first; a file that is not one is listed in `unreadable`
 * with its code, never dropped silently. No folder: none.
 */
export function listProposals(dir: string): StudioProposals {
  if (!fs.existsSync(dir)) return { proposals: [], unreadable: [] };
  const proposals: StudioProposal[] = [];
  const unreadable: StudioProposals['unreadable'] = [];
  for (const name of fs.readdirSync(dir).sort().reverse()) {
    if (!name.endsWith('.json')) continue;
    try {
      proposals.push(readProposal(dir, name.slice(0, -'.json'.length)));
    } catch (e) {
      if (!(e instanceof NeurulesError)) throw e;
      unreadable.push({ file: path.join(dir, name), code: e.code, message: e.message });
    }
  }
  return { proposals, unreadable };
}

/** The checked author of a review step: AUTHOR_REQUIRED (field `author`) when none is given. */
export function requiredAuthor(author: string | undefined): string {
  if (author === undefined || author.trim() === '') {
    throw new NeurulesError(
      'AUTHOR_REQUIRED',
      'expected the name of the author of this change, found none',
      { field: 'author' },
    );
  }
  return checkAuthor(author);
}

/**
 * Reject proposal `id` of a model as `author` with a one-line reason, under the model's
 * lock: it stays in `proposals/` as rejected; nothing in `overrides/` changes. No network is
 * needed. PROPOSAL_CLOSED when it was decided already.
 */
export function rejectProposal(
  loc: ModelLocation,
  id: string,
  author: string,
  reason: string,
): StudioProposal {
  const who = requiredAuthor(author);
  const why = checkReason(reason);
  const paths = modelPaths(loc);
  const dir = proposalsDir(paths.overrides);
  readProposal(dir, id);
  const lock = lockModel(paths.dir, 'reject a proposal');
  try {
    const proposal = readProposal(dir, id);
    assertPending(proposal);
    const rejected: StudioProposal = {
      ...proposal,
      status: 'rejected',
      decision: { by: who, time: new Date().toISOString(), reason: why },
    };
    writeProposal(dir, rejected);
    return rejected;
  } finally {
    lock.release();
  }
}

/** PROPOSAL_CLOSED unless the proposal is still pending. */
export function assertPending(p: StudioProposal): void {
  if (p.status !== 'pending') {
    throw new NeurulesError(
      'PROPOSAL_CLOSED',
      `expected a pending proposal, found proposal ${p.id} ${p.status} by ${p.decision?.by ?? 'someone'}`,
      { field: 'id' },
    );
  }
}

/** SELF_APPROVAL when the approver is the proposal's author (names compared case-insensitively). */
export function assertSecondAuthor(p: StudioProposal, approver: string): void {
  if (p.author.toLocaleLowerCase() === approver.toLocaleLowerCase()) {
    throw new NeurulesError(
      'SELF_APPROVAL',
      `proposal ${p.id} was made by ${p.author}; another author must approve it`,
      { field: 'author' },
    );
  }
}

/** The base files whose hash on disk is no longer the one the proposal was made on. */
export function changedBase(p: StudioProposal, disk: readonly SavedFile[]): string[] {
  const now = new Map(disk.filter((f) => f.hash !== null).map((f) => [f.name, f.hash]));
  return p.base.filter((b) => (now.get(b.name) ?? null) !== b.hash).map((b) => b.name);
}

/** PROPOSAL_STALE (file: the first changed one) when a base file changed on disk. */
export function assertCurrentBase(
  p: StudioProposal,
  disk: readonly SavedFile[],
  dir: string,
): void {
  const changed = changedBase(p, disk);
  if (changed.length) {
    throw new NeurulesError(
      'PROPOSAL_STALE',
      `proposal ${p.id} was made on other versions of ${changed.join(', ')}; rebase it first (neurules rules proposals --rebase ${p.id})`,
      { file: path.join(dir, changed[0]!) },
    );
  }
}

/**
 * The proposal's texts re-based on the files as they are now: each file whose base changed
 * gets the proposal's own change (its hunks of {@link StudioProposal.diff}) applied to its
 * current text. A patch applies only where its context lines are found unchanged (they may
 * have moved), which is the three-way merge of base, current and proposed for changes that
 * do not touch the same lines; where they do, REBASE_CONFLICT names the file.
 */
export function rebaseTexts(
  p: StudioProposal,
  disk: readonly SavedFile[],
  dir: string,
): StudioFile[] {
  const changed = new Set(changedBase(p, disk));
  const now = new Map(disk.filter((f) => f.hash !== null).map((f) => [f.name, f.text]));
  const patches = new Map(parsePatch(p.diff).map((d) => [d.oldFileName ?? '', d]));
  return p.files.map((f) => {
    if (!changed.has(f.name)) return f;
    const patch = patches.get(f.name);
    const text = patch ? applyPatch(now.get(f.name) ?? '', patch) : false;
    if (text === false) {
      throw new NeurulesError(
        'REBASE_CONFLICT',
        `proposal ${p.id} changes lines of ${f.name} that changed since it was made; make the proposal again on the current file`,
        { file: path.join(dir, f.name) },
      );
    }
    return { name: f.name, text };
  });
}

/**
 * The override files as they were right after history entry `index` (0-based): the files on
 * disk, with every later studio save's diff reversed, newest first. Only the files a later
 * save touched are returned (name → text). The diffs already in `changes.jsonl` are enough,
 * for saves made before this code too, and no second copy of each version is kept.
 * REVERT_IMPOSSIBLE (file) when a file on disk is not what the last save of it wrote (changed
 * outside the studio: its hash, for entries that record one, or a diff that no longer
 * applies), or when a later save has no diff.
 */
export function versionAfter(
  entries: readonly ChangeEntry[],
  index: number,
  disk: readonly SavedFile[],
  dir: string,
): Map<string, string> {
  if (!Number.isInteger(index) || index < 0 || index >= entries.length) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected entry to be a history entry from 0 to ${entries.length - 1}, found ${index}`,
      { field: 'entry' },
    );
  }
  const texts = new Map(disk.filter((f) => f.hash !== null).map((f) => [f.name, f.text]));
  const impossible = (name: string, why: string) =>
    new NeurulesError(
      'REVERT_IMPOSSIBLE',
      `cannot recover ${name} as it was after entry ${index}: ${why}`,
      { file: path.join(dir, name) },
    );
  // The last save of each file must have left it as it is now.
  const checked = new Set<string>();
  for (let j = entries.length - 1; j > index; j--) {
    const e = entries[j]!;
    if (e.kind !== 'overrides') continue;
    for (const name of e.files) {
      if (checked.has(name)) continue;
      checked.add(name);
      const expected = e.hashes?.[name];
      if (expected !== undefined && sha256(texts.get(name) ?? '') !== expected) {
        throw impossible(name, `it changed outside the studio since entry ${j}`);
      }
    }
  }
  const out = new Map<string, string>();
  for (let j = entries.length - 1; j > index; j--) {
    const e = entries[j]!;
    if (e.kind !== 'overrides') continue;
    if (e.files.length > 0 && !e.diff) throw impossible(e.files[0]!, `entry ${j} has no diff`);
    for (const patch of parsePatch(e.diff)) {
      if (patch.hunks.length === 0) continue;
      const name = path.basename(patch.oldFileName ?? '');
      const back = applyPatch(texts.get(name) ?? '', reversePatch(patch));
      if (back === false) {
        throw impossible(
          name,
          `entry ${j}'s diff does not apply to it (changed outside the studio)`,
        );
      }
      texts.set(name, back);
      out.set(name, back);
    }
  }
  return out;
}

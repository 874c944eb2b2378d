import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelPaths } from '../artifacts/model-store';
import {
  archivePaths,
  type HistoryItem,
  modelHistory,
  readArchivedRuleSet,
  readHistory,
} from '../artifacts/rule-archive';
import type { ModelLocation } from '../artifacts/types';
import { isNeurulesError, NeurulesError } from '../errors';
import { formatTime } from '../report/format-figures';
import { openModel } from './open-model';

/** One rule set that came into force, as `neurules history` lists it. */
export interface HistoryRow extends HistoryItem {
  /** It is the rule set the model's files make now. */
  current: boolean;
  /** Its generation folder is still there (the network that made it can be loaded). */
  generationKept: boolean;
}

/** What `neurules history` reports. */
export interface HistoryReport {
  model: string;
  /** The archive's folder. */
  archive: string;
  /** Every time a rule set came into force, oldest first. */
  entries: HistoryRow[];
  /**
   * The rule set the model's files make now: its hash, and whether the archive holds it
   * (it is filed by the next `serve` when not). Absent, with `currentProblem`, when the
   * model's files do not open.
   */
  current?: { hash: string; archived: boolean };
  currentProblem?: string;
  /** History lines that could not be read, by number. */
  unreadable: { line: number; reason: string }[];
}

/**
 * The history of a model's rule sets: every rule set that came into force, with when,
 * what made it, who and why (from `changes.jsonl` where the step recorded itself) and its
 * held-out figures. Every archived rule set it names is read and checked against its hash
 * (ARCHIVE_MODIFIED when one does not match); a history line whose rule set is missing
 * from the archive is RULE_SET_NOT_FOUND. The current rule set is the model's, opened as
 * every command opens it but without a network; when it does not open, the history is
 * still listed, with the reason.
 */
export async function historyReport(loc: ModelLocation): Promise<HistoryReport> {
  const p = archivePaths(loc);
  const items = modelHistory(loc, modelPaths(loc).changes);
  for (const hash of new Set(items.map((e) => e.hash))) {
    if (!readArchivedRuleSet(loc, hash)) {
      throw new NeurulesError(
        'RULE_SET_NOT_FOUND',
        `${p.history} names rule set ${hash.slice(0, 12)}…, but ${path.join(p.dir, `${hash}.json`)} is not there`,
        { file: p.history },
      );
    }
  }
  let current: HistoryReport['current'];
  let currentProblem: string | undefined;
  try {
    // The rules alone: a model with perception concepts opens no network for this.
    const { ruleSetHash: hash } = await openModel(loc, { front: false });
    current = { hash, archived: readArchivedRuleSet(loc, hash) !== undefined };
  } catch (e) {
    if (!isNeurulesError(e) || e.code === 'ARCHIVE_MODIFIED') throw e;
    currentProblem = `${e.code} ${e.message}`;
  }
  const modelDir = modelPaths(loc).dir;
  const lastOfCurrent = current && items.map((e) => e.hash).lastIndexOf(current.hash);
  return {
    model: loc.name,
    archive: p.dir,
    entries: items.map((e, i) => ({
      ...e,
      current: i === lastOfCurrent,
      generationKept:
        e.generation !== undefined && fs.existsSync(path.join(modelDir, e.generation)),
    })),
    ...(current && { current }),
    ...(currentProblem !== undefined && { currentProblem }),
    unreadable: readHistory(loc).unreadable,
  };
}

/** `neurules history`'s table, line by line. */
export function formatHistory(r: HistoryReport): string[] {
  const lines = [
    `history of model '${r.model}' (${r.archive}): ${r.entries.length} step(s) put a rule set in force (${new Set(r.entries.map((e) => e.hash)).size} distinct), oldest first`,
  ];
  const figure = (x: number | undefined): string => (x === undefined ? '—' : x.toFixed(3));
  const rows = r.entries.map((e) => [
    e.current ? '*' : ' ',
    formatTime(e.time),
    e.hash.slice(0, 12),
    e.made,
    e.generation === undefined ? '—' : `${e.generation}${e.generationKept ? '' : ' (pruned)'}`,
    e.by,
    String(e.rules),
    String(e.overrides),
    figure(e.figures?.accuracy),
    figure(e.figures?.fidelity),
    e.reason === undefined ? '' : JSON.stringify(e.reason),
  ]);
  const head = [
    ' ',
    'time',
    'rule set',
    'made by',
    'generation',
    'author',
    'rules',
    'overrides',
    'accuracy',
    'fidelity',
    'reason',
  ];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const right = new Set([6, 7, 8, 9]);
  for (const row of [head, ...rows]) {
    lines.push(
      row
        .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    );
  }
  if (r.current && !r.current.archived) {
    lines.push(
      `the rule set the model's files make now (${r.current.hash.slice(0, 12)}) is not archived yet: the overrides were changed outside the studio; neurules serve files it when it starts`,
    );
  } else if (r.current) {
    lines.push(`* in force now (${r.current.hash.slice(0, 12)})`);
  }
  if (r.currentProblem) lines.push(`the model's files do not open now: ${r.currentProblem}`);
  const measured = r.entries.find((e) => e.figures)?.figures;
  if (measured)
    lines.push(
      `accuracy and fidelity on the ${measured.on} (${measured.records} records) when each came into force`,
    );
  for (const u of r.unreadable) lines.push(`history line ${u.line} not read: ${u.reason}`);
  return lines;
}

import * as path from 'node:path';
import { loadModel, modelPaths } from '../artifacts/model-store';
import type { ModelLocation } from '../artifacts/types';
import { comparePlaces, formatIssue, type Issue } from '../errors';
import { lintOverrides, type LintFinding } from '../overrides/lint-overrides';
import { safeLoadOverrides } from '../overrides/merge-overrides';
import { loadModelData } from './open-dataset';

/** What {@link lintModelOverrides} found: the shape `neurules rules lint --json` prints. */
export interface OverridesLint {
  /** No validation problem and no conflict: the overrides can be applied. */
  ok: boolean;
  /** The overrides folder (`RULES_DIR/NAME/overrides`). */
  dir: string;
  /** Overrides read (absent when the files have validation problems). */
  overrides?: number;
  /** The records dead overrides were judged on (absent when validation failed). */
  judgedOn?: { records: number; source: 'split' | 'file'; file: string };
  /** Validation problems, in file order; when there are any, nothing else is analysed. */
  problems: Issue[];
  /** Conflicts (errors), shadowed, dead and redundant overrides (warnings), in file order. */
  findings: LintFinding[];
}

/**
 * Check a model's override files: first every validation problem, in file order; when
 * there are none, the analysis of the overrides on exact rule regions (conflicts,
 * shadowed, dead and redundant overrides). Dead overrides are judged on the build's
 * training split, or on `options.data` (every record of a labelled file).
 *
 * @example
 * const lint = lintModelOverrides({ modelsDir: 'models', rulesDir: 'rules', name: 'german-credit' });
 * formatLint(lint).join('\n');
 */
export function lintModelOverrides(
  loc: ModelLocation,
  options: { data?: string } = {},
): OverridesLint {
  // One open: every file is read and hashed once.
  const { schema, ruleSet: distilled } = loadModel(loc);
  const dir = path.join(modelPaths(loc).rulesDir, 'overrides');
  const loaded = safeLoadOverrides(dir, schema);
  if (!loaded.ok) {
    return { ok: false, dir, problems: [...loaded.issues].sort(comparePlaces), findings: [] };
  }
  const data = loadModelData(loc, options.data !== undefined ? { data: options.data } : {});
  const records = data.source === 'split' ? data.train.records : data.test.records;
  const findings = lintOverrides({
    overrides: loaded.value,
    distilled,
    schema,
    records,
    recordsLabel: data.source === 'split' ? 'training records' : `records of ${data.file}`,
  });
  return {
    ok: !findings.some((f) => f.severity === 'error'),
    dir,
    overrides: loaded.value.length,
    judgedOn: { records: records.length, source: data.source, file: data.file },
    problems: [],
    findings,
  };
}

/** Conflicts among the findings (errors). */
export function lintErrors(lint: OverridesLint): number {
  return lint.findings.filter((f) => f.severity === 'error').length;
}

/**
 * The lines `neurules rules lint` prints: each problem or finding as
 * `FILE:LINE:COLUMN CODE message` (a finding's example record below it), then, when the
 * files were valid, a summary line.
 */
export function formatLint(lint: OverridesLint): string[] {
  if (lint.problems.length > 0) return lint.problems.map(formatIssue);
  const lines: string[] = [];
  for (const f of lint.findings) {
    lines.push(formatIssue(f));
    if (f.example) lines.push(`  example: ${JSON.stringify(f.example)}`);
  }
  const errors = lintErrors(lint);
  const on = lint.judgedOn!;
  lines.push(
    `rules lint: ${lint.overrides} overrides in ${lint.dir}; ${errors} error(s), ${lint.findings.length - errors} warning(s); judged on ${on.records} records (${on.source === 'split' ? 'training split' : on.file})`,
  );
  return lines;
}

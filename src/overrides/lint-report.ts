import { formatIssue, type Issue } from '../errors';
import type { LintFinding } from './lint-overrides';

/**
 * What the overrides lint of a model found (`lintModelOverrides` in the pipeline, and the
 * studio's checks): the shape `neurules rules lint --json` prints.
 */
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
  /**
   * Conflicts (errors); shadowed, dead and redundant overrides and suspicious values
   * (warnings), in file order.
   */
  findings: LintFinding[];
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

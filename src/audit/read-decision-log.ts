import { logLines, shadowProblem } from './log-lines';
import type { DecisionLogEntry, ShadowDecision } from './decision-log';

/** A decision read from a log: what the audit uses of it, and its line. */
export type LogEntryRead = Pick<DecisionLogEntry, 'time' | 'ruleSet' | 'ruleId' | 'class'> &
  Partial<Pick<DecisionLogEntry, 'requestId' | 'shadow'>> & { line: number };

/** The usable lines of a decision log, and what was left out. */
export interface DecisionLogRead {
  file: string;
  entries: LogEntryRead[];
  /**
   * Lines that are not JSON objects with a time, rule set, rule id and class, or whose
   * `shadow` (`serve --shadow`) is not a challenger's decision or error.
   */
  badLines: number[];
  /** Entries written by another rule set (another hash). */
  otherRuleSets: number;
}

/**
 * Read a decision log written by `neurules serve --decision-log`, keeping the entries of
 * one rule set (by its hash). A damaged line (a crash mid-write, a foreign line) is
 * skipped and counted, not fatal: a log is evidence to report on, not an input to refuse.
 * The file is read a line at a time (memory holds the entries kept, not the file).
 */
export async function readDecisionLog(file: string, ruleSetHash: string): Promise<DecisionLogRead> {
  const out: DecisionLogRead = { file, entries: [], badLines: [], otherRuleSets: 0 };
  for await (const { line, text } of logLines(file)) {
    let e: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        e = parsed as Record<string, unknown>;
    } catch {
      e = null;
    }
    const ok =
      e &&
      typeof e.time === 'string' &&
      !Number.isNaN(Date.parse(e.time)) &&
      typeof e.ruleSet === 'string' &&
      typeof e.ruleId === 'string' &&
      typeof e.class === 'string' &&
      (e.shadow === undefined || shadowProblem(e.shadow) === undefined);
    if (!ok) {
      out.badLines.push(line);
      continue;
    }
    if (e!.ruleSet !== ruleSetHash) {
      out.otherRuleSets++;
      continue;
    }
    out.entries.push({
      line,
      time: e!.time as string,
      ruleSet: e!.ruleSet as string,
      ruleId: e!.ruleId as string,
      class: e!.class as string,
      ...(typeof e!.requestId === 'string' && { requestId: e!.requestId }),
      ...(e!.shadow !== undefined && { shadow: e!.shadow as ShadowDecision }),
    });
  }
  return out;
}

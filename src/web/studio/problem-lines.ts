/**
 * The lines of the problems list: each problem one line, as `neurules rules lint` prints it
 * (`FILE:LINE:COLUMN CODE message`), errors first, then warnings, each in file order, then
 * lint's summary; a line made here for any problem the CLI's text lacks, so every problem
 * has its line and code. A finding's example record is not lint's JSON line but a table of
 * the features its override reads, the others folded ({@link exampleRows}).
 * No DOM: tested in node (test/web/).
 */
import type { StudioProblem } from '../../studio/contract';

/** One line of the list: its text, its kind, and the problem it shows (none: a summary). */
export interface ProblemLine {
  text: string;
  kind: 'error' | 'warning' | 'summary';
  code?: string;
  problem?: StudioProblem;
  /** Lint's lines below this one that the page does not show otherwise (indented). */
  details: string[];
}

/** The problems list for a check's problems and findings and its lint lines. */
export function problemLines(
  problems: readonly StudioProblem[],
  lintLines: readonly string[],
  folder?: string,
): ProblemLine[] {
  // A file by its name, as the tabs show it: the folder is said once, in lint's summary.
  const short = (text: string): string => (folder ? text.split(`${folder}/`).join('') : text);
  const placeOf = (p: StudioProblem): string =>
    p.file !== null && p.line !== null ? `${p.file}:${p.line}:${p.column ?? 1} ` : '';
  const matched = new Set<StudioProblem>();
  const shown: ProblemLine[] = [];
  const summary: ProblemLine[] = [];
  let last: ProblemLine | undefined;
  for (const text of lintLines) {
    if (/^\s/.test(text) && last) {
      // lint's `example:` line: the problem's example, shown as a table instead.
      if (!last.problem?.example) last.details.push(text);
      continue;
    }
    const problem = problems.find(
      (p) =>
        !matched.has(p) &&
        text.includes(`${placeOf(p)}${p.code} `) &&
        (placeOf(p) === '' || text.startsWith(placeOf(p)) || text.includes(`/${placeOf(p)}`)),
    );
    if (problem) {
      matched.add(problem);
      last = {
        text: short(text),
        kind: problem.severity,
        code: problem.code,
        problem,
        details: [],
      };
      shown.push(last);
    } else {
      last = { text, kind: 'summary', details: [] };
      summary.push(last);
    }
  }
  for (const p of problems) {
    if (!matched.has(p)) {
      shown.push({
        text: `${placeOf(p)}${p.code} ${p.message}`,
        kind: p.severity,
        code: p.code,
        problem: p,
        details: [],
      });
    }
  }
  // A stable sort: within errors and within warnings, lint's (file) order stays.
  const rank = (l: ProblemLine) => (l.kind === 'error' ? 0 : 1);
  return [...shown.sort((a, b) => rank(a) - rank(b)), ...summary];
}

/** A feature of an example record and its value as shown (`missing` for none). */
export interface ExampleRow {
  feature: string;
  value: string;
}

/**
 * A finding's example record as table rows: the features its override reads (in the order
 * the override writes them), and the rest of the record, folded on the page.
 */
export function exampleRows(
  problem: StudioProblem,
): { read: ExampleRow[]; rest: ExampleRow[] } | null {
  const example = problem.example;
  if (!example) return null;
  const fields = problem.fields ?? [];
  const row = (feature: string): ExampleRow => {
    const v = example[feature];
    return { feature, value: v === null || v === undefined ? 'missing' : String(v) };
  };
  return {
    read: fields.filter((f) => f in example).map(row),
    rest: Object.keys(example)
      .filter((f) => !fields.includes(f))
      .map(row),
  };
}

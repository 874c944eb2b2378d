/**
 * The lines of the problems list: exactly what `neurules rules lint` prints (each problem's
 * line classed by its severity, its `example:` line and the summary after it), then a line
 * made here for any problem the CLI's text lacks, so every problem has its line and code.
 * No DOM: tested in node (test/web/).
 */
import type { StudioProblem } from '../../studio/contract';

/** One line of the list: its text, its kind (a severity, `detail` or `summary`), its code. */
export interface ProblemLine {
  text: string;
  kind: string;
  code?: string;
}

/** The problems list for a check's problems and findings and its lint lines. */
export function problemLines(
  problems: readonly StudioProblem[],
  lintLines: readonly string[],
): ProblemLine[] {
  const placeOf = (p: StudioProblem): string =>
    p.file !== null && p.line !== null ? `${p.file}:${p.line}:${p.column ?? 1} ` : '';
  const matched = new Set<StudioProblem>();
  const out: ProblemLine[] = lintLines.map((text) => {
    const problem = problems.find(
      (p) =>
        !matched.has(p) &&
        text.includes(`${placeOf(p)}${p.code} `) &&
        (placeOf(p) === '' || text.startsWith(placeOf(p)) || text.includes(`/${placeOf(p)}`)),
    );
    if (problem) {
      matched.add(problem);
      return { text, kind: problem.severity, code: problem.code };
    }
    return { text, kind: /^\s/.test(text) ? 'detail' : 'summary' };
  });
  for (const p of problems) {
    if (!matched.has(p))
      out.push({ text: `${placeOf(p)}${p.code} ${p.message}`, kind: p.severity, code: p.code });
  }
  return out;
}

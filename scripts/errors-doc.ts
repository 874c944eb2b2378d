/**
 * `docs/errors.md`, generated from the error catalogue (`ERROR_CATALOGUE` in src/errors.ts).
 *
 *   npm run docs:errors   # rewrites docs/errors.md (run from the repository root)
 *
 * test/docs/errors-doc.test.ts fails when the file and the catalogue differ.
 */
import * as path from 'node:path';
import { ERROR_AREAS, ERROR_CATALOGUE, type ErrorEntry } from '../src/errors';
import { writeFileAtomic } from '../src/files/write-atomic';

/** Where the generated page lives, relative to the repository root. */
export const ERRORS_DOC = path.join('docs', 'errors.md');

const INTRO = `<!-- Generated from ERROR_CATALOGUE in src/errors.ts by scripts/errors-doc.ts. Do not edit: run \`npm run docs:errors\`. -->

# Error codes

Every error neurules reports is a \`NeurulesError\` with a \`code\` from the catalogue below
and, where there is one, a place: \`file\`, \`line\`, \`column\` (1-based) or \`field\` (a
feature, column or option name, or where in a rule set, override or record, as
\`rules[3].priority\`); where it is a place in a structured input, \`path\` holds the same
place as keys and indexes (\`["rules", 3, "priority"]\`), as zod's issues do. Problems in
one input are collected and reported together;
each carries its own code and place. The message says what was expected and what was found;
tests check codes and places, never the wording.

- **CLI**: each problem is one line on standard error, \`error FILE:LINE:COLUMN CODE message\`
  (the parts of the place that are unknown are left out; a field is shown as \`[field]\`),
  sometimes followed by a \`hint: ...\` line naming the option that helps; the exit code is 2.
  An unexpected failure (a bug) exits 1. See [the CLI](cli.md).
- **\`neurules rules lint\`** prints validation problems and findings on standard output as
  \`FILE:LINE:COLUMN CODE message\`, without the \`error\` prefix. See [overrides](overrides.md).
- **HTTP service**: errors are \`application/problem+json\` bodies
  \`{ error: CODE, message, issues? }\` with the HTTP status in the tables below; \`issues\`
  lists each problem with its own \`code\`. See [the HTTP service](http.md).
- **Library**: functions throw the \`NeurulesError\`; \`safe...\` variants (\`safeLoadOverrides\`,
  \`safeCompileRuleSet\`) return a \`Result\` instead: \`{ ok: true, value }\` or
  \`{ ok: false, issues }\`.
`;

/** A Markdown table, aligned the way Prettier aligns it. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** The text of `docs/errors.md`: an introduction, then one section per area of the catalogue. */
export function renderErrorsDoc(): string {
  const entries = Object.entries(ERROR_CATALOGUE as Record<string, ErrorEntry>);
  const sections = Object.entries(ERROR_AREAS).map(([area, title]) => {
    const codes = entries.filter(([, e]) => e.area === area);
    const withStatus = codes.some(([, e]) => e.status !== undefined);
    const header = ['code', 'meaning', ...(withStatus ? ['HTTP status'] : [])];
    const rows = codes.map(([code, e]) => [
      `\`${code}\``,
      cell(e.meaning),
      ...(withStatus ? [e.status === undefined ? '' : String(e.status)] : []),
    ]);
    return `## ${title}\n\n${table(header, rows)}\n`;
  });
  return [INTRO, ...sections].join('\n');
}

if (require.main === module) {
  const file = path.resolve(ERRORS_DOC);
  // A temporary file, then a rename: the page is never half-written.
  writeFileAtomic(file, renderErrorsDoc());
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

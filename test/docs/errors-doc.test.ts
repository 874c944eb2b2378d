import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERROR_AREAS, ERROR_CATALOGUE } from '../../src/errors';
import { ERRORS_DOC, renderErrorsDoc } from '../../scripts/errors-doc';

const ROOT = path.join(__dirname, '..', '..');

describe('docs/errors.md', () => {
  it('is generated from the error catalogue (run `npm run docs:errors` when they differ)', () => {
    const written = fs.readFileSync(path.join(ROOT, ERRORS_DOC), 'utf8');
    if (written !== renderErrorsDoc()) {
      throw new Error(
        `${ERRORS_DOC} differs from ERROR_CATALOGUE in src/errors.ts: run \`npm run docs:errors\` and commit the result`,
      );
    }
  });

  it('lists every code once, under its area, with its HTTP status', () => {
    const text = renderErrorsDoc();
    const titles = Object.values(ERROR_AREAS).map((t) => `## ${t}`);
    const positions = titles.map((t) => text.indexOf(`\n${t}\n`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      const rows = text.split('\n').filter((l) => l.startsWith(`| \`${code}\` `));
      expect(rows).toHaveLength(1);
      const at = text.indexOf(rows[0]!);
      const area = ERROR_AREAS[entry.area];
      const section = positions[titles.indexOf(`## ${area}`)]!;
      const next = positions.find((p) => p > section) ?? Infinity;
      expect(at > section && at < next).toBe(true);
      const status = 'status' in entry ? ` ${entry.status} ` : undefined;
      if (status) expect(rows[0]).toMatch(new RegExp(`\\|${status}\\s*\\|$`));
    }
  });
});

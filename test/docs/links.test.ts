/**
 * The docs stay inside the repository: no web links, every relative link to a file that
 * exists, every `#anchor` to a heading that exists (GitHub's slugs); and the README stays
 * short.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { docPages, ROOT } from './markdown';

const EXAMPLES = fs.readdirSync(path.join(ROOT, 'examples')).map((f) => `examples/${f}`);
const MARKDOWN = [...docPages(), ...EXAMPLES.filter((f) => f.endsWith('.md'))];

const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** The text outside fenced code blocks and inline code spans (where links are links). */
function prose(text: string): string {
  return text
    .replace(/^(\s*)(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\s*\2[^\n]*$/gm, '')
    .replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchors for the headings of a Markdown text (github-slugger's rules). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const withoutCode = text.replace(/^(\s*)(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\s*\2[^\n]*$/gm, '');
  for (const [, heading] of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const plain = heading!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .replace(/[`*]/g, '');
    const base = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

describe('links in README.md, docs/ and examples/', () => {
  // A loopback address (what `neurules serve` and `studio` print) is this machine, not the web.
  it('no web addresses: every link stays in the repository', () => {
    const found = [...MARKDOWN, ...EXAMPLES.filter((f) => !f.endsWith('.md'))].flatMap((file) =>
      read(file)
        .split('\n')
        .flatMap((line, i) =>
          /https?:\/\/(?!127\.0\.0\.1[:/]|localhost[:/])/.test(line)
            ? [`${file}:${i + 1}: ${line}`]
            : [],
        ),
    );
    expect(found).toEqual([]);
  });

  it('every relative link names a file of the repository, and every anchor a heading', () => {
    const problems: string[] = [];
    for (const file of MARKDOWN) {
      for (const [, target] of prose(read(file)).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const [where = '', anchor] = target!.split('#');
        const resolved = where
          ? path.resolve(ROOT, path.dirname(file), where)
          : path.join(ROOT, file);
        const relative = path.relative(ROOT, resolved);
        if (/^[a-z]+:/i.test(where) || relative.startsWith('..') || path.isAbsolute(relative)) {
          problems.push(`${file}: '${target}' leaves the repository`);
        } else if (!fs.existsSync(resolved)) {
          problems.push(`${file}: '${target}': no such file`);
        } else if (
          anchor !== undefined &&
          !anchors(fs.readFileSync(resolved, 'utf8')).has(anchor)
        ) {
          problems.push(`${file}: '${target}': no heading '#${anchor}' in ${relative}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('README.md is at most 15,000 characters', () => {
    expect([...read('README.md')].length).toBeLessThanOrEqual(15_000);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderMarkdown, treeOutline } from '../../src/report/render-markdown';
import type { AuditReport } from '../../src/audit/types';

function loadReport(): AuditReport {
  const file = join(__dirname, '../fixtures/report/audit-report.json');
  return JSON.parse(readFileSync(file, 'utf8')) as AuditReport;
}

/** Cells of a GFM table row, split on unescaped pipes. */
function cells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** The lines of the table that follows a line starting with `heading`. */
function tableAfter(md: string, heading: string): string[] {
  const lines = md.split('\n');
  let i = lines.findIndex((l) => l.startsWith(heading));
  if (i < 0) throw new Error(`no ${heading}`);
  while (!lines[i]!.startsWith('|')) i++;
  const out: string[] = [];
  while (lines[i]?.startsWith('|')) out.push(lines[i++]!);
  return out;
}

describe('renderMarkdown', () => {
  it('gives balanced fidelity beside plain fidelity and names the worst class', () => {
    const md = renderMarkdown(loadReport());
    // bad 75/93 = 0.806, good 190/207 = 0.918: mean 0.862
    expect(md).toMatch(
      /Balanced fidelity \(the mean over the network's classes\): 0\.862; the class the rules follow least is bad: 0\.806 \(75 of 93\)\./,
    );
  });

  const report = loadReport();
  const md = renderMarkdown(report);

  test('has every section, in order', () => {
    const headings = md.split('\n').filter((l) => l.startsWith('## '));
    expect(headings).toEqual([
      '## Data and schema',
      '## Network vs rules',
      '## Rules',
      '## Distilled tree',
      '## Overrides',
      '## Drift',
    ]);
    expect(md.startsWith('# Audit: german-credit\n')).toBe(true);
    expect(md).toContain(`\`${report.model.ruleSetHash.slice(0, 12)}\``);
    expect(md).toContain('0.883 (95% CI 0.842–0.915, Wilson)');
  });

  test('the rule table: header, alignment row, one row per rule, every row as wide as the header', () => {
    const table = tableAfter(md, '## Rules');
    const [head, align, ...rows] = table;
    expect(cells(head!)).toEqual([
      'Rule',
      'Source',
      'Conditions',
      'Class',
      'Terms',
      'Support',
      'Confidence',
      'Val. fidelity',
      'Hits',
      'Hit share',
      'Accuracy',
      'Fidelity',
    ]);
    expect(cells(align!)).toEqual(['---', '---', '---', '---', ...Array(8).fill('---:')]);
    expect(rows.map((r) => cells(r)[0])).toEqual(report.rules.map((r) => `\`${r.id}\``));
    for (const row of rows) expect(cells(row)).toHaveLength(12);
    const r14 = cells(rows.find((r) => r.startsWith('| `R14`'))!);
    expect(r14.slice(8)).toEqual(['98', '32.7%', '0.776', '0.959']);
  });

  test('escapes | in cells, so a rule text with pipes keeps the table shape', () => {
    const piped = loadReport();
    piped.rules[0]!.text = "job is 'a|b' or 'c||d'";
    piped.overrides.items[0]!.reason = 'legal | compliance';
    piped.data.features[0]!.summary = "4 levels: '<0', 'x|y'";
    const out = renderMarkdown(piped);
    expect(out).toContain("`job is 'a\\|b' or 'c\\|\\|d'`");
    expect(out).toContain('legal \\| compliance');
    for (const heading of ['## Rules', '## Data and schema', '## Overrides'])
      for (const section of [tableAfter(out, heading)]) {
        const width = cells(section[0]!).length;
        for (const row of section) expect(cells(row)).toHaveLength(width);
      }
  });

  test('rule texts are code spans, so quotes and angle brackets stay literal', () => {
    const r01 = report.rules.find((r) => r.id === 'R01')!;
    expect(md).toContain(`\`${r01.text}\``);
    expect(r01.text).toContain("'<0'");
  });

  test('plain text is escaped, but an underscore inside a word is left alone', () => {
    const odd = loadReport();
    odd.model.name = '*star* _under_ <b>bold</b> snake_case';
    expect(renderMarkdown(odd)).toContain(
      '# Audit: \\*star\\* \\_under\\_ \\<b\\>bold\\</b\\> snake_case',
    );
  });

  test('charts become tables of their numbers', () => {
    const fidelity = tableAfter(md, '### Fidelity per class').map(cells);
    expect(fidelity).toEqual([
      ["Network's class", 'Records', 'Rules agree', 'Fidelity'],
      ['---', '---:', '---:', '---:'],
      ['bad', '93', '75', '0.806'],
      ['good', '207', '190', '0.918'],
    ]);
    const coverage = tableAfter(md, '### Coverage').slice(2).map(cells);
    expect(coverage[0]).toEqual(['`R14`', 'good', '98', '32.7%']);
    expect(coverage).toHaveLength(report.rules.length);
    const buckets = tableAfter(md, '### Decisions per rule over time');
    expect(buckets).toHaveLength(2 + report.drift!.buckets.length);
  });

  test('the tree is an outline in a text block, one line per node', () => {
    const block = /```text\n([\s\S]*?)\n```/.exec(md)![1]!.split('\n');
    expect(block).toHaveLength(report.tree.nodes.length);
    expect(block[0]).toBe("checking_status in {'<0', '0<=X<200'}  (n = 11,550; missing: yes)");
    expect(block[1]).toBe('├─ yes: duration ≤ 22.5  (n = 6,335; missing: yes)');
    expect(block[2]).toBe(
      "│  ├─ yes: credit_history in {'no credits/all paid', 'all paid'}  (n = 3,676; missing: no)",
    );
    expect(block[3]).toBe('│  │  ├─ yes: R01 → bad  (n = 412)');
    expect(block.filter((l) => / R\d\d → /.test(l))).toHaveLength(16);
  });

  test('drift: drifted rules are named and marked', () => {
    expect(md).toContain('**Drifted:** `R07`, `R14`');
    const rows = tableAfter(md, '### Share of decisions per rule').slice(2).map(cells);
    expect(rows.filter((r) => r[6] === '**drifted**').map((r) => r[0])).toEqual(['`R07`', '`R14`']);
  });

  test('renders a degenerate report: one leaf, no rules, an empty log', () => {
    const tiny = loadReport();
    tiny.rules = [];
    tiny.tree = {
      nodes: [{ id: 0, kind: 'leaf', ruleId: 'R01', class: 'good', probabilities: {}, count: 9 }],
    };
    tiny.drift = { ...tiny.drift!, decisions: 0, buckets: [], rules: [] };
    const out = renderMarkdown(tiny);
    expect(out).not.toMatch(/NaN|Infinity|undefined/);
    expect(out).toContain('```text\nR01 → good  (n = 9)\n```');
  });

  test('without a decision log the drift section says how to get one', () => {
    const { drift: _, ...rest } = loadReport();
    const out = renderMarkdown(rest);
    expect(out.slice(out.indexOf('## Drift'))).toContain('the audit was given no decision log');
  });
});

describe('treeOutline', () => {
  test('a lone leaf is one line', () => {
    expect(
      treeOutline({
        nodes: [{ id: 0, kind: 'leaf', ruleId: 'R01', class: 'a', probabilities: {}, count: 7 }],
      }),
    ).toEqual(['R01 → a  (n = 7)']);
  });
});

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeXml } from '../../src/report/escape-xml';
import { renderHtml } from '../../src/report/render-html';
import type { AuditReport } from '../../src/audit/types';

function loadReport(): AuditReport {
  const file = join(__dirname, '../fixtures/report/audit-report.json');
  return JSON.parse(readFileSync(file, 'utf8')) as AuditReport;
}

/** The HTML of the element that opens with `start`, up to its closing `</tag>` (not nested). */
function element(html: string, start: string, tag: string): string {
  const from = html.indexOf(start);
  if (from < 0) throw new Error(`no ${start} in the page`);
  return html.slice(from, html.indexOf(`</${tag}>`, from) + tag.length + 3);
}

describe('renderHtml', () => {
  const report = loadReport();
  const html = renderHtml(report);

  test('is one HTML document with the elements readers and tests address', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    for (const id of [
      '<table id="rules"',
      '<svg id="tree"',
      '<svg id="chart-fidelity"',
      '<svg id="chart-coverage"',
      '<table id="overrides"',
      '<section id="drift"',
      '<svg id="chart-drift"',
      '<table id="drift-rules"',
      '<table id="confusion-network"',
      '<table id="confusion-rules"',
      '<table id="rules-vs-network"',
      '<table id="features"',
    ])
      expect(html).toContain(id);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('header: model name, the first 12 characters of the rule set hash, times, evaluation set', () => {
    const header = element(html, '<header', 'header');
    expect(header).toContain('<h1>german-credit</h1>');
    expect(header).toContain(`>${report.model.ruleSetHash.slice(0, 12)}</code>`);
    expect(header).toContain('2027-01-26 09:30 UTC');
    expect(header).toContain('held-out test split (300 rows) of data/german-credit.csv');
  });

  test('escapes every rule text: no raw quote or angle bracket from the report', () => {
    expect(report.rules.some((r) => r.text.includes("'<0'"))).toBe(true);
    const table = element(html, '<table id="rules"', 'table');
    for (const rule of report.rules) {
      const cell = /<td class="rule-text">(.*?)<\/td>/.exec(
        element(table, `<tr data-rule="${rule.id}"`, 'tr'),
      )![1]!;
      // One span per condition; without the tags the cell reads as the escaped rule text.
      expect(cell.replace(/<[^>]+>/g, '')).toBe(escapeXml(rule.text));
    }
    expect(html).not.toContain("<0'");
    expect(html).not.toContain("'<100'");
    expect(html).toContain('&#39;&lt;0&#39;');
  });

  test('a rule reads one condition per line, breaking only at top-level "and"', () => {
    const custom = loadReport();
    custom.rules[0]!.text =
      "job is 'rock and roll' and (age > 60 or age is missing and x) and y < 2 → bad";
    const table = element(renderHtml(custom), '<table id="rules"', 'table');
    const cell = element(table, '<td class="rule-text">', 'td');
    expect([...cell.matchAll(/<span class="condition">(.*?)<\/span>/g)].map((m) => m[1])).toEqual([
      'job is &#39;rock and roll&#39;',
      'and (age &gt; 60 or age is missing and x)',
      'and y &lt; 2 → bad',
    ]);
  });

  test('escapes hostile text in every place report text goes', () => {
    const hostile = '<script>alert("x")</script> & \'q\'';
    const bad = loadReport();
    bad.model.name = hostile;
    bad.data.evaluatedOn = hostile;
    bad.data.features[0]!.summary = hostile;
    bad.rules[0]!.text = hostile;
    bad.overrides.items[0]!.reason = hostile;
    bad.overrides.items[0]!.file = hostile;
    bad.drift!.logFile = hostile;
    const page = renderHtml(bad);
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('"x")');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
    // The only script is the sort script at the end.
    expect(page.split('<script').length - 1).toBe(1);
  });

  test('references nothing outside the file', () => {
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toMatch(/<link\b/i);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) expect(href).toMatch(/^#[\w-]+$/);
    for (const href of hrefs) expect(html).toContain(`id="${href.slice(1)}"`);
  });

  test('a Content-Security-Policy forbids loading anything and allows the inline script by its hash', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    expect(csp).toContain("default-src 'none'");
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    const hash = createHash('sha256').update(script).digest('base64');
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
  });

  test('network vs rules: accuracies, fidelity with its interval, confusion matrices', () => {
    const quality = element(html, '<section id="quality"', 'section');
    expect(quality).toContain('0.883 (95% CI 0.842–0.915, Wilson)');
    expect(quality).toContain('0.880 (95% CI 0.838–0.912, Wilson)');
    expect(quality).toContain('>0.737</td>');
    expect(quality).toContain('>0.727</td>');
    expect(quality).toContain('>0.717</td>');
    const cells = (id: string): string[] =>
      [
        ...element(quality, `<table id="${id}"`, 'table').matchAll(
          /<td class="num[^"]*">([^<]*)</g,
        ),
      ].map((m) => m[1]!);
    // Two classes: per row two cells and a total.
    expect(cells('confusion-network')).toEqual(['55', '41', '96', '38', '166', '204']);
    expect(cells('rules-vs-network')).toEqual(['75', '18', '93', '17', '190', '207']);
  });

  test('the rule table: one row per rule, in order, with sortable headings and raw values', () => {
    const table = element(html, '<table id="rules"', 'table');
    const rows = [...table.matchAll(/<tr data-rule="([^"]+)"/g)].map((m) => m[1]);
    expect(rows).toEqual(report.rules.map((r) => r.id));
    expect(table).toContain('<th scope="col" data-key="hits" data-type="number"');
    expect(table).toContain('<th scope="col" data-key="id" data-type="text"');
    // A null figure is a dash that sorts as missing; numbers carry their exact value.
    const minors = element(table, '<tr data-rule="minors-declined"', 'tr');
    expect(minors).toContain('<td class="num" data-value="">—</td>');
    const r14 = element(table, '<tr data-rule="R14"', 'tr');
    expect(r14).toContain('<td class="num" data-value="98">98</td>');
    expect(r14).toContain('<td class="num" data-value="0.326667">32.7%</td>');
  });

  test('charts: one bar per class and per rule', () => {
    const fidelity = element(html, '<svg id="chart-fidelity"', 'svg');
    const coverage = element(html, '<svg id="chart-coverage"', 'svg');
    expect(fidelity.split('<rect class="bar"').length - 1).toBe(2);
    expect(coverage.split('<rect class="bar"').length - 1).toBe(report.rules.length);
  });

  test('overrides: impact per override and the with/without summary', () => {
    const section = element(html, '<section id="override-impact"', 'section');
    expect(section).toContain('change 3 of 300 decisions (1.0%)');
    const exposure = element(section, '<tr data-rule="exposure-limit"', 'tr');
    // The path may wrap after a slash (<wbr>), but reads as one.
    expect(exposure.replace(/<[^>]+>/g, '')).toContain(
      'rules/german-credit/overrides/credit-policy.yaml:15',
    );
    expect(exposure).toContain('>+0.007</td>');
    expect(section).toContain('>0.717</td>');
    expect(section).toContain('>0.727</td>');
  });

  test('drift: drifted rules are highlighted rows', () => {
    const drift = element(html, '<section id="drift"', 'section');
    const drifted = [...drift.matchAll(/<tr data-rule="([^"]+)" class="drifted"/g)].map(
      (m) => m[1],
    );
    expect(drifted).toEqual(report.drift!.rules.filter((r) => r.drifted).map((r) => r.id));
    expect(drifted).toEqual(['R07', 'R14']);
  });

  test('without a decision log the drift section says how to get one', () => {
    const { drift: _, ...rest } = loadReport();
    const page = renderHtml(rest);
    const drift = element(page, '<section id="drift"', 'section');
    expect(drift).toContain('the audit was given no decision log');
    expect(page).not.toContain('chart-drift');
    expect(page).not.toContain('drift-rules');
  });

  test('renders a degenerate report: one leaf, no rules to chart, an empty log', () => {
    const tiny = loadReport();
    tiny.rules = [];
    tiny.data.features = [];
    tiny.quality.fidelityPerClass = [];
    tiny.tree = {
      nodes: [{ id: 0, kind: 'leaf', ruleId: 'R01', class: 'good', probabilities: {}, count: 9 }],
    };
    tiny.drift = { ...tiny.drift!, decisions: 0, buckets: [], rules: [] };
    const page = renderHtml(tiny);
    expect(page.slice(0, page.indexOf('<script>'))).not.toMatch(/NaN|Infinity|undefined/);
    expect(element(page, '<svg id="tree"', 'svg').split('class="node leaf"').length - 1).toBe(1);
    expect(element(page, '<section id="drift"', 'section')).toContain('No rule drifted.');
  });

  test('without overrides the section says so', () => {
    const report0 = loadReport();
    report0.overrides.items = [];
    const page = renderHtml(report0);
    expect(page).not.toContain('<table id="overrides"');
    expect(element(page, '<section id="override-impact"', 'section')).toContain('No overrides');
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditReport, FairnessGroup, FairnessSection } from '../../src/audit/types';
import { renderHtml } from '../../src/report/render-html';
import { renderMarkdown } from '../../src/report/render-markdown';

/** The hand-made report (classes bad, good), without and with a fairness section. */
function loadReport(): AuditReport {
  const file = join(__dirname, '../fixtures/report/audit-report.json');
  return JSON.parse(readFileSync(file, 'utf8')) as AuditReport;
}

const group = (
  name: string,
  kind: FairnessGroup['kind'],
  records: number,
  good: number,
  ratioGood: number,
): FairnessGroup => ({
  name,
  kind,
  records,
  decided: { bad: records - Math.round(good * records), good: Math.round(good * records) },
  shares: { bad: 1 - good, good },
  ratios: { bad: null, good: ratioGood },
  labelled: records,
  accuracy: 0.7,
  recall: { bad: 0.4, good: 0.9 },
  fidelity: 0.85,
  balancedFidelity: 0.75,
});

const fairness: FairnessSection = {
  favourable: 'good',
  checked: ['good'],
  from: 'option',
  reference: 0.8,
  features: [
    {
      name: 'age',
      type: 'numeric',
      grouping: 'bands',
      cuts: [25],
      groups: [group('< 25', 'band', 40, 0.6, 0.75), group('≥ 25', 'band', 250, 0.8, 1)],
      empty: [],
      favoured: { bad: '< 25', good: '≥ 25' },
      readBy: { rules: [], overrides: ['minors-declined'] },
    },
    {
      name: 'personal_status',
      type: 'categorical',
      grouping: 'levels',
      groups: [
        group('male single', 'level', 160, 0.8, 1),
        group('missing', 'missing', 3, 0.7, 0.875),
      ],
      empty: ['male div/sep'],
      favoured: { bad: 'missing', good: 'male single' },
      readBy: { rules: [], overrides: [] },
    },
  ],
  lowest: { feature: 'age', group: '< 25', class: 'good', ratio: 0.75, records: 40 },
};

describe('the fairness section of the report', () => {
  const plain = loadReport();
  const report: AuditReport = { ...plain, fairness };
  const html = renderHtml(report);
  const md = renderMarkdown(report);

  it('is left out of a report without protected features', () => {
    expect(renderHtml(plain)).not.toContain('id="fairness"');
    expect(renderMarkdown(plain)).not.toContain('Fairness by group');
  });

  it('HTML: a chart with a panel per feature, a table per feature with a row per group', () => {
    expect(html).toContain('<section id="fairness">');
    expect(html).toContain('<a href="#fairness">Fairness</a>');
    const chart = html.slice(
      html.indexOf('<svg id="chart-fairness"'),
      html.indexOf('</svg>', html.indexOf('<svg id="chart-fairness"')),
    );
    expect(chart.match(/<g class="panel">/g)).toHaveLength(2);
    // One share segment per class of each group, one ratio bar per checked class.
    expect(chart.match(/class="bar share"/g)).toHaveLength(8);
    expect(chart.match(/class="bar ratio"/g)).toHaveLength(4);
    expect(chart).toContain('class="reference"');
    const table = (n: number) =>
      html.slice(
        html.indexOf(`<table id="fairness-${n}"`),
        html.indexOf('</table>', html.indexOf(`<table id="fairness-${n}"`)),
      );
    expect(table(1).match(/<tr data-group=/g)).toHaveLength(2);
    expect(table(2).match(/<tr data-group=/g)).toHaveLength(2);
    // The ratio under 0.8 is marked; the favourable class's TPR is a column.
    expect(table(1)).toMatch(/<td class="num below" data-value="0.75">0.750<\/td>/);
    expect(table(1)).toContain('TPR good');
    expect(html).toContain('Read directly by overrides <code>minors-declined</code>.');
    expect(html).toMatch(/No rule or override reads it directly/);
    expect(html).toContain('No audited record falls in <em>male div/sep</em>.');
  });

  it('Markdown: a table per feature, ratios under the reference in bold', () => {
    expect(md).toContain('## Fairness by group');
    expect(md).toContain('### `age` (numeric, in the bands given)');
    expect(md).toContain(
      '| Group | Records | Share bad | Share good | Ratio good | Accuracy | TPR good | Fidelity | Balanced fidelity |',
    );
    expect(md).toContain(
      '| \\< 25 | 40 | 40.0% | 60.0% | **0.750** | 0.700 | 0.900 | 0.850 | 0.750 |',
    );
    expect(md).toContain('| missing | 3 | 30.0% | 70.0% | 0.875 | 0.700 | 0.900 | 0.850 | 0.750 |');
  });

  it('a group name with a newline or | stays in its one table row, the newline shown as \\n', () => {
    const odd: AuditReport = {
      ...report,
      fairness: {
        ...fairness,
        features: [
          {
            ...fairness.features[1]!,
            groups: [
              group('a\nb|c', 'level', 10, 0.8, 1),
              group('(no value)', 'missing', 3, 0.7, 0.875),
            ],
            empty: ['x\ny'],
          },
        ],
      },
    };
    const oddMd = renderMarkdown(odd);
    expect(oddMd).toContain('| a\\\\nb\\|c | 10 | 20.0% | 80.0% |'); // renders a\nb|c
    expect(oddMd).toContain('| (no value) | 3 |');
    expect(oddMd).toContain('No audited record falls in *x\\\\ny*.');
    const oddHtml = renderHtml(odd);
    expect(oddHtml).toContain('<th scope="row">a\\nb|c</th>');
    expect(oddHtml).toContain('<em>x\\ny</em>');
  });
});

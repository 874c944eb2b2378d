import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LogEntryRead } from '../../src/audit/read-decision-log';
import { shadowProblem } from '../../src/audit/log-lines';
import { parseLogLine } from '../../src/audit/log-lines';
import { shadowAgreement } from '../../src/audit/shadow-agreement';
import { type AuditReport, SHADOW_LISTED } from '../../src/audit/types';
import { renderHtml } from '../../src/report/render-html';
import { renderMarkdown } from '../../src/report/render-markdown';

const H = 'a'.repeat(64);
const entry = (line: number, cls: string, shadow?: LogEntryRead['shadow']): LogEntryRead => ({
  line,
  time: '2026-12-07T10:00:00.000Z',
  ruleSet: 'b'.repeat(64),
  ruleId: `R${line}`,
  class: cls,
  requestId: `q${line}`,
  ...(shadow && { shadow }),
});
const said = (cls: string, ruleSet = H) => ({ class: cls, ruleId: 'S1', ruleSet });

describe('shadowAgreement', () => {
  it('is absent for a log without a challenger', () => {
    expect(shadowAgreement('log', [entry(1, 'good'), entry(2, 'bad')])).toBeUndefined();
  });

  it('counts by class, agreement, failures and lines without shadow apart; lists disagreements', () => {
    const s = shadowAgreement('log', [
      entry(1, 'good', said('good')),
      entry(2, 'good', said('bad')),
      entry(3, 'bad', said('bad', 'c'.repeat(64))),
      entry(4, 'bad', { error: 'boom' }),
      entry(5, 'good'),
      entry(6, 'good', said('good')),
    ])!;
    expect(s).toMatchObject({ decisions: 4, agreed: 3, errors: 1, withoutShadow: 1 });
    expect(s.agreement).toBeCloseTo(0.75, 10);
    expect(s.byClass).toEqual([
      { champion: 'bad', challenger: 'bad', count: 1, agreement: true },
      { champion: 'good', challenger: 'bad', count: 1, agreement: false },
      { champion: 'good', challenger: 'good', count: 2, agreement: true },
    ]);
    expect(s.classes).toEqual([
      { class: 'bad', decisions: 1, agreed: 1, agreement: 1 },
      { class: 'good', decisions: 3, agreed: 2, agreement: 2 / 3 },
    ]);
    expect(s.challengers).toEqual([
      { ruleSet: H, decisions: 3 },
      { ruleSet: 'c'.repeat(64), decisions: 1 },
    ]);
    expect(s.disagreements).toEqual([
      {
        line: 2,
        requestId: 'q2',
        time: '2026-12-07T10:00:00.000Z',
        champion: { class: 'good', ruleId: 'R2' },
        challenger: { class: 'bad', ruleId: 'S1', ruleSet: H },
      },
    ]);
  });

  it('lists at most SHADOW_LISTED disagreements and counts them all', () => {
    const many = Array.from({ length: SHADOW_LISTED + 5 }, (_, i) =>
      entry(i + 1, 'good', said('bad')),
    );
    const s = shadowAgreement('log', many)!;
    expect(s.disagreements).toHaveLength(SHADOW_LISTED);
    expect(s.disagreementCount).toBe(SHADOW_LISTED + 5);
    expect(s.agreement).toBe(0);
  });

  it('a log where the challenger only failed has no agreement rate (null in JSON too)', () => {
    const s = shadowAgreement('log', [entry(1, 'good', { error: 'x' })])!;
    expect(s.decisions).toBe(0);
    expect(s.agreement).toBeNull();
    expect(JSON.parse(JSON.stringify(s)).agreement).toBeNull();
  });
});

describe('shadowProblem', () => {
  it.each([
    [said('good'), false],
    [{ error: 'boom' }, false],
    [{ error: 3 }, true],
    ['good', true],
    [null, true],
    [[], true],
    [{ class: 'good', ruleId: 'S1' }, true],
    [{ ...said('good'), extra: 1 }, true],
    [{ ...said('good'), ruleSet: 'abc' }, true],
    [{ ...said('good'), class: '' }, true],
    [{ ...said('good'), error: 'x' }, true],
  ])('%j is a problem: %s', (value, problem) => {
    expect(shadowProblem(value) !== undefined).toBe(problem);
  });

  it('parseLogLine refuses a line with a bad shadow at field shadow, and keeps a good one', () => {
    const line = {
      time: '2026-12-07T10:00:00.000Z',
      ruleSet: H,
      ruleId: 'R1',
      class: 'good',
      inputs: { age: 30 },
    };
    const at = { file: 'log', line: 3 };
    const bad = parseLogLine(JSON.stringify({ ...line, shadow: { class: 1 } }), at, 'm');
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.issues.map((i) => [i.code, i.line, i.field])).toEqual([
        ['LOG_LINE_INVALID', 3, 'shadow'],
      ]);
    const good = parseLogLine(JSON.stringify({ ...line, shadow: said('bad') }), at, 'm');
    expect(good.ok && good.value.shadow).toEqual(said('bad'));
  });
});

describe('the reports', () => {
  const report = (): AuditReport =>
    JSON.parse(
      fs.readFileSync(path.join(__dirname, '../fixtures/report/audit-report.json'), 'utf8'),
    ) as AuditReport;

  it('have no champion-and-challenger section without a challenger', () => {
    expect(renderMarkdown(report())).not.toContain('Champion and challenger');
    expect(renderHtml(report())).not.toContain('id="shadow"');
  });

  it('have one with it, escaping what the log said', () => {
    const shadow = shadowAgreement('log|1', [entry(1, 'good', said('<b>|ad'))])!;
    const md = renderMarkdown({ ...report(), shadow });
    expect(md).toContain('## Champion and challenger');
    expect(md).toContain('\\<b\\>\\|ad');
    const html = renderHtml({ ...report(), shadow });
    expect(html).toContain('<section id="shadow">');
    expect(html).toContain('&lt;b&gt;|ad');
    expect(html).not.toContain('<b>|ad');
  });
});

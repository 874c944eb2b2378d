import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AuditReport } from '../../src/audit/types';
import { renderReport, reportFormat } from '../../src/report/render-report';
import { catchError } from '../data/catch-error';

const report = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'report', 'audit-report.json'), 'utf8'),
) as AuditReport;

describe('reportFormat', () => {
  it.each([
    ['audit.md', undefined, 'md'],
    ['AUDIT.MD', undefined, 'md'],
    ['audit.json', undefined, 'json'],
    ['audit.html', undefined, 'html'],
    ['audit', undefined, 'html'],
    ['audit.md.txt', undefined, 'html'],
    ['audit.md', 'json', 'json'],
    ['audit.json', 'html', 'html'],
  ])('%s with format %s → %s', (file, format, expected) => {
    expect(reportFormat(file, format)).toBe(expected);
  });

  it('refuses a format it cannot render', () => {
    const e = catchError(() => reportFormat('audit.pdf', 'pdf'));
    expect([e.code, e.field]).toEqual(['INVALID_ARGUMENT', 'format']);
  });
});

describe('renderReport', () => {
  it('renders each format from the same report data', () => {
    expect(renderReport(report, 'html')).toMatch(/^<!doctype html>/i);
    expect(renderReport(report, 'md')).toMatch(/^# /);
    expect(JSON.parse(renderReport(report, 'json'))).toEqual(report);
  });
});

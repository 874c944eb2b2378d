import type { AuditReport } from '../audit/types';
import { NeurulesError } from '../errors';
import { renderHtml } from './render-html';
import { renderMarkdown } from './render-markdown';

/** The forms an audit report is rendered in. */
export const REPORT_FORMATS = ['html', 'md', 'json'] as const;

/** `html` (one self-contained file), `md` (Markdown) or `json` (the report data). */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * The format of a report file: `format` when given, else from the file's extension
 * (`.md` Markdown, `.json` JSON), else HTML.
 *
 * @example
 * reportFormat('audit.md'); // 'md'
 * reportFormat('audit.txt', 'json'); // 'json'
 */
export function reportFormat(file: string, format?: string): ReportFormat {
  if (format !== undefined) {
    if (!(REPORT_FORMATS as readonly string[]).includes(format)) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `expected a report format of ${REPORT_FORMATS.join(', ')}, found '${format}'`,
        { field: 'format' },
      );
    }
    return format as ReportFormat;
  }
  if (/\.md$/i.test(file)) return 'md';
  if (/\.json$/i.test(file)) return 'json';
  return 'html';
}

/** An audit report as text in one of {@link REPORT_FORMATS}. */
export function renderReport(report: AuditReport, format: ReportFormat): string {
  switch (format) {
    case 'md':
      return renderMarkdown(report);
    case 'json':
      return JSON.stringify(report, null, 2) + '\n';
    case 'html':
      return renderHtml(report);
  }
}

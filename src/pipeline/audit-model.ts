import type { ModelLocation } from '../artifacts/types';
import { type FairnessOptions, findDisparities, planFairness } from '../audit/fairness';
import { gatherAudit } from '../audit/gather-audit';
import { readDecisionLog } from '../audit/read-decision-log';
import type { AuditReport, FairnessRatio } from '../audit/types';
import { outputTarget } from '../files/output-target';
import { writeOutputFile } from '../files/write-atomic';
import { renderReport, reportFormat, type ReportFormat } from '../report/render-report';
import type { BackendChoice } from '../teacher/backend-choice';
import { loadDecisionData, loadTrainingRecords } from '../artifacts/model-data';
import { openModel } from './open-model';

/**
 * Options of {@link auditModel}. The fairness options (`protected`, `bands`, `favourable`,
 * `failOnDisparity`) are checked against the model's schema before the network loads.
 */
export interface AuditModelOptions extends FairnessOptions {
  /** A labelled .csv or .jsonl file to measure on. @defaultValue the build's held-out test split */
  data?: string;
  /** The service's decision log, for drift (`neurules serve --decision-log`). */
  log?: string;
  /**
   * Where to write the rendered report; nothing is written without it. A regular file (or
   * a link's target) is replaced atomically; a FIFO, a character device or `/dev/stdout`
   * is written into (see `outputTarget`); a directory or a socket is NOT_A_REGULAR_FILE,
   * refused before the audit runs.
   */
  out?: string;
  /** The report's format. @defaultValue from `out`'s extension (`.md`, `.json`), else html */
  format?: string;
  /** @defaultValue 'auto' */
  backend?: BackendChoice;
  /** @defaultValue new Date() */
  now?: Date;
}

/**
 * Audit a model: measure it on labelled records (see `loadModelData`), with drift from a
 * decision log when one is given (against the build's training split, when it can be
 * rebuilt), and fairness by group of its protected features (given, or marked in the
 * schema), and render the report; with `out`, write it there. With `failOnDisparity`,
 * `disparities` lists the ratios of the checked classes below it (see `findDisparities`);
 * it is empty otherwise.
 *
 * @example
 * const { report } = await auditModel(loc, { out: 'audit.html', protected: ['age'] });
 * report.quality.fidelity.value;
 * report.fairness?.lowest;
 */
export async function auditModel(
  loc: ModelLocation,
  options: AuditModelOptions = {},
): Promise<{
  report: AuditReport;
  format: ReportFormat;
  text: string;
  disparities: FairnessRatio[];
}> {
  const format = reportFormat(options.out ?? '', options.format);
  // A directory or a socket is refused before minutes of work, not after.
  if (options.out !== undefined) outputTarget(options.out);
  const read = {
    ...(options.data !== undefined && { data: options.data }),
    backend: options.backend ?? 'auto',
  } as const;
  // Read (and perceive) the data first: a missing or changed file fails before the network loads.
  const data = await loadDecisionData(loc, read);
  // The rules' schema (perceived facts included): a bad fairness option fails before the network loads.
  const fairness = planFairness(data.test.schema, options);
  const training =
    options.log !== undefined
      ? await loadTrainingRecords(loc, data, { backend: read.backend })
      : undefined;
  const model = await openModel(loc, { teacher: true, backend: options.backend ?? 'auto' });
  try {
    const report = gatherAudit({
      model,
      data,
      ...(training && { training }),
      ...(options.log !== undefined && {
        log: await readDecisionLog(options.log, model.ruleSetHash),
      }),
      ...(options.now && { now: options.now }),
      ...(fairness && { fairness }),
    });
    const text = renderReport(report, format);
    if (options.out !== undefined) await writeOutputFile(options.out, text);
    const disparities =
      report.fairness && options.failOnDisparity !== undefined
        ? findDisparities(report.fairness, options.failOnDisparity)
        : [];
    return { report, format, text, disparities };
  } finally {
    model.teacher!.dispose();
    model.front?.dispose();
  }
}

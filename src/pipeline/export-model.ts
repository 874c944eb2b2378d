import { loadModelFiles } from '../artifacts/model-store';
import type { ModelLocation } from '../artifacts/types';
import { toMlCartModel } from '../distill/export-ml-cart';
import { checkChoice, NeurulesError } from '../errors';
import { checkFeelNames, ruleSetToDmn } from '../exports/to-dmn';
import { checkDialect, ruleSetToSql } from '../exports/to-sql';
import { outputTarget } from '../files/output-target';
import { writeOutputFile } from '../files/write-atomic';
import { openModel } from './open-model';

/** The formats a model can be exported in. */
export const EXPORT_FORMATS = ['ml-cart', 'sql', 'dmn'] as const;

/** A format of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Options of {@link exportModel}. */
export interface ExportOptions {
  /** @defaultValue 'ml-cart' */
  format?: string;
  /** `sql`: the dialect. @defaultValue 'duckdb' */
  dialect?: string;
  /** `sql`: the table the query reads. @defaultValue 'records' */
  table?: string;
  /** `dmn`: how feature names are written in FEEL (`FEEL_NAME_FORMS`). @defaultValue 'standard' */
  feelNames?: string;
  /**
   * Also write the text here: a regular file (or a link's target) atomically, a FIFO, a
   * character device or `/dev/stdout` written into (see `outputTarget`); a directory or a
   * socket is NOT_A_REGULAR_FILE.
   */
  out?: string;
}

/**
 * A model in another format, as text; with `out`, also written there (see `ExportOptions.out`).
 *
 * - `ml-cart`: the distilled tree as ml-cart's model JSON (numeric features only).
 * - `sql`: one query deciding every record of a table as the model's rule set does
 *   (distilled rules with the overrides above them, in hit order; see `ruleSetToSql`).
 * - `dmn`: the same rule set as a DMN 1.3 decision table, hit policy FIRST
 *   (see `ruleSetToDmn`).
 *
 * @example
 * const text = await exportModel(loc, { format: 'sql', dialect: 'postgres' });
 */
export async function exportModel(
  loc: ModelLocation,
  options: ExportOptions = {},
): Promise<string> {
  const format = options.format ?? 'ml-cart';
  checkChoice(format, EXPORT_FORMATS, 'format');
  if (format !== 'sql' && (options.dialect !== undefined || options.table !== undefined)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `${options.dialect !== undefined ? 'dialect' : 'table'}: only the sql format takes it, found format '${format}'`,
      { field: options.dialect !== undefined ? 'dialect' : 'table' },
    );
  }
  if (format !== 'dmn' && options.feelNames !== undefined) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `feelNames: only the dmn format takes it, found format '${format}'`,
      { field: 'feelNames' },
    );
  }
  if (options.out !== undefined) outputTarget(options.out); // refused before the model is opened
  let text: string;
  if (format === 'sql') {
    const dialect = options.dialect ?? 'duckdb';
    checkDialect(dialect); // before the model is opened
    // The rule set as predict runs it: checked, with the overrides merged above it.
    const model = await openModel(loc);
    text = ruleSetToSql(model.ruleSet, model.schema, {
      dialect,
      ...(options.table !== undefined && { table: options.table }),
    });
  } else if (format === 'dmn') {
    const feelNames = options.feelNames ?? 'standard';
    checkFeelNames(feelNames); // before the model is opened
    const model = await openModel(loc);
    text = ruleSetToDmn(model.ruleSet, model.schema, { feelNames });
  } else {
    const { schema, tree } = loadModelFiles(loc);
    text = JSON.stringify(toMlCartModel(tree, schema)) + '\n';
  }
  if (options.out !== undefined) await writeOutputFile(options.out, text);
  return text;
}

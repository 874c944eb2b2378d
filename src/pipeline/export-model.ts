import { loadModelFiles } from '../artifacts/model-store';
import type { ModelLocation } from '../artifacts/types';
import { toMlCartModel } from '../distill/export-ml-cart';
import { NeurulesError } from '../errors';
import { ruleSetToDmn } from '../exports/to-dmn';
import { checkDialect, ruleSetToSql } from '../exports/to-sql';
import { writeFileAtomic } from '../files/write-atomic';
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
  /** Also write the text here, atomically. */
  out?: string;
}

/**
 * A model in another format, as text; with `out`, also written there atomically.
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
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `format: expected one of ${EXPORT_FORMATS.join(', ')}, found '${format}'`,
      { field: 'format' },
    );
  }
  if (format !== 'sql' && (options.dialect !== undefined || options.table !== undefined)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `${options.dialect !== undefined ? 'dialect' : 'table'}: only the sql format takes it, found format '${format}'`,
      { field: options.dialect !== undefined ? 'dialect' : 'table' },
    );
  }
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
    const model = await openModel(loc);
    text = ruleSetToDmn(model.ruleSet, model.schema);
  } else {
    const { schema, tree } = loadModelFiles(loc);
    text = JSON.stringify(toMlCartModel(tree, schema)) + '\n';
  }
  if (options.out !== undefined) writeFileAtomic(options.out, text);
  return text;
}

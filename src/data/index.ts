/**
 * The data stage: read CSV and JSONL inputs, infer or apply a schema, check records, and
 * split tables for training.
 */
export type {
  CategoricalFeature,
  DataRecord,
  Feature,
  NumericFeature,
  Schema,
  Split,
  Table,
  Value,
} from './types';
export {
  readTable,
  parseTable,
  parseTestTable,
  type ReadTableOptions,
  type ColumnType,
} from './read-csv';
export {
  readRecords,
  parseRecords,
  parseJsonlLine,
  createCsvRowReader,
  type ReadRecordsOptions,
  type RecordFormat,
  type RecordSet,
} from './read-records';
export { parseRecord, parseRecordJson, type ParsedRecord } from './parse-record';
export {
  coerceRecord,
  coerceValue,
  classIndex,
  checkColumns,
  type CoerceOptions,
  type CoercedRecord,
  type CoercedValue,
  type RecordPlace,
} from './coerce-record';
export {
  splitTable,
  foldTable,
  SPLIT_DEFAULTS,
  MIN_SPLIT_ROWS,
  type Folds,
  type SplitOptions,
} from './split-table';
export { parseCsv, CSV_OPTIONS, type CsvRow, type CsvText } from './parse-csv';
export { MISSING_MARKERS, isMissingText, parseNumber, sortLabels } from './parse-value';
export { MAX_ISSUES } from './issue-list';

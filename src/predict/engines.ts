/**
 * The evaluators, in one registry: every one decides exactly as json-rules-engine, the
 * format of record, does (the tests hold them to it).
 *
 * - `compiled` (the default): the rule set compiled to plain functions.
 * - `json-rules-engine`: the format of record itself, slower.
 * - `duckdb`: the rule set as SQL in embedded DuckDB, for CSV and Parquet files, on every
 *   core. It decides whole files only, so a service or an explanation cannot use it.
 *
 * The CLI's `--engine` choices, the service's `engine` option and `openModel` all take
 * their names from here.
 */
export const ENGINES = {
  compiled: { perRecord: true, summary: 'the rule set compiled to functions' },
  'json-rules-engine': { perRecord: true, summary: 'json-rules-engine itself (slower)' },
  duckdb: { perRecord: false, summary: 'the rule set as SQL in DuckDB, CSV and Parquet files' },
} as const;

/** An evaluator's name. */
export type EngineName = keyof typeof ENGINES;

/** An evaluator that decides one record at a time (a service, an explanation). */
export type RecordEngineName = {
  [K in EngineName]: (typeof ENGINES)[K]['perRecord'] extends true ? K : never;
}[EngineName];

/** Every evaluator's name, in the registry's order. */
export const ENGINE_NAMES = Object.keys(ENGINES) as EngineName[];

/** The evaluators that decide one record at a time. */
export const RECORD_ENGINE_NAMES = ENGINE_NAMES.filter(
  (n) => ENGINES[n].perRecord,
) as RecordEngineName[];

/** The default evaluator. */
export const DEFAULT_ENGINE: RecordEngineName = 'compiled';

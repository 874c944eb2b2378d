/**
 * The evaluators that decide a file of records, with identical output: `compiled` (the
 * default), `json-rules-engine` (the format of record itself, slower) and `duckdb` (the
 * rule set as SQL in embedded DuckDB, for CSV and Parquet files, on every core).
 */
export const ENGINE_NAMES = ['compiled', 'json-rules-engine', 'duckdb'] as const;

/** One of {@link ENGINE_NAMES}. */
export type EngineName = (typeof ENGINE_NAMES)[number];

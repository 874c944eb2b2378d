import type { DuckDBConnection } from '@duckdb/node-api';
import { NeurulesError } from '../../errors';

/** Options of {@link openDuckDb}. */
export interface DuckDbOptions {
  /** Worker threads. @defaultValue DuckDB's default: every core */
  threads?: number | undefined;
}

/**
 * A connection to a fresh in-memory DuckDB database (`@duckdb/node-api`, loaded on first
 * use: commands that do not need it never load its native binary). Close it with
 * `closeSync()`; the database goes with it.
 *
 * @throws NeurulesError ENGINE_UNAVAILABLE when the optional package is not installed
 */
export async function openDuckDb(options: DuckDbOptions): Promise<DuckDBConnection> {
  let api: typeof import('@duckdb/node-api');
  try {
    api = await import('@duckdb/node-api');
  } catch (e) {
    throw new NeurulesError(
      'ENGINE_UNAVAILABLE',
      `the DuckDB engine needs the optional package @duckdb/node-api, which did not load: ${(e as Error).message.split('\n')[0]}`,
      { field: 'engine' },
    );
  }
  const config: Record<string, string> = {};
  if (options.threads !== undefined) config.threads = String(options.threads);
  const instance = await api.DuckDBInstance.create(':memory:', config);
  return instance.connect();
}

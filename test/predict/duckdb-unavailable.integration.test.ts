import { isNeurulesError } from '../../src/errors';
import { openDuckDb } from '../../src/predict/duckdb/connection';

// @duckdb/node-api is an optional dependency: where it did not install, the DuckDB engine
// (and Parquet output) is a coded error naming the package, not a stack trace.
jest.mock('@duckdb/node-api', () => {
  throw new Error("Cannot find module '@duckdb/node-api'");
});

it('without @duckdb/node-api, the DuckDB engine is ENGINE_UNAVAILABLE naming the package', async () => {
  const error = await openDuckDb({}).catch((e: unknown) => e);
  expect(isNeurulesError(error) && error.code).toBe('ENGINE_UNAVAILABLE');
  expect((error as Error).message).toContain('@duckdb/node-api');
});

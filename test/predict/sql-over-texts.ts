import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Each text with the value of an SQL expression over it (`sql('s')`), evaluated by DuckDB
 * in one query over a table of the texts. The texts are given back as they were appended:
 * the client's decoder drops a leading U+FEFF of the texts it reads back.
 */
export async function sqlOverTexts(
  c: DuckDBConnection,
  texts: readonly string[],
  sql: (column: string) => string,
): Promise<[string, unknown][]> {
  await c.run('CREATE OR REPLACE TABLE neurules_texts (i INTEGER, s VARCHAR)');
  const appender = await c.createAppender('neurules_texts');
  texts.forEach((s, i) => {
    appender.appendInteger(i);
    appender.appendVarchar(s);
    appender.endRow();
  });
  appender.closeSync();
  const rows = (
    await c.runAndReadAll(`SELECT i, ${sql('s')} FROM neurules_texts ORDER BY i`)
  ).getRows();
  return rows.map(([i, v]) => [texts[Number(i)]!, v]);
}

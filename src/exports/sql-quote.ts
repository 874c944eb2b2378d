import { NeurulesError } from '../errors';

// Quoting for SQL, in a module of its own: `predict` writes Parquet through DuckDB with it
// and need not load the SQL export (and the region algebra under it) to do so.

/** A string literal: single quotes doubled; the only escape standard SQL has. */
export function quoteString(text: string): string {
  checkText(text, 'a value');
  return `'${text.replace(/'/g, "''")}'`;
}

/** A delimited identifier: double quotes doubled, so any name is one name. */
export function quoteIdentifier(name: string): string {
  checkText(name, 'a name');
  return `"${name.replace(/"/g, '""')}"`;
}

/** NUL cannot be stated in a PostgreSQL string or name: refused rather than cut short. */
export function checkText(text: string, what: string): void {
  if (text.includes('\u0000')) {
    throw new NeurulesError(
      'UNSUPPORTED_VALUE',
      `${what} with a NUL character cannot be written in SQL: ${JSON.stringify(text)}`,
      { field: text },
    );
  }
}

/**
 * The spellings DuckDB's `TRY_CAST(text AS DOUBLE)` reads as a finite number but neurules
 * (`parseNumber`, plain decimal notation) refuses, each as a piece of text whose presence
 * marks them: digit separators (`1_000`, `1e1_0`) and a minus after a plus (`+-5`).
 * Found by running DuckDB's cast against `parseNumber` over every text of up to six
 * characters from `0-9 . e E + - _ x n a` and white space, and over generated numbers in
 * every notation (`test/predict/number-sql.integration.test.ts` keeps checking it).
 * Everything else DuckDB reads either as neurules does (white space around, `.5`, `5.`,
 * exponents, leading zeros: the same double, as both round correctly), or not at all
 * (hex, `--5`, `1,5`: NULL), or as a number that is not finite (`inf`, `nan`, `1e999`):
 * the engine hands those rows back to the compiled reader.
 */
export const REFUSED_MARKS: readonly string[] = ['_', '+-'];

/**
 * SQL (DuckDB) for the number a column's text spells as neurules reads it, or NULL when
 * DuckDB cannot vouch for it (it may still be a missing value or a refused one: the row is
 * then handed back). A typed cast with a check for {@link REFUSED_MARKS}: two substring
 * searches instead of a regular expression over every value, or none at all when no text
 * can hold a mark (`refusedMarks` false: a file whose bytes have none, see `scanCsv`). A
 * result that is not finite must be handed back too (`isfinite`), as neurules refuses it.
 */
export function numberSql(text: string, refusedMarks = true): string {
  if (!refusedMarks) return `TRY_CAST(${text} AS DOUBLE)`;
  const refused = REFUSED_MARKS.map((m) => `contains(${text}, '${m}')`).join(' OR ');
  return `CASE WHEN ${refused} THEN NULL ELSE TRY_CAST(${text} AS DOUBLE) END`;
}

import type { Feature, Schema } from '../../data/types';
import { missingSql, quoteString, type RuleCondition } from '../../exports/to-sql';
import { numberSql } from './number-sql';
import type { RowSource } from './source';

/** The rule index of a row DuckDB hands back to be read and decided here. */
export const HANDED_BACK = 65535;

/**
 * The query: `neurules_r`, the index of the deciding rule in hit order (or
 * {@link HANDED_BACK}), `neurules_y`, the label's class index (NULL: none), then each
 * column's text, NULL for rows DuckDB decided itself. `rejects`: see `RowSource.from`.
 */
export function decisionQuery(
  source: RowSource,
  schema: Schema,
  conditions: (value: (f: Feature) => string) => RuleCondition[],
  rejects: boolean,
): string {
  const column = new Map(source.names.map((n, i) => [n, i]));
  // Each feature's value and whether this row's value is one DuckDB can vouch for, from
  // its text as it is: neurules trims white space, so a level or a missing marker with any
  // around it is handed back (trimming here would cost more than the rare rows that need
  // it). Numbers: DuckDB's typed cast, which trims ASCII white space as neurules does and
  // rounds as JavaScript does, with a check for the few spellings it reads and neurules
  // refuses (`numberSql`).
  const helpers: string[] = [];
  const ok: string[] = [];
  // Every value read: the usual row, decided without the tests of `ok` (NULL is not true).
  const allRead: string[] = [];
  // OK when the value was read, else when it is missing (CASE: the rare rows alone take
  // the second test).
  const okWhen = (v: string, t: string, read = 'true'): string =>
    `(CASE WHEN ${v} IS NOT NULL THEN ${read} ELSE ${missingSql(t)} END)`;
  for (const f of schema.features) {
    const i = column.get(f.name)!;
    const t = source.text(i);
    const v = `neurules_v${i}`;
    const typed = source.number(i);
    if (f.type === 'numeric' && typed) {
      helpers.push(`CASE WHEN isfinite(${typed}) THEN ${typed} END AS ${v}`);
      ok.push(`(${v} IS NOT NULL OR neurules_c${i} IS NULL)`);
      allRead.push(`${v} IS NOT NULL`);
    } else if (f.type === 'numeric') {
      helpers.push(`${numberSql(t, source.refusedMarks)} AS ${v}`);
      // inf, nan and 1e999 cast to numbers that are not finite: handed back (neurules
      // refuses them).
      ok.push(okWhen(v, t, `isfinite(${v})`));
      allRead.push(`isfinite(${v})`);
    } else {
      helpers.push(`${levelIndexSql(t, f.levels)} AS ${v}`);
      ok.push(okWhen(v, t));
      allRead.push(`${v} IS NOT NULL`);
    }
  }
  // The label: a class named exactly, or missing; any other text is handed back (a number
  // naming a class, an unknown label), where classIndex reads it.
  const target = column.get(schema.target);
  let label = 'CAST(NULL AS UTINYINT)';
  if (target !== undefined) {
    const t = source.text(target);
    const classes = schema.classes.map((c, k) => `WHEN ${quoteString(c)} THEN ${k}`).join(' ');
    helpers.push(`CASE ${t} ${classes} END AS neurules_y`);
    ok.push(okWhen('neurules_y', t));
    allRead.push('neurules_y IS NOT NULL');
    label = 'neurules_y';
  }
  // A row with no feature value read is handed back: it may be an empty row (`,,,`), which
  // the reader skips.
  ok.push(
    `(${schema.features.map((f) => `neurules_v${column.get(f.name)} IS NOT NULL`).join(' OR ')})`,
  );
  const rules = conditions((f) => `neurules_v${column.get(f.name)}`);
  const ruleCase = `CASE ${rules.map(({ condition }, k) => `WHEN ${condition} THEN ${k}`).join(' ')} ELSE ${HANDED_BACK} END`;
  const handedBack = `CASE WHEN ${allRead.join(' AND ')} THEN false ELSE NOT (${ok.join(' AND ')}) END`;
  // The texts of a handed-back row, as one list (one CASE, not one per column).
  const texts = `CASE WHEN neurules_back THEN [${source.names.map((_, i) => source.text(i)).join(', ')}] END AS neurules_t`;
  return [
    `SELECT CAST(CASE WHEN neurules_back THEN ${HANDED_BACK} ELSE ${ruleCase} END AS USMALLINT) AS neurules_r,`,
    `  CAST(${label} AS UTINYINT) AS neurules_y,`,
    `  ${texts}`,
    `FROM (SELECT *, ${handedBack} AS neurules_back FROM (`,
    `  SELECT *, ${helpers.join(',\n    ')}`,
    `  FROM ${source.from(rejects)}))`,
  ].join('\n');
}

/**
 * Up to this many levels, a level's index is found by comparing texts in turn; past it, by
 * a hash lookup (a cast to ENUM). Measured on the German credit features (2 to 10 levels):
 * the comparisons cost about 40% of the cast's time.
 */
const LEVELS_COMPARED = 16;

/**
 * SQL for the index of the level a text is exactly (byte for byte, as neurules' level
 * lookup after trimming), or NULL; rules then compare integers. Texts are compared in turn
 * for up to `compared` levels, else looked up in an ENUM.
 */
export function levelIndexSql(
  text: string,
  levels: readonly string[],
  compared = LEVELS_COMPARED,
): string {
  if (levels.length === 0) return 'CAST(NULL AS INTEGER)';
  if (levels.length <= compared) {
    return `CASE ${text} ${levels.map((l, k) => `WHEN ${quoteString(l)} THEN ${k}`).join(' ')} END`;
  }
  return `enum_code(TRY_CAST(${text} AS ENUM(${levels.map(quoteString).join(', ')})))`;
}

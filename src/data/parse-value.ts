/**
 * How one raw text value is read: which texts mean "missing" and which texts are numbers.
 * Shared by CSV reading, schema inference and record coercion so they always agree.
 */

/** Texts (after trimming) that mean a missing value. */
export const MISSING_MARKERS: readonly string[] = ['', '?', 'NA'];

// Plain decimal notation only: no hex, no 'Infinity', no thousands separators, so a
// column of codes like '0x1F' or '1,000' is never silently read as numbers.
const NUMBER_PATTERN = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * The same pattern for SQL engines' regular expressions: `[0-9]` for `\d` (JavaScript's is
 * ASCII only, some engines' is not) and `[.]` for `\.` (no backslash to escape in SQL).
 */
export const NUMBER_PATTERN_SQL = NUMBER_PATTERN.source
  .replace(/\\d/g, '[0-9]')
  .replace(/\\\./g, '[.]');

/** True when `text` is empty or white space only (as `String.prototype.trim` sees it). */
export function isBlank(text: string): boolean {
  // Most lines start with a visible character: no trimmed copy is made for them.
  return (
    text.length === 0 ||
    (text.charCodeAt(0) <= 32 || text.charCodeAt(0) >= 160 ? text.trim() === '' : false)
  );
}

/** True when `text` (trimmed) is one of {@link MISSING_MARKERS}. */
export function isMissingText(text: string): boolean {
  return MISSING_MARKERS.includes(text.trim());
}

/**
 * The number `text` (trimmed) spells in plain decimal notation, or `undefined` when it is
 * not such a number or is not finite (`'1e999'`).
 */
export function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (!NUMBER_PATTERN.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Why `text` (present, not a number by {@link parseNumber}) is not a number, in words for
 * a message: `'inf'` and `'NaN'` are not finite, `'1e309'` is too large, `'5,05'` has a
 * decimal comma.
 */
export function whyNotANumber(text: string): string {
  const trimmed = text.trim();
  if (/^[-+]?(inf|infinity|nan)$/i.test(trimmed)) return 'is not a finite number';
  if (NUMBER_PATTERN.test(trimmed)) return 'is too large to be a finite number';
  if (/^[-+]?\d+(,\d+)+(\.\d*)?$/.test(trimmed)) {
    return 'has a comma (numbers take a decimal point and no thousands separator)';
  }
  return 'is not a number';
}

/**
 * Sort class labels into the order of a schema's `classes`: numerically when every label
 * looks like a number (`'2' < '10'`, ties by text), otherwise by UTF-16 code units
 * (`'Bad' < 'bad' < 'good'`). Code-unit order rather than `localeCompare` keeps the order
 * identical on every machine and locale, and sorting (rather than order of first
 * appearance) keeps it identical for any subset or reordering of the rows.
 */
export function sortLabels(labels: Iterable<string>): string[] {
  const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = [...labels].sort(byText);
  const numbers = new Map(sorted.map((label) => [label, parseNumber(label)]));
  if ([...numbers.values()].every((n) => n !== undefined)) {
    // Stable sort: equal numbers ('1', '1.0') stay in text order.
    sorted.sort((a, b) => numbers.get(a)! - numbers.get(b)!);
  }
  return sorted;
}

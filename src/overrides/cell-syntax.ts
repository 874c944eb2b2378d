/**
 * The decision table's cell syntax: a condition on one feature in a few characters
 * (`< 18`, `[250..1000]`, `education, retraining`, `-`, `missing`), read into the operator
 * map an override file writes for it (`{ '<': 18 }`) and written back from one.
 *
 * Pure and small: the studio page bundles it, so it imports only types, the operator
 * table and the base's did-you-mean (`errors.ts` imports nothing).
 */
import type { Feature } from '../data/types';
import { didYouMean, type ErrorCode, type Issue } from '../errors';
import { OVERRIDE_OPERATORS } from './override-operators';

/** A value in an operator map: a number, a level, null (missing) or a list of them. */
export type CellValue = Scalar | Scalar[];

/** One value: a number, a level, or null (missing). */
export type Scalar = number | string | null;

/** A feature's operator map as YAML writes it (`{ '<': 18 }`, `{ between: [250, 1000] }`). */
export type OperatorMap = Record<string, CellValue>;

/** A cell's problem: its code, the feature's column as `field`, and the syntax expected. */
export interface CellIssue extends Issue {
  field: string;
  expected: string;
}

/** What {@link parseCell} found: the map (null: any value, no condition), or the problem. */
export type ParsedCell = { ok: true; value: OperatorMap | null } | { ok: false; issue: CellIssue };

/** The cell syntax, as a problem states what was expected. */
export const CELL_SYNTAX_HELP =
  "one of: < n, <= n, > n, >= n, [low..high], = x or x, != x, a, b (any of), not a, b (none of), in a, missing, not missing, - (any); join two with 'and'";

/** The operator names a cell writes, by its prefix (longest first). */
const PREFIXES: [string, string][] = [
  ['<=', '<='],
  ['>=', '>='],
  ['!=', 'notEqual'],
  ['<', '<'],
  ['>', '>'],
  ['=', 'equal'],
];

/** The order keys are written in a cell and in a map (a `between` first, then comparisons). */
const KEY_ORDER = ['between', '>', '>=', '<', '<=', 'equal', 'notEqual', 'in', 'notIn'];

/** The name a cell writes for each json-rules-engine operator. */
const CELL_KEY: Record<string, string> = {
  lessThan: '<',
  lessThanInclusive: '<=',
  greaterThan: '>',
  greaterThanInclusive: '>=',
  equal: 'equal',
  notEqual: 'notEqual',
  in: 'in',
  notIn: 'notIn',
  between: 'between',
};

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

class CellError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Splits `text` at each `separator` outside quotes; a quote opens only at an item's start
 * and is closed by the same quote not doubled.
 */
function splitOutside(text: string, separator: RegExp): string[] {
  const parts: string[] = [];
  let start = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) {
        if (text[i + 1] === quote) i++;
        else quote = null;
      }
      continue;
    }
    // A quote opens a value: at the start of an item, or after a space, a comma or an operator.
    if ((c === "'" || c === '"') && (i === start || /[\s,=<>![]/.test(text[i - 1]!))) {
      quote = c;
      continue;
    }
    separator.lastIndex = i;
    const m = separator.exec(text);
    if (m && m.index === i) {
      parts.push(text.slice(start, i));
      start = i + m[0].length;
      i = start - 1;
    }
  }
  if (quote) throw new CellError('CELL_SYNTAX', `a quote ${quote} is not closed`);
  parts.push(text.slice(start));
  return parts;
}

/** One item of a list or a value: a quoted text, `missing` (null), or bare text. */
function readItem(raw: string): { text: string | null; quoted: boolean } {
  const t = raw.trim();
  if (t === '') throw new CellError('CELL_SYNTAX', 'an empty value');
  const q = t[0];
  if (q === "'" || q === '"') {
    if (t.length < 2 || t[t.length - 1] !== q)
      throw new CellError('CELL_SYNTAX', `a quoted value must end with ${q}`);
    const inner = t.slice(1, -1);
    if (
      inner
        .split(q + q)
        .join('')
        .includes(q)
    )
      throw new CellError('CELL_SYNTAX', `write a ${q} inside quotes twice`);
    return { text: inner.split(q + q).join(q), quoted: true };
  }
  if (t === 'missing') return { text: null, quoted: false };
  return { text: t, quoted: false };
}

/** A value of `feature` from an item: a number for a numeric feature, a known level else. */
function valueOf(item: { text: string | null; quoted: boolean }, feature: Feature): CellValue {
  if (item.text === null) return null;
  if (feature.type === 'numeric') {
    if (item.quoted || !NUMBER.test(item.text))
      throw new CellError(
        'WRONG_TYPE',
        `feature '${feature.name}' is numeric: expected a number, found '${item.text}'`,
      );
    const n = Number(item.text);
    // `1e400` reads as Infinity, which YAML writes as `.inf` and an override refuses.
    if (!Number.isFinite(n))
      throw new CellError(
        'WRONG_TYPE',
        `feature '${feature.name}' is numeric: expected a finite number, found '${item.text}'`,
      );
    return n;
  }
  if (!feature.open && !feature.levels.includes(item.text))
    throw new CellError(
      'UNKNOWN_CATEGORY',
      `'${item.text}' is not a level of '${feature.name}'${didYouMean(item.text, feature.levels)}; the levels are '${feature.levels.join("', '")}'`,
    );
  return item.text;
}

/** A comma list of values. */
function listOf(text: string, feature: Feature): Scalar[] {
  return splitOutside(text, /,/y).map((item) => valueOf(readItem(item), feature) as Scalar);
}

/** A number after a comparison or in a range; a categorical feature has no order. */
function numberOf(text: string, feature: Feature, what: string): number {
  if (feature.type !== 'numeric')
    throw new CellError(
      'WRONG_TYPE',
      `feature '${feature.name}' is categorical: '${what}' compares numbers; use a level, a list of levels, not ... or missing`,
    );
  const item = readItem(text);
  // Missing has no order: `< missing` or `[missing..5]` would write a map YAML refuses.
  if (item.text === null)
    throw new CellError(
      'CELL_SYNTAX',
      `'${what}' compares numbers, and missing has no order: write 'missing' or 'not missing' on its own`,
    );
  return valueOf(item, feature) as number;
}

/** One condition of a cell (between `and`s) as [key, value]. */
function readPart(part: string, feature: Feature): [string, CellValue] {
  const t = part.trim();
  if (t === 'missing') return ['equal', null];
  if (t === 'not missing') return ['notEqual', null];
  // A categorical cell that is a list of known levels is that list, even where a level
  // starts like an operator (German credit's '<0' or '>=1000').
  if (feature.type === 'categorical') {
    try {
      const levels = listOf(t, feature);
      return levels.length === 1 ? ['equal', levels[0]!] : ['in', levels];
    } catch {
      // not a list of levels: read as an operator below
    }
  }
  if (t.startsWith('[')) {
    const m = /^\[(.*)\.\.(.*)\]$/.exec(t);
    if (!m) throw new CellError('CELL_SYNTAX', `expected a range [low..high], found '${t}'`);
    return ['between', [numberOf(m[1]!, feature, '[..]'), numberOf(m[2]!, feature, '[..]')]];
  }
  for (const [prefix, key] of PREFIXES) {
    if (!t.startsWith(prefix)) continue;
    const rest = t.slice(prefix.length);
    if (key === 'equal' || key === 'notEqual') return [key, valueOf(readItem(rest), feature)];
    return [key, numberOf(rest, feature, prefix)];
  }
  const word = /^(not in|not|in)\s+(.*)$/s.exec(t);
  if (word) return [word[1] === 'in' ? 'in' : 'notIn', listOf(word[2]!, feature)];
  const values = listOf(t, feature);
  return values.length === 1 ? ['equal', values[0]!] : ['in', values];
}

/**
 * Reads a table cell for `feature` into its operator map (null for `-` or an empty cell:
 * no condition), or the problem: CELL_SYNTAX for text the syntax does not read, WRONG_TYPE
 * for a level of a numeric feature or a comparison of a categorical one, UNKNOWN_CATEGORY
 * (with a did-you-mean) for a level the feature does not have.
 *
 * @example
 * parseCell('> 18 and < 65', age) // { ok: true, value: { '>': 18, '<': 65 } }
 * parseCell('education, retraining', purpose) // { ok: true, value: { in: ['education', 'retraining'] } }
 */
export function parseCell(text: string, feature: Feature): ParsedCell {
  const t = text.trim();
  if (t === '' || t === '-') return { ok: true, value: null };
  try {
    const map: OperatorMap = {};
    for (const part of splitOutside(t, /\s+and\s+/y)) {
      const [key, value] = readPart(part, feature);
      if (key in map) throw new CellError('CELL_SYNTAX', `'${key}' is written twice`);
      map[key] = value;
    }
    return { ok: true, value: map };
  } catch (e) {
    if (!(e instanceof CellError)) throw e;
    return {
      ok: false,
      issue: {
        code: e.code,
        message: `${feature.name}: ${e.message}; expected ${CELL_SYNTAX_HELP}`,
        field: feature.name,
        path: [feature.name],
        expected: CELL_SYNTAX_HELP,
      },
    };
  }
}

/** An item as a cell writes it: bare when it reads back as itself, else quoted. */
function formatItem(value: Scalar, feature: Feature): string {
  if (value === null) return 'missing';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  const bare = value;
  const plain =
    bare !== '' &&
    bare.trim() === bare &&
    bare !== 'missing' &&
    bare !== '-' &&
    !/[,'"]/.test(bare) &&
    !/\sand\s/.test(bare) &&
    !/^(?:not|in)(?:\s|$)/.test(bare) &&
    (feature.type === 'categorical'
      ? feature.levels.includes(bare) || !/^[<>=![]/.test(bare)
      : false);
  return plain ? bare : `'${bare.replace(/'/g, "''")}'`;
}

/** A list of items, comma-separated. */
const formatList = (values: Scalar[], feature: Feature): string =>
  values.map((v) => formatItem(v, feature)).join(', ');

/** One [key, value] of a map as a cell writes it, or null when a cell cannot. */
function formatPart(key: string, value: CellValue, feature: Feature): string | null {
  const scalar = (v: unknown): v is Scalar =>
    v === null ||
    (feature.type === 'numeric'
      ? typeof v === 'number' && Number.isFinite(v)
      : typeof v === 'string');
  switch (key) {
    case 'between':
      return Array.isArray(value) &&
        value.length === 2 &&
        value.every((v) => typeof v === 'number' && Number.isFinite(v)) &&
        feature.type === 'numeric'
        ? `[${formatItem(value[0]!, feature)}..${formatItem(value[1]!, feature)}]`
        : null;
    case '<':
    case '<=':
    case '>':
    case '>=':
      return typeof value === 'number' && Number.isFinite(value) && feature.type === 'numeric'
        ? `${key} ${formatItem(value, feature)}`
        : null;
    case 'equal':
      if (!scalar(value) || Array.isArray(value)) return null;
      return value === null ? 'missing' : formatItem(value, feature);
    case 'notEqual':
      if (!scalar(value) || Array.isArray(value)) return null;
      return value === null ? 'not missing' : `!= ${formatItem(value, feature)}`;
    case 'in':
    case 'notIn': {
      if (!Array.isArray(value) || value.length === 0 || !value.every(scalar)) return null;
      // `not missing` alone is notEqual null: a list of just missing says `not in`.
      if (key === 'notIn')
        return `${value.length === 1 && value[0] === null ? 'not in' : 'not'} ${formatList(value, feature)}`;
      return value.length === 1 ? `in ${formatList(value, feature)}` : formatList(value, feature);
    }
    default:
      return null;
  }
}

/**
 * Writes an operator map (any operator name or alias) as a table cell, or null when a cell
 * cannot show it (an unknown operator, a value of the wrong shape, an operator twice).
 *
 * @example
 * formatCell({ lessThan: 18 }, age) // '< 18'
 * formatCell({ equal: null }, age) // 'missing'
 */
export function formatCell(map: unknown, feature: Feature): string | null {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return null;
  const entries = Object.entries(map as Record<string, unknown>);
  if (entries.length === 0) return null;
  const parts = new Map<string, string>();
  for (const [name, value] of entries) {
    const operator = Object.prototype.hasOwnProperty.call(OVERRIDE_OPERATORS, name)
      ? OVERRIDE_OPERATORS[name]!
      : '';
    const key = CELL_KEY[operator];
    if (key === undefined || parts.has(key)) return null;
    const part = formatPart(key, value as CellValue, feature);
    if (part === null) return null;
    parts.set(key, part);
  }
  const text = KEY_ORDER.filter((k) => parts.has(k))
    .map((k) => parts.get(k)!)
    .join(' and ');
  // Whatever a cell cannot read back as the same conditions is left to the YAML view.
  const back = parseCell(text, feature);
  return back.ok && back.value !== null && sameMap(back.value, map as OperatorMap) ? text : null;
}

/** The operator name a map key means (an alias and its name are the same). */
const meaning = (key: string): string => OVERRIDE_OPERATORS[key] ?? key;

/** Two operator maps say the same (aliases equal, values equal). */
export function sameMap(a: OperatorMap, b: OperatorMap): boolean {
  const norm = (m: OperatorMap): string =>
    JSON.stringify(
      Object.entries(m)
        .map(([k, v]) => [meaning(k), v] as const)
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
    );
  return norm(a) === norm(b);
}

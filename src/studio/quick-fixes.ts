import type { Schema } from '../data/types';
import { editDistance, type Issue, nearestName } from '../errors';
import { NUMERIC_ONLY, OVERRIDE_KEYS, OVERRIDE_OPERATORS } from '../overrides/override-operators';
import type { StudioFix } from './contract';

/** How many levels "use a valid level" offers for one unknown level. */
const LEVELS_OFFERED = 3;

/** A scalar written in the text: its range, its value, and how it was quoted. */
interface Token {
  from: number;
  to: number;
  value: string;
  quote: '' | "'" | '"';
}

/** The offset of a 1-based line and column in `text`, or -1 when the text has no such place. */
function offsetOf(text: string, line: number, column: number): number {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', start);
    if (next < 0) return -1;
    start = next + 1;
  }
  const end = text.indexOf('\n', start);
  const offset = start + column - 1;
  return offset <= (end < 0 ? text.length : end) ? offset : -1;
}

/**
 * The scalar starting at `from`: quoted (to its closing quote), or plain (up to a flow
 * indicator, a `: ` that ends a key, a comment or the end of the line). Null for none.
 */
function tokenAt(text: string, from: number): Token | null {
  const first = text[from];
  if (first === "'") {
    const m = /^'((?:[^'\n]|'')*)'/.exec(text.slice(from));
    return m
      ? { from, to: from + m[0].length, value: m[1]!.replace(/''/g, "'"), quote: "'" }
      : null;
  }
  if (first === '"') {
    const m = /^"(?:[^"\\\n]|\\.)*"/.exec(text.slice(from));
    if (!m) return null;
    try {
      return { from, to: from + m[0].length, value: JSON.parse(m[0]) as string, quote: '"' };
    } catch {
      return null;
    }
  }
  const m = /^[^\s,[\]{}#'"](?:[^\n,[\]{}:#]|:(?![\s,\]}]|$)|(?<!\s)#)*/.exec(text.slice(from));
  if (!m) return null;
  const value = m[0].trimEnd();
  return { from, to: from + value.length, value, quote: '' };
}

/** The scalars of a flow list `[a, 'b c', d]` starting at `from` (on one or several lines). */
function flowItems(text: string, from: number): Token[] {
  const items: Token[] = [];
  let at = from + 1;
  for (;;) {
    while (/\s/.test(text[at] ?? '')) at++;
    if (at >= text.length || text[at] === ']') return items;
    const token = tokenAt(text, at);
    if (!token) return items;
    items.push(token);
    at = token.to;
    while (/\s/.test(text[at] ?? '')) at++;
    if (text[at] !== ',') return items;
    at++;
  }
}

const PLAIN = /^[A-Za-z_][\w./-]*(?: [\w./-]+)*$/;
const RESERVED = /^(?:true|false|null|yes|no|on|off|y|n)$/i;

/** `value` written where `token` was, in its quoting when it had one, else plain when YAML reads it back as this text. */
function written(value: string, token: Token): string {
  if (token.quote === '"') return JSON.stringify(value);
  if (token.quote === '' && PLAIN.test(value) && !RESERVED.test(value)) return value;
  return `'${value.replace(/'/g, "''")}'`;
}

/** The fix that writes `name` in place of `token`. */
function replaceBy(token: Token, name: string, label: string): StudioFix {
  return { label, from: token.from, to: token.to, insert: written(name, token) };
}

/** The `n` candidates nearest `name` by edit distance (ties in the candidates' order). */
function nearest(name: string, candidates: readonly string[], n: number): string[] {
  return candidates
    .map((c, i) => ({ c, i, d: editDistance(name.toLowerCase(), c.toLowerCase()) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .slice(0, n)
    .map((x) => x.c);
}

/** The keys a map may hold at an UNKNOWN_KEY issue's path (`[i, key]`, `[i, 'then', key]`, `[i, 'examples', k, key]`). */
function keysAt(path: Issue['path']): readonly string[] {
  if (path?.length === 2) return OVERRIDE_KEYS.override;
  if (path?.length === 3 && path[1] === 'then') return OVERRIDE_KEYS.then;
  if (path?.length === 4 && path[1] === 'examples') return OVERRIDE_KEYS.example;
  return [];
}

/**
 * The one-click fixes for a problem of an override file: "did you mean" for an unknown
 * feature, operator, key or class (the nearest name, as the message suggests it), and "use
 * a valid level" for an unknown level (the nearest levels of its feature). Each fix replaces
 * the exact range of the misspelt scalar, found at the problem's line and column in `text`
 * (the file's text as checked), by the name written as YAML reads it back. None for any
 * other problem, or where the text at the place is not the scalar the problem is about.
 */
export function quickFixes(issue: Issue, text: string, schema: Schema): StudioFix[] {
  if (issue.line === undefined || issue.column === undefined) return [];
  const at = offsetOf(text, issue.line, issue.column);
  if (at < 0) return [];
  const feature = schema.features.find((f) => f.name === issue.field);
  const didYouMean = (candidates: readonly string[]): StudioFix[] => {
    const token = tokenAt(text, at);
    if (!token || candidates.includes(token.value)) return [];
    const near = nearestName(token.value, candidates);
    return near === undefined ? [] : [replaceBy(token, near, `did you mean '${near}'`)];
  };
  switch (issue.code) {
    case 'UNKNOWN_FEATURE':
      return didYouMean(schema.features.map((f) => f.name));
    case 'UNKNOWN_OPERATOR':
      return didYouMean(
        Object.keys(OVERRIDE_OPERATORS).filter(
          (op) => feature?.type !== 'categorical' || !NUMERIC_ONLY.has(OVERRIDE_OPERATORS[op]!),
        ),
      );
    case 'UNKNOWN_KEY':
      return didYouMean(keysAt(issue.path));
    case 'UNKNOWN_CLASS':
      return didYouMean(schema.classes);
    case 'UNKNOWN_CATEGORY': {
      if (feature?.type !== 'categorical') return [];
      const tokens = text[at] === '[' ? flowItems(text, at) : [tokenAt(text, at)];
      return tokens.flatMap((token) =>
        !token ||
        (token.quote === '' && /^(?:null|~)$/.test(token.value)) ||
        feature.levels.includes(token.value)
          ? []
          : nearest(token.value, feature.levels, LEVELS_OFFERED).map((level) =>
              replaceBy(token, level, `use level '${level}' for '${token.value}'`),
            ),
      );
    }
    default:
      return [];
  }
}

import { type Document, LineCounter, parseDocument, type YAMLError } from 'yaml';
import type { Schema } from '../data/types';
import { comparePlaces, didYouMean, type Issue } from '../errors';
import { OVERRIDE_KEYS, OVERRIDE_OPERATORS } from './override-operators';

/** The keys of an override (a list item of the file). */
export const RULE_KEYS = OVERRIDE_KEYS.override;

const isRuleKey = (key: string): boolean => (RULE_KEYS as readonly string[]).includes(key);

/** The keys that group conditions in a `when`. */
const GROUP_KEYS = ['all', 'any', 'not'];

/**
 * How many parser errors are described before the rest is left unsaid: past a few, a
 * mistake's mend is more likely to be wrong than the next error to be a mistake of its own
 * (as compilers stop, the next are shown once these are fixed).
 */
const MAX_ROUNDS = 3;

/** A line that starts with a key: its indentation, list dashes, the key and its column. */
interface KeyLine {
  /** 0-based column where the key starts (after any `- `). */
  column: number;
  key: string;
  /** The line starts a list item (`- id: ...`). */
  item: boolean;
  /** Nothing after the colon but a comment: the key opens a block (`when:`). */
  opens: boolean;
}

/** The indentation and list dashes a line starts with (one quantifier each: linear). */
const LEAD = /^(\s*)((?:-\s+)*)/;

/** Characters that cannot start a plain key, and that cannot be inside one. */
const NOT_FIRST = /[\s#'"{}[\],:]/;
const NOT_INSIDE = /[#{}[\],]/;

/**
 * The key a line starts with, read by hand rather than by one regex: a lazy key followed by
 * `\s*:` backtracks over every run of spaces, and a line of a folded description can hold a
 * million of them (the size limit), which took tens of seconds on every parse. Each step
 * below is linear in the line.
 */
function keyLine(line: string): KeyLine | null {
  const lead = LEAD.exec(line)!;
  const start = lead[0].length;
  const rest = line.slice(start);
  let key: string;
  let after: string;
  const first = rest[0];
  if (first === "'" || first === '"') {
    const close = rest.indexOf(first, 1);
    if (close < 0) return null;
    key = rest.slice(1, close);
    after = rest.slice(close + 1).trimStart();
    if (!after.startsWith(':')) return null;
    after = after.slice(1);
  } else {
    if (first === undefined) return null;
    if (first === '-' ? NOT_FIRST.test(rest[1] ?? ' ') : NOT_FIRST.test(first)) return null;
    const colon = rest.indexOf(':');
    if (colon < 0) return null;
    const raw = rest.slice(0, colon);
    if (NOT_INSIDE.test(raw)) return null;
    key = raw.trimEnd();
    after = rest.slice(colon + 1);
  }
  // After the colon: the end of the line, a space, or a comment.
  if (after !== '' && !/^\s/.test(after) && !after.startsWith('#')) return null;
  const tail = after.trim();
  return {
    column: lead[1]!.length + lead[2]!.length,
    key,
    item: lead[2]!.length > 0,
    opens: tail === '' || tail.startsWith('#'),
  };
}

const indentOf = (line: string): number => /^[ \t]*/.exec(line)![0].length;
const isContent = (line: string): boolean => !/^\s*(#.*)?\r?$/.test(line);

/** One mistake found: the issue, and how to mend the line so the parser can read on. */
interface Mistake {
  issue: Issue;
  /**
   * The 0-based line to mend, and the column to move its key to (null: blank the line, and
   * the lines after it `through` the one given).
   */
  mend: { line: number; column: number | null; through?: number };
}

/**
 * The YAML problems of an override file in plain words, one per mistake: what yaml reports
 * as a cascade of token errors ("Unexpected map-value-ind token in YAML stream") becomes
 * one YAML_SYNTAX problem at the line that is wrong, saying what it should be ("`age` must
 * be indented under `when:` (line 2), at column 5"). A condition left outside its `when:`
 * is found even where the YAML is valid (Enter after `when:` without indenting). Each
 * mistake found is mended (the line moved where it belongs, or left out) and the text
 * parsed again, so the next problem is a mistake of its own, not a consequence. A feature
 * name under a `when:` that is near a feature of the schema is UNKNOWN_FEATURE with a
 * did-you-mean, whatever the structure around it. Empty when the YAML is valid and every
 * condition is in place: the override checks then speak.
 */
export function yamlSyntaxProblems(
  text: string,
  file: string,
  schema: Schema,
  /** The text already parsed (with `uniqueKeys`), so a valid file is parsed once. */
  parsed?: Document,
): Issue[] {
  const features = schema.features.map((f) => f.name);
  const lines = text.split('\n');
  const issues: Issue[] = [];
  const work = [...lines];
  const mend = (m: Mistake): void => {
    issues.push(m.issue);
    const line = work[m.mend.line]!;
    const cr = line.endsWith('\r') ? '\r' : '';
    // A list item's line left out keeps its dash: the keys below it stay its own.
    const item = /^(\s*)-\s/.exec(line);
    const blank = item ? `${item[1]}- _: _${cr}` : cr;
    work[m.mend.line] =
      m.mend.column === null ? blank : ' '.repeat(m.mend.column) + line.trimStart();
    for (let j = m.mend.line + 1; j <= (m.mend.through ?? 0); j++) {
      work[j] = work[j]!.endsWith('\r') ? '\r' : '';
    }
  };
  for (const m of misplacedConditions(lines, features, file)) mend(m);
  const said = new Set(issues.map((i) => i.line!));
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (round === 0 && issues.length === 0 && parsed?.errors.length === 0) break;
    const counter = new LineCounter();
    const doc = parseDocument(work.join('\n'), { lineCounter: counter, uniqueKeys: true });
    const first = [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0])[0];
    if (!first) break;
    const line = counter.linePos(first.pos[0]).line - 1;
    if (/alias/i.test(first.message)) {
      // Aliases are a limit of their own, as they were before plain words.
      issues.push({ code: 'OVERRIDE_LIMIT', message: first.message.split('\n')[0]!, file });
      break;
    }
    const mistake = describe(first, work, line, file);
    // A line already found wrong is wrong again only as a consequence of the mend (a
    // list item left out, its keys now another item's): say no more than what is sure.
    if (said.has(mistake.issue.line!)) break;
    said.add(mistake.issue.line!);
    mend(mistake);
  }
  if (issues.length === 0) return [];
  issues.push(...misspeltFeatures(lines, features, file));
  return issues.sort(comparePlaces);
}

/** The 0-based lines of the blocks opened by `when:`, each with the `when:` line. */
function whenBlocks(lines: readonly string[]): { when: number; column: number; body: number[] }[] {
  const blocks: { when: number; column: number; body: number[] }[] = [];
  lines.forEach((line, w) => {
    const k = keyLine(line);
    if (!k || k.key !== 'when' || !k.opens) return;
    const body: number[] = [];
    for (let j = w + 1; j < lines.length; j++) {
      const l = lines[j]!;
      if (!isContent(l)) continue;
      const kj = keyLine(l);
      // The block ends at the override's next key, or at the next override.
      if (kj && isRuleKey(kj.key) && kj.column <= k.column) break;
      if (/^\s*-/.test(l) && indentOf(l) < k.column) break;
      body.push(j);
    }
    blocks.push({ when: w, column: k.column, body });
  });
  return blocks;
}

/**
 * Conditions of a `when:` block on the wrong column, one YAML_SYNTAX each, mended to the
 * column they belong on: the column most of the block's conditions right of `when` share
 * (two columns right of `when` on a tie that includes it, and where none is right of it).
 * A condition at the column of `when` or left of it (Enter after `when:` without
 * indenting) is found even where the YAML is valid. In a block with `all`, `any` or `not`,
 * whose nested conditions sit further right by right, only those are.
 */
function misplacedConditions(
  lines: readonly string[],
  features: readonly string[],
  file: string,
): Mistake[] {
  const out: Mistake[] = [];
  const isCondition = (key: string): boolean =>
    features.includes(key) ||
    GROUP_KEYS.includes(key) ||
    (didYouMean(key, features) !== '' && !isRuleKey(key) && !(key in OVERRIDE_OPERATORS));
  for (const block of whenBlocks(lines)) {
    // A `when:` off its override's column is a mistake of its own, which the parser finds.
    const item = previous(lines, block.when + 1, (p) => p.item);
    if (item && item.k.column !== block.column) continue;
    const conditions = block.body
      // A tab in the indentation is a mistake of its own, which the parser finds.
      .filter((j) => !/^\s*\t/.test(lines[j]!))
      .map((j) => ({ j, k: keyLine(lines[j]!) }))
      .filter((c): c is { j: number; k: KeyLine } => c.k !== null && isCondition(c.k.key));
    const grouped = conditions.some((c) => GROUP_KEYS.includes(c.k.key));
    const column = conditionColumn(
      conditions.map((c) => c.k.column).filter((col) => col > block.column),
      block.column + 2,
    );
    const like = conditions.find((c) => c.k.column === column);
    for (const { j, k } of conditions) {
      if (grouped ? k.column > block.column : k.column === column) continue;
      const message =
        k.column <= block.column
          ? `\`${k.key}\` must be indented under \`when:\` (line ${block.when + 1}): start it at column ${column + 1}${like ? `, as line ${like.j + 1}` : ''}`
          : `\`${k.key}\` ${k.column > column ? 'is indented too far' : 'is not indented enough'}: start it at column ${column + 1}${like ? `, in line with \`${like.k.key}\` on line ${like.j + 1}` : ''}`;
      out.push({
        issue: {
          code: 'YAML_SYNTAX',
          message,
          file,
          line: j + 1,
          column: k.column + 1,
          field: k.key,
        },
        mend: { line: j, column },
      });
    }
  }
  return out;
}

/** The column most of `columns` share; `usual` on a tie that includes it, or when none. */
function conditionColumn(columns: readonly number[], usual: number): number {
  const counts = new Map<number, number>();
  for (const c of columns) counts.set(c, (counts.get(c) ?? 0) + 1);
  let best = usual;
  let most = counts.get(usual) ?? 0;
  for (const [c, n] of counts) {
    if (n > most) [best, most] = [c, n];
  }
  return best;
}

/** Keys under a `when:` that are no feature, group or operator but near a feature's name. */
function misspeltFeatures(lines: readonly string[], features: readonly string[], file: string) {
  const out: Issue[] = [];
  const known = new Set([...features, ...GROUP_KEYS, ...Object.keys(OVERRIDE_OPERATORS)]);
  for (const block of whenBlocks(lines)) {
    for (const j of block.body) {
      const k = keyLine(lines[j]!);
      if (!k || known.has(k.key)) continue;
      const near = didYouMean(k.key, features);
      if (!near) continue;
      out.push({
        code: 'UNKNOWN_FEATURE',
        message: `unknown feature '${k.key}'${near}`,
        file,
        line: j + 1,
        column: k.column + 1,
        field: k.key,
      });
    }
  }
  return out;
}

/** The first parser error, in plain words at the line that is wrong, and how to mend it. */
function describe(error: YAMLError, lines: readonly string[], at: number, file: string): Mistake {
  const issue = (line: number, column: number, message: string): Issue => ({
    code: 'YAML_SYNTAX',
    message,
    file,
    line: line + 1,
    column: column + 1,
  });
  const text = lines[at] ?? '';
  const blank = (message: string, column = indentOf(text)): Mistake => ({
    issue: issue(at, column, message),
    mend: { line: at, column: null },
  });
  if (error.code === 'TAB_AS_INDENT') {
    return blank(`line ${at + 1} is indented with a tab: indent with spaces`, 0);
  }
  if (error.code === 'DUPLICATE_KEY') {
    const k = keyLine(text);
    const name = k ? `\`${k.key}\`` : 'this key';
    return blank(`${name} is written twice in the same block: keep one`, k?.column);
  }
  if (error.code === 'BAD_SCALAR_START') {
    const column = error.linePos ? error.linePos[0].col - 1 : indentOf(text);
    const ch = text[column] ?? '';
    return blank(`a value cannot start with \`${ch}\`: put it in quotes`, column);
  }
  if (error.code === 'MISSING_CHAR' && /quote/i.test(error.message)) {
    const quote = /"/.test(error.message) ? '"' : "'";
    // yaml points at the end of the text; the quote opens on the last line above with an
    // odd number of them.
    for (let j = Math.min(at, lines.length - 1); j >= 0; j--) {
      const l = lines[j]!;
      if (l.split(quote).length % 2 === 1) continue;
      return {
        issue: issue(
          j,
          l.lastIndexOf(quote),
          `the quote ${quote} is not closed: add ${quote} at the end of the text`,
        ),
        mend: { line: j, column: null },
      };
    }
    return honest(error, lines, at, file);
  }
  if (error.code === 'MULTIPLE_DOCS' || /^---(\s|$)/.test(text)) {
    return blank(
      'one list of overrides per file: remove this `---` and write the overrides after it as items of the list above',
      0,
    );
  }
  const colon = colonInValue(lines, at);
  if (colon) {
    return {
      issue: issue(
        colon.line,
        colon.column,
        `the value of \`${colon.key}\` holds \`: \`, which YAML reads as a key: put the value in quotes`,
      ),
      mend: { line: colon.line, column: null },
    };
  }
  const word = noColon(lines, at);
  if (word !== null) {
    const l = lines[word]!;
    return {
      issue: issue(
        word,
        indentOf(l),
        `\`${l.trim()}\` is no key: a key is followed by \`: \` and its value (\`owner: credit\`)`,
      ),
      mend: { line: word, column: null },
    };
  }
  if (/flow (map|sequence|collection)/i.test(error.message)) {
    return unclosed(lines, at, issue) ?? honest(error, lines, at, file);
  }
  if (error.code === 'BLOCK_AS_IMPLICIT_KEY' || error.code === 'MULTILINE_IMPLICIT_KEY') {
    // yaml points at the value before a line indented too far: that line is the mistake.
    const next = lines.findIndex((l, j) => j > at && isContent(l));
    const moved = next >= 0 && keyLine(lines[next]!) ? indentation(lines, next, issue) : null;
    if (moved) return moved;
  }
  const k = keyLine(text);
  if (k) return indentation(lines, at, issue) ?? honest(error, lines, at, file);
  return honest(error, lines, at, file);
}

/** yaml's token names, in the characters an expert writes. */
const TOKENS: [RegExp, string][] = [
  [/map-value-ind/g, '`:`'],
  [/seq-item-ind/g, '`-`'],
  [/explicit-key-ind/g, '`?`'],
  [/flow-map-start/g, '`{`'],
  [/flow-map-end/g, '`}`'],
  [/flow-seq-start/g, '`[`'],
  [/flow-seq-end/g, '`]`'],
  [/comma/g, '`,`'],
  [/doc-start/g, '`---`'],
  [/doc-end/g, '`...`'],
  [/(block|flow)-scalar/g, 'text'],
  [/scalar/g, 'value'],
  [/ in YAML stream/g, ''],
  [/ token/g, ''],
  [/maximum call stack size exceeded/i, 'brackets are nested too deep'],
];

/**
 * What yaml says, at its place, where no cause can be named with confidence: a wrong cause
 * misleads more than an honest "cannot read". The message is yaml's first line without its
 * place (the issue has it) and with its token names as the characters they stand for.
 */
function honest(error: YAMLError, lines: readonly string[], at: number, file: string): Mistake {
  const column = Math.min(error.linePos ? error.linePos[0].col - 1 : 0, (lines[at] ?? '').length);
  let said = error.message.split('\n')[0]!.replace(/\s*at line \d+, column \d+:?\s*$/, '');
  for (const [token, words] of TOKENS) said = said.replace(token, words);
  return {
    issue: {
      code: 'YAML_SYNTAX',
      message: `YAML cannot read this: ${said.charAt(0).toLowerCase()}${said.slice(1)}`,
      file,
      line: Math.min(at, Math.max(lines.length - 1, 0)) + 1,
      column: Math.max(column, 0) + 1,
    },
    mend: { line: Math.min(at, Math.max(lines.length - 1, 0)), column: null },
  };
}

/** A plain value with `: ` in it (`description: Rule: minors`) at or just above `at`. */
function colonInValue(
  lines: readonly string[],
  at: number,
): { line: number; column: number; key: string } | null {
  for (let j = Math.min(at, lines.length - 1), seen = 0; j >= 0 && seen < 2; j--) {
    const l = lines[j]!;
    if (!isContent(l)) continue;
    seen++;
    const k = keyLine(l);
    if (!k) continue;
    const colon = l.indexOf(':', k.column + k.key.length);
    const value = l.slice(colon + 1).trim();
    if (value.startsWith('{')) {
      const inFlow = colonInFlow(l, l.indexOf('{', colon));
      if (inFlow) return { line: j, ...inFlow };
      continue;
    }
    if (/^['"[|>&*!#]/.test(value) || !/:(\s|$)/.test(value)) continue;
    return { line: j, column: l.length - l.slice(colon + 1).trimStart().length, key: k.key };
  }
  return null;
}

/**
 * A plain value with `: ` in a one-line flow map (`{ class: bad: worse }`): its column and
 * key. Quotes and nested brackets are left to yaml (null), so a guess is never made there.
 */
function colonInFlow(line: string, open: number): { column: number; key: string } | null {
  const close = line.lastIndexOf('}');
  if (close < open) return null;
  const inner = line.slice(open + 1, close);
  if (/['"{}[\]]/.test(inner)) return null;
  let start = open + 1;
  for (const item of inner.split(',')) {
    const colon = item.indexOf(':');
    const rest = item.slice(colon + 1);
    if (colon >= 0 && /:(\s|$)/.test(rest.trim())) {
      return {
        column: start + colon + 1 + (rest.length - rest.trimStart().length),
        key: item.slice(0, colon).trim(),
      };
    }
    start += item.length + 1;
  }
  return null;
}

/** A line of one bare word where a key belongs (`ownercredit`), at or just above `at`. */
function noColon(lines: readonly string[], at: number): number | null {
  for (let j = Math.min(at, lines.length - 1), seen = 0; j >= 0 && seen < 2; j--) {
    const l = lines[j]!;
    if (!isContent(l)) continue;
    seen++;
    if (keyLine(l) || !/^\s*[\w-]+\s*\r?$/.test(l)) continue;
    // A word in line with a key of the block above it: a key without its colon.
    const above = previous(lines, j, () => true);
    if (above && above.k.column === indentOf(l)) return j;
  }
  return null;
}

/**
 * A key on the wrong column: where it belongs (an override's key in line with the other
 * keys of its override, a condition in line with the conditions above it, anything else in
 * line with the key above it), and the mend that moves it there.
 */
function indentation(
  lines: readonly string[],
  at: number,
  issue: (line: number, column: number, message: string) => Issue,
): Mistake | null {
  const k = keyLine(lines[at]!)!;
  let target: number | undefined;
  let like = '';
  if (target === undefined && isRuleKey(k.key)) {
    const dash = (j: number): number => indentOf(lines[j]!);
    // Its override: the nearest list item whose dash is left of the key (not an example's).
    const own = k.item
      ? { line: at, k }
      : previous(lines, at, (p) => p.item && p.column - 2 < k.column);
    const item =
      own && own.line !== at
        ? own
        : (previous(lines, at, (p) => p.item && p.column - 2 < k.column) ??
          previous(lines, at, (p) => p.item));
    const first = lines.findIndex((l) => /^\s*-\s/.test(l));
    if (own && first >= 0 && first !== own.line && dash(own.line) !== dash(first)) {
      // The override's own dash is off the list's column, not its keys.
      const off = dash(own.line) > dash(first) ? 'is indented too far' : 'is not indented enough';
      return {
        issue: issue(
          own.line,
          dash(own.line),
          `this override's \`-\` ${off}: start it at column ${dash(first) + 1}, as line ${first + 1}`,
        ),
        mend: { line: own.line, column: dash(first) },
      };
    }
    if (item) {
      target = item.k.column;
      like = `, in line with \`${item.k.key}\` on line ${item.line + 1}`;
    }
  }
  if (target === undefined) {
    const sibling = previous(lines, at, () => true);
    if (sibling) {
      target =
        sibling.k.opens && sibling.k.column < k.column ? sibling.k.column + 2 : sibling.k.column;
      like = sibling.k.opens
        ? `, under \`${sibling.k.key}:\` on line ${sibling.line + 1}`
        : `, in line with \`${sibling.k.key}\` on line ${sibling.line + 1}`;
    }
  }
  if (target === undefined) target = 0;
  // Already where it belongs: the cause is elsewhere, and this is no diagnosis of it.
  if (target === k.column) return null;
  const where = k.column > target ? 'is indented too far' : 'is not indented enough';
  return {
    issue: issue(at, k.column, `\`${k.key}\` ${where}: start it at column ${target + 1}${like}`),
    mend: { line: at, column: target },
  };
}

/** The nearest key line above `at` (content lines only) that `accept` takes. */
function previous(
  lines: readonly string[],
  at: number,
  accept: (k: KeyLine) => boolean,
): { line: number; k: KeyLine } | null {
  for (let j = at - 1; j >= 0; j--) {
    if (!isContent(lines[j]!)) continue;
    const k = keyLine(lines[j]!);
    if (k && accept(k)) return { line: j, k };
  }
  return null;
}

/**
 * A `{` or `[` left open: the problem is at the bracket, on the last line above the error
 * that leaves one open; the mend closes it at the end of that line.
 */
function unclosed(
  lines: readonly string[],
  at: number,
  issue: (line: number, column: number, message: string) => Issue,
): Mistake | null {
  for (let j = Math.min(at, lines.length - 1); j >= 0; j--) {
    const open = openBrackets(lines[j]!);
    if (!open.length) continue;
    const { ch, column } = open[open.length - 1]!;
    const close = ch === '{' ? '}' : ']';
    // Closed on a later line: the lines between are what is not indented enough.
    let stack = open;
    for (let m = j + 1; m < lines.length && m <= at + 1; m++) {
      stack = openBrackets(lines[m]!, stack);
      if (stack.length > 0) continue;
      return {
        issue: issue(
          j,
          column,
          `the \`${ch}\` here is closed on line ${m + 1}, but the lines after it are not indented enough: put it on one line, or indent its other lines further than this one`,
        ),
        mend: { line: j, column: null, through: m },
      };
    }
    return {
      issue: issue(
        j,
        column,
        `the \`${ch}\` here is not closed: add \`${close}\` at the end of its line`,
      ),
      // Leave the line out: what follows it is then read as it stands.
      mend: { line: j, column: null },
    };
  }
  return null;
}

/**
 * The brackets a line opens and does not close (outside quotes and comments), after those
 * left open before it (`open`).
 */
function openBrackets(
  line: string,
  open: readonly { ch: string; column: number }[] = [],
): { ch: string; column: number }[] {
  const stack = [...open];
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1]!))) break;
    else if (ch === '{' || ch === '[') stack.push({ ch, column: i });
    else if (ch === '}' || ch === ']') stack.pop();
  }
  return stack;
}

/**
 * Indentation of override YAML as an expert types it, on plain line texts (no DOM, no
 * editor: tested in node, test/web/yaml-indent.test.ts; `editor.ts` binds it to Enter and
 * Backspace). YAML's structure is its indentation, so a new line starts where the structure
 * goes on, and Backspace in the indentation moves a line only to a column where it still
 * belongs to some map or list above it: never one space, which YAML reads as a new block.
 */

/** One step of indentation, as the studio, the docs and the example files write it. */
export const INDENT = 2;

/** A line's parts: its indentation, where its map's keys start, and what follows. */
interface LineShape {
  indent: number;
  /** The column its key (or scalar) starts at: after `- ` for a list item. */
  keyColumn: number;
  item: boolean;
  /** The text after the indentation and any `- `, its comment dropped, trimmed at the end. */
  content: string;
}

/** A comment: `#` at the start or after a space, outside quotes. */
function dropComment(text: string): string {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) return text.slice(0, i);
  }
  return text;
}

function shapeOf(line: string): LineShape {
  const text = dropComment(line).trimEnd();
  const indent = text.length - text.trimStart().length;
  const dash = /^-(?:\s+|$)/.exec(text.slice(indent));
  return dash
    ? {
        indent,
        keyColumn: indent + Math.max(dash[0].length, INDENT),
        item: true,
        content: text.slice(indent + dash[0].length),
      }
    : { indent, keyColumn: indent, item: false, content: text.slice(indent) };
}

const isBlank = (line: string): boolean => dropComment(line).trim() === '';

/**
 * Whether a line's content opens a block below it: a key with no value (`when:`), a block
 * scalar (`description: |`), or an open flow collection (`{`, `[`).
 */
function opensBlock(shape: LineShape): boolean {
  return /:$|:\s+[|>][+-]?\d*$|[{[]$/.test(shape.content);
}

/** Whether a line's content is a `key: value` (or `key:`), not a lone scalar. */
const isKey = (content: string): boolean =>
  /^(?:'(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[^\s'"#{[][^#]*?)\s*:(?:\s|$)/.test(content);

/**
 * The indentation of the line Enter starts, given the text of the cursor's line before the
 * cursor: one step deeper after `key:` (or `- key:`, a block scalar, an open `{`/`[`);
 * after a list item holding a map (`- id: x`), aligned with the item's keys; after `key:
 * value`, aligned with that key; on a line of spaces only, those spaces.
 */
export function newLineIndent(before: string): number {
  if (isBlank(before)) return before.length - before.trimStart().length;
  const shape = shapeOf(before);
  // A bare `-`: its item's content goes where its keys would.
  if (shape.item && shape.content === '') return shape.keyColumn;
  if (opensBlock(shape)) return shape.keyColumn + INDENT;
  if (shape.item) return isKey(shape.content) ? shape.keyColumn : shape.indent;
  return shape.indent;
}

/**
 * The columns a line may start at below `above` (the lines before it, top first) without
 * leaving the structure those lines build: a child of the line just above if it opens a
 * block, and beside each enclosing line: as another key of its map, or, for a `- ` line
 * (`item`), as another item of its list. Of a blank line (`item` undefined), either.
 */
export function validColumns(above: readonly string[], item?: boolean): number[] {
  const columns = new Set<number>();
  let enclosing = Infinity;
  for (let i = above.length - 1; i >= 0 && enclosing > 0; i--) {
    if (isBlank(above[i]!)) continue;
    const shape = shapeOf(above[i]!);
    if (shape.indent >= enclosing) continue;
    if (enclosing === Infinity && opensBlock(shape)) columns.add(shape.keyColumn + INDENT);
    if (item !== true) columns.add(shape.keyColumn);
    if (item !== false && shape.item) columns.add(shape.indent);
    enclosing = shape.indent;
  }
  return [...columns].sort((a, b) => a - b);
}

/**
 * Where Backspace takes the cursor of a line whose text before `column` is spaces only:
 * to the nearest valid column to its left ({@link validColumns}), so the line's content
 * stays inside the structure above it; `column` itself (nothing to delete) when no column
 * to the left is valid for it, except on a blank line, which goes to 0. Null when the text
 * before the cursor is not all spaces, or the cursor is at the start: an ordinary Backspace.
 */
export function backspaceColumn(
  above: readonly string[],
  line: string,
  column: number,
): number | null {
  if (column === 0 || !/^ *$/.test(line.slice(0, column))) return null;
  const rest = line.slice(column).trimStart();
  const blank = isBlank(rest);
  const item = blank ? undefined : /^-(?:\s|$)/.test(rest);
  const left = validColumns(above, item).filter((c) => c < column);
  if (left.length) return left[left.length - 1]!;
  return blank ? 0 : column;
}

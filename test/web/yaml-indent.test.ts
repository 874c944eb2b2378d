import { parseDocument } from 'yaml';
import { backspaceColumn, newLineIndent, validColumns } from '../../src/web/studio/yaml-indent';

const policy = [
  '- id: young', // 1
  '  when:', // 2
  "    age: { '<': 21 }", // 3
  "    credit_amount: { '>': 5000 }", // 4
  '  then: { class: bad }', // 5
  '  examples:', // 6
  '    - input: { age: 19 }', // 7
  '      expect: bad', // 8
];

/** The lines above line `n` (1-based). */
const above = (n: number) => policy.slice(0, n - 1);

/** The text with line `n` moved to start at `column`. */
const movedTo = (n: number, column: number) =>
  policy.map((l, i) => (i === n - 1 ? ' '.repeat(column) + l.trimStart() : l)).join('\n');

describe('Enter', () => {
  test.each([
    ['- id: young', 2, 'a list item holding a map: aligned with its keys'],
    ['  when:', 4, 'a key with no value: one step deeper'],
    ['  when:   # the conditions', 4, 'a comment after it changes nothing'],
    ["    age: { '<': 21 }", 4, 'a condition: aligned with it'],
    ['  then: { class: bad }', 2, 'a key with a value: aligned with it'],
    ['  examples:', 4, 'a key opening a list: one step deeper'],
    ['    - input:', 8, "a list item's key with no value: one step deeper than the key"],
    ['    - input: { age: 19 }', 6, "a list item's key with a value: aligned with the key"],
    ['      - education', 6, 'a list item holding a scalar: aligned with the dash'],
    ['  description: |', 4, 'a block scalar: one step deeper'],
    ['    purpose: { in: [', 6, 'an open flow list: one step deeper'],
    ['-', 2, 'a bare dash: its content'],
    ['    ', 4, 'a line of spaces: kept'],
    ["  reason: 'a: b # c'", 2, "a ':' or '#' inside quotes is not a key or a comment"],
  ])('after %j: %i (%s)', (before, indent) => {
    expect(newLineIndent(before)).toBe(indent);
  });

  test('Enter alone writes the nested lines of an override', () => {
    // Each line below a key or an item, from the line above it.
    expect([3, 4, 7, 8].map((n) => newLineIndent(policy[n - 2]!))).toEqual([4, 4, 4, 6]);
  });
});

describe('Backspace in the indentation', () => {
  test('the valid columns of a key and of an item below each line', () => {
    expect(validColumns(above(4), false)).toEqual([2, 4]);
    expect(validColumns(above(3), false)).toEqual([2, 4]);
    expect(validColumns(above(8), false)).toEqual([2, 6]);
    expect(validColumns(above(8), true)).toEqual([0, 4]);
    expect(validColumns(above(8))).toEqual([0, 2, 4, 6]);
  });

  test('goes one level left, never one space, and stops where no column is valid', () => {
    // A condition: to the override's keys (column 2), then nowhere: column 0 would end the list.
    expect(backspaceColumn(above(4), policy[3]!, 4)).toBe(2);
    expect(backspaceColumn(above(4), movedTo(4, 2).split('\n')[3]!, 2)).toBe(2);
    // An example's key: to the override's keys.
    expect(backspaceColumn(above(8), policy[7]!, 6)).toBe(2);
    // A list item: to the list of overrides.
    expect(backspaceColumn(above(8), '    - input: {}', 4)).toBe(0);
    // An odd column goes to the valid column left of it.
    expect(backspaceColumn(above(4), '     credit_amount: 1', 5)).toBe(4);
    // A blank line goes all the way.
    expect(backspaceColumn(above(4), '  ', 2)).toBe(0);
  });

  test('an ordinary Backspace outside the indentation or at the start of a line', () => {
    expect(backspaceColumn(above(4), policy[3]!, 0)).toBeNull();
    expect(backspaceColumn(above(4), policy[3]!, 8)).toBeNull();
  });

  test('two Backspaces leave valid YAML (one unknown key, not a syntax error)', () => {
    let column = 4;
    for (let i = 0; i < 2; i++) {
      const text = movedTo(4, column).split('\n');
      column = backspaceColumn(above(4), text[3]!, column)!;
    }
    expect(column).toBe(2);
    const doc = parseDocument(movedTo(4, column));
    expect(doc.errors).toEqual([]);
    // Every column a default Backspace would reach instead breaks the YAML or moves the line.
    expect(parseDocument(movedTo(4, 0)).errors.length).toBeGreaterThan(0);
    expect(parseDocument(movedTo(4, 3)).errors.length).toBeGreaterThan(0);
  });
});

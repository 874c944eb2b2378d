import fc from 'fast-check';
import {
  conflictsOf,
  mergedText,
  mergeThreeWay,
  splitLines,
} from '../../src/web/studio/three-way-merge';

/** Lines of YAML-like text, possibly repeated, the last one with or without a line break. */
const text = fc
  .tuple(fc.array(fc.constantFrom('a', 'b', '- id: x', '  when:', '', 'c: 1'), { maxLength: 12 }))
  .chain(([lines]) =>
    fc.boolean().map((end) => (lines.length ? lines.join('\n') + (end ? '\n' : '') : '')),
  );

/** A base of distinct lines, and what each side does to its own distinct lines. */
type Change = 'keep' | 'mine' | 'theirs' | 'mine-drop' | 'theirs-drop';
const disjointEdits = fc
  .array(fc.constantFrom<Change>('keep', 'keep', 'mine', 'theirs', 'mine-drop', 'theirs-drop'), {
    minLength: 1,
    maxLength: 15,
  })
  .map((changes) => {
    const base = changes.map((_, i) => `line ${i}\n`);
    const side = (who: 'mine' | 'theirs'): string[] =>
      base.flatMap((line, i) =>
        changes[i] === who ? [`${who} ${i}\n`] : changes[i] === `${who}-drop` ? [] : [line],
      );
    const both = base.flatMap((line, i) => {
      const c = changes[i]!;
      return c === 'mine' || c === 'theirs' ? [`${c} ${i}\n`] : c.endsWith('-drop') ? [] : [line];
    });
    return {
      base: base.join(''),
      mine: side('mine').join(''),
      theirs: side('theirs').join(''),
      both: both.join(''),
    };
  });

describe('mergeThreeWay', () => {
  test('splitLines keeps each line break, and the last line without one', () => {
    expect(splitLines('')).toEqual([]);
    expect(splitLines('a\nb')).toEqual(['a\n', 'b']);
    expect(splitLines('a\n\nb\n')).toEqual(['a\n', '\n', 'b\n']);
  });

  test.each([
    [
      'changes of different lines are both taken',
      'a\nb\nc\nd\n',
      'A\nb\nc\nd\n',
      'a\nb\nc\nD\n',
      'A\nb\nc\nD\n',
    ],
    [
      'changes of neighbouring lines are both taken',
      'a\nb\nc\n',
      'a\nB\nc\n',
      'a\nb\nC\n',
      'a\nB\nC\n',
    ],
    [
      'the same change on both sides is taken once',
      'a\nb\n',
      'a\nB\nx\n',
      'a\nB\nx\n',
      'a\nB\nx\n',
    ],
    [
      "an insertion at the edge of the other side's change is taken",
      'a\nb\n',
      'a\nx\nb\n',
      'a\nB\n',
      'a\nx\nB\n',
    ],
  ])('%s', (_, base, mine, theirs, merged) => {
    const chunks = mergeThreeWay(base, mine, theirs);
    expect(conflictsOf(chunks)).toEqual([]);
    expect(mergedText(chunks)).toBe(merged);
  });

  test('different changes of one line are a conflict with the base and both sides', () => {
    const chunks = mergeThreeWay('a\nb\nc\n', 'a\nmine\nc\n', 'a\ntheirs\nc\n');
    expect(conflictsOf(chunks)).toEqual([
      { kind: 'conflict', base: ['b\n'], mine: ['mine\n'], theirs: ['theirs\n'] },
    ]);
    expect(mergedText(chunks, ['mine'])).toBe('a\nmine\nc\n');
    expect(mergedText(chunks, ['theirs'])).toBe('a\ntheirs\nc\n');
    expect(mergedText(chunks, ['both'])).toBe('a\nmine\ntheirs\nc\n');
    expect(mergedText(chunks)).toBe('a\n<<<<<<< mine\nmine\n=======\ntheirs\n>>>>>>> theirs\nc\n');
  });

  test('two insertions at one place are a conflict', () => {
    expect(conflictsOf(mergeThreeWay('a\nb\n', 'a\nx\nb\n', 'a\ny\nb\n'))).toHaveLength(1);
  });

  test('a last line without a line break, picked both, keeps the lines apart', () => {
    const chunks = mergeThreeWay('a\nb', 'a\nm', 'a\nt');
    expect(mergedText(chunks, ['both'])).toBe('a\nm\nt');
  });

  test('merge(base, mine, base) is mine, and merge(base, base, theirs) is theirs', () => {
    fc.assert(
      fc.property(text, text, (base, other) => {
        const a = mergeThreeWay(base, other, base);
        const b = mergeThreeWay(base, base, other);
        return (
          conflictsOf(a).length === 0 &&
          mergedText(a) === other &&
          conflictsOf(b).length === 0 &&
          mergedText(b) === other
        );
      }),
    );
  });

  test('merge(base, x, x) is x', () => {
    fc.assert(
      fc.property(text, text, (base, x) => {
        const chunks = mergeThreeWay(base, x, x);
        return conflictsOf(chunks).length === 0 && mergedText(chunks) === x;
      }),
    );
  });

  test('edits of different lines never conflict, and the merge holds both', () => {
    fc.assert(
      fc.property(disjointEdits, ({ base, mine, theirs, both }) => {
        const chunks = mergeThreeWay(base, mine, theirs);
        return conflictsOf(chunks).length === 0 && mergedText(chunks) === both;
      }),
    );
  });

  test('the merge is symmetric: swapping the sides swaps each conflict', () => {
    fc.assert(
      fc.property(text, text, text, (base, mine, theirs) => {
        const ab = conflictsOf(mergeThreeWay(base, mine, theirs));
        const ba = conflictsOf(mergeThreeWay(base, theirs, mine));
        return (
          ab.length === ba.length && ab.every((c, i) => c.mine.join('') === ba[i]!.theirs.join(''))
        );
      }),
    );
  });
});

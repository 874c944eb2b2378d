/**
 * A three-way merge of lines, as `diff3` and git make it: the changes from `base` to `mine`
 * and from `base` to `theirs`, each found with jsdiff's `diffArrays` over the lines (jsdiff 8
 * has no merge of its own), are taken together where they touch different lines of `base`;
 * where both change the same lines differently, the merge holds a conflict for the user to
 * pick. Pure: strings in, plain data out.
 */
import { diffArrays } from 'diff';

/** Lines taken as they are: unchanged, changed on one side, or changed alike on both. */
export interface MergedLines {
  kind: 'merged';
  lines: string[];
}

/** Lines both sides changed differently: what each made of the base's lines. */
export interface MergeConflict {
  kind: 'conflict';
  base: string[];
  mine: string[];
  theirs: string[];
}

/** The merge, in the order of the text. */
export type MergeChunk = MergedLines | MergeConflict;

/** How a conflict is resolved: one side, or both (mine first). */
export type ConflictPick = 'mine' | 'theirs' | 'both';

/** A change of one side: the base's lines `[from, to)` become `lines`. */
interface Edit {
  side: 'mine' | 'theirs';
  from: number;
  to: number;
  lines: string[];
}

/** A text's lines, each with its line break (the last one may have none). */
export function splitLines(text: string): string[] {
  return text === '' ? [] : text.split(/(?<=\n)/);
}

/** The edits that turn `base` into `other`, in order. */
function editsOf(base: string[], other: string[], side: Edit['side']): Edit[] {
  const edits: Edit[] = [];
  let at = 0;
  for (const part of diffArrays(base, other)) {
    const last = edits[edits.length - 1];
    // A removal and an addition next to each other are one edit of the lines they replace.
    const edit = last && last.to === at ? last : null;
    if (part.added) {
      if (edit) edit.lines.push(...part.value);
      else edits.push({ side, from: at, to: at, lines: [...part.value] });
    } else if (part.removed) {
      if (edit) edit.to += part.count;
      else edits.push({ side, from: at, to: at + part.count, lines: [] });
      at += part.count;
    } else at += part.count;
  }
  return edits;
}

/**
 * Whether two edits touch the same lines of the base: overlapping ranges, two insertions at
 * one place, or an insertion inside the other's range. An insertion at the edge of the
 * other's range does not: it goes before or after it.
 */
function overlaps(a: Edit, b: Edit): boolean {
  if (a.from === a.to && b.from === b.to) return a.from === b.from;
  if (a.from === a.to) return b.from < a.from && a.from < b.to;
  if (b.from === b.to) return a.from < b.from && b.from < a.to;
  return a.from < b.to && b.from < a.to;
}

/** The base's lines `[from, to)` with one side's edits (all inside that range) made. */
function applyEdits(base: string[], from: number, to: number, edits: Edit[]): string[] {
  const out: string[] = [];
  let at = from;
  for (const e of edits) {
    out.push(...base.slice(at, e.from), ...e.lines);
    at = e.to;
  }
  out.push(...base.slice(at, to));
  return out;
}

const same = (a: string[], b: string[]): boolean =>
  a.length === b.length && a.every((line, i) => line === b[i]);

/**
 * Merges `mine` and `theirs`, both edited from `base`: every change only one side made is
 * taken, a change both made alike is taken once, and changes of the same lines that differ
 * are a conflict.
 *
 * @example
 * mergeThreeWay('a\nb\nc\n', 'A\nb\nc\n', 'a\nb\nC\n') // one merged chunk: 'A\nb\nC\n'
 */
export function mergeThreeWay(base: string, mine: string, theirs: string): MergeChunk[] {
  const baseLines = splitLines(base);
  const edits = [
    ...editsOf(baseLines, splitLines(mine), 'mine'),
    ...editsOf(baseLines, splitLines(theirs), 'theirs'),
  ].sort((a, b) => a.from - b.from || a.to - b.to);
  const chunks: MergeChunk[] = [];
  const keep = (lines: string[]): void => {
    if (lines.length === 0) return;
    const last = chunks[chunks.length - 1];
    if (last?.kind === 'merged') last.lines.push(...lines);
    else chunks.push({ kind: 'merged', lines: [...lines] });
  };
  let at = 0;
  let i = 0;
  while (i < edits.length) {
    // A group: edits that touch each other's lines, transitively.
    const group = [edits[i]!];
    let from = group[0]!.from;
    let to = group[0]!.to;
    for (i++; i < edits.length && group.some((g) => overlaps(g, edits[i]!)); i++) {
      group.push(edits[i]!);
      to = Math.max(to, edits[i]!.to);
    }
    from = Math.min(from, ...group.map((g) => g.from));
    keep(baseLines.slice(at, from));
    const ofSide = (side: Edit['side']): string[] =>
      applyEdits(
        baseLines,
        from,
        to,
        group.filter((g) => g.side === side),
      );
    const mineLines = ofSide('mine');
    const theirLines = ofSide('theirs');
    const sides = new Set(group.map((g) => g.side));
    if (sides.size === 1) keep(sides.has('mine') ? mineLines : theirLines);
    else if (same(mineLines, theirLines)) keep(mineLines);
    else
      chunks.push({
        kind: 'conflict',
        base: baseLines.slice(from, to),
        mine: mineLines,
        theirs: theirLines,
      });
    at = to;
  }
  keep(baseLines.slice(at));
  return chunks;
}

/** The conflicts of a merge, in order. */
export function conflictsOf(chunks: readonly MergeChunk[]): MergeConflict[] {
  return chunks.filter((c): c is MergeConflict => c.kind === 'conflict');
}

/** A side's lines ending with a line break, so the next chunk starts on a line of its own. */
function closed(lines: string[]): string {
  const text = lines.join('');
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * The merged text, each conflict resolved by its pick (in the order of the conflicts);
 * a conflict without a pick is written with git's conflict markers.
 */
export function mergedText(
  chunks: readonly MergeChunk[],
  picks: readonly (ConflictPick | undefined)[] = [],
): string {
  let n = 0;
  return chunks
    .map((c) => {
      if (c.kind === 'merged') return c.lines.join('');
      const pick = picks[n++];
      if (pick === 'mine') return c.mine.join('');
      if (pick === 'theirs') return c.theirs.join('');
      if (pick === 'both') return closed(c.mine) + c.theirs.join('');
      return `<<<<<<< mine\n${closed(c.mine)}=======\n${closed(c.theirs)}>>>>>>> theirs\n`;
    })
    .join('');
}

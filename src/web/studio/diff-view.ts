/**
 * A unified diff (as `changes.jsonl` and proposals keep it) shown readably: the file headers
 * as a file's name, hunk headers muted, added and removed lines marked and coloured. Text
 * only: every line goes in as a text node.
 */
import { isolator } from './bidi';
import { h } from './dom';

/** The class and mark of a diff line, by its first character; null for lines not shown. */
function lineKind(line: string): { cls: string; mark: string } | null {
  if (line.startsWith('Index: ') || line.startsWith('====')) return null;
  if (line.startsWith('--- ')) return null;
  if (line.startsWith('+++ ')) return { cls: 'diff-file', mark: '' };
  if (line.startsWith('@@')) return { cls: 'diff-hunk', mark: '' };
  if (line.startsWith('+')) return { cls: 'diff-add', mark: '+' };
  if (line.startsWith('-')) return { cls: 'diff-del', mark: '−' };
  if (line.startsWith('\\')) return { cls: 'diff-note', mark: '' };
  return { cls: 'diff-same', mark: ' ' };
}

/** The diff as a block of marked lines; "no change" when it is empty. */
export function diffView(diff: string): HTMLElement {
  const lines = diff.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
  const shown = lines.flatMap((line) => {
    const kind = lineKind(line);
    if (!kind) return [];
    const text =
      kind.cls === 'diff-file'
        ? line.slice(4).split('\t')[0]!.split('/').pop()!
        : kind.mark
          ? line.slice(1)
          : line;
    return [
      h(
        'div',
        { class: `diff-line ${kind.cls}`, 'data-test': kind.cls },
        kind.mark ? h('span', { class: 'diff-mark', 'aria-hidden': 'true' }, kind.mark) : null,
        ...isolator.nodes(text),
      ),
    ];
  });
  return shown.length
    ? h('div', { class: 'diff', 'data-test': 'diff' }, ...shown)
    : h('p', { class: 'muted' }, 'no change in the text');
}

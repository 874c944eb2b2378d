/**
 * The merge view: an edited file whose base changed on disk (saved in another tab, or by
 * another editor, since the edit started) is merged three ways (`three-way-merge.ts`): base
 * = the text the edit started from, theirs = the file on disk now, mine = the edited text.
 * Changes of different lines are merged at once; each conflict shows both sides, side by
 * side, for the user to pick. The merged text then becomes the file's text, with the disk's
 * hash as its base, so the next save goes through.
 */
import { bdi } from './bidi';
import { byId, fill, h } from './dom';
import type { DivergedFile } from './files-panel';
import {
  conflictsOf,
  mergedText,
  mergeThreeWay,
  type ConflictPick,
  type MergeChunk,
} from './three-way-merge';

/** What the page does with a merge. */
export interface MergeHooks {
  /** The user took the merged text of a file. */
  apply(file: DivergedFile, text: string): void;
  /** A file's text in the editor now (undefined: no such file). */
  text(name: string): string | undefined;
}

/** The choices of a conflict: the pick, and its button's label. */
const CHOICES: [ConflictPick, string][] = [
  ['mine', 'keep mine'],
  ['theirs', 'take theirs'],
  ['both', 'keep both (mine first)'],
];

/** One file's merge at a time; others wait their turn. */
export class MergeView {
  private readonly queue: DivergedFile[] = [];
  private chunks: MergeChunk[] = [];
  private picks: (ConflictPick | undefined)[] = [];

  constructor(private readonly hooks: MergeHooks) {
    byId('merge-apply').addEventListener('click', () => this.apply());
    byId('merge-later').addEventListener('click', () => this.later());
  }

  /** The file being merged, if any. */
  private get current(): DivergedFile | undefined {
    return this.queue[0];
  }

  /** Offers the merge of each file (a newer offer of a file replaces its waiting one). */
  offer(files: readonly DivergedFile[], where: string): void {
    for (const f of files) {
      const at = this.queue.findIndex((q) => q.name === f.name);
      if (at === 0) this.queue[0] = f;
      else if (at > 0) this.queue.splice(at, 1, f);
      else this.queue.push(f);
    }
    byId('merge-where').textContent = where;
    this.show();
  }

  private show(): void {
    const root = byId('merge-view');
    const file = this.current;
    root.hidden = !file;
    if (!file) return;
    this.chunks = mergeThreeWay(file.base, file.mine, file.theirs);
    const conflicts = conflictsOf(this.chunks);
    this.picks = conflicts.map(() => undefined);
    fill(byId('merge-file'), bdi(file.name));
    fill(
      byId('merge-summary'),
      conflicts.length
        ? `${conflicts.length} conflict(s): both changed the same lines; pick what to keep. Every other change is merged.`
        : 'No conflicts: your changes and the saved ones are merged.',
    );
    fill(
      byId('merge-conflicts'),
      ...conflicts.map((c, i) => {
        const buttons = CHOICES.map(([pick, label]) => {
          const b = h(
            'button',
            { type: 'button', 'data-pick': pick, 'aria-pressed': 'false' },
            label,
          );
          b.addEventListener('click', () => {
            this.picks[i] = pick;
            for (const other of buttons)
              other.setAttribute('aria-pressed', other === b ? 'true' : 'false');
            this.update();
          });
          return b;
        });
        return h(
          'li',
          { class: 'merge-conflict', 'data-test': 'conflict' },
          h(
            'div',
            { class: 'merge-sides' },
            h('figure', {}, h('figcaption', {}, 'mine'), h('pre', {}, c.mine.join(''))),
            h('figure', {}, h('figcaption', {}, 'theirs'), h('pre', {}, c.theirs.join(''))),
          ),
          h('div', { class: 'merge-picks' }, ...buttons),
        );
      }),
    );
    this.update();
  }

  /** The preview (unpicked conflicts with markers), and whether the merge can be taken. */
  private update(): void {
    byId('merge-preview').textContent = mergedText(this.chunks, this.picks);
    byId<HTMLButtonElement>('merge-apply').disabled = this.picks.some((p) => p === undefined);
  }

  private apply(): void {
    const file = this.queue[0];
    if (!file || this.picks.some((p) => p === undefined)) return;
    const now = this.hooks.text(file.name) ?? file.mine;
    if (now !== file.mine) {
      // Edited while the view was open: merge that text instead, and show it again.
      this.queue[0] = { ...file, mine: now };
      this.show();
      return;
    }
    this.queue.shift();
    this.hooks.apply(file, mergedText(this.chunks, this.picks));
    this.show();
  }

  /** Closes the view; the file keeps its old base, so a save asks again. */
  private later(): void {
    this.queue.length = 0;
    this.show();
  }
}

/**
 * Keeps the edited files' drafts (`drafts.ts`) in step with the editor, restores them when
 * the page opens, and shows the banner of restored drafts, each with "discard" (back to the
 * file on disk), and a warning when the browser's storage refuses them.
 */
import type { SavedFile } from '../../studio/contract';
import { bdi } from './bidi';
import { byId, fill, h } from './dom';
import type { DraftStorage, DraftStore } from './drafts';
import type { DivergedFile, FilesPanel } from './files-panel';

/**
 * Milliseconds after the last edit before the drafts are written: a large file is not
 * serialised on every keystroke. Leaving the page writes them at once.
 */
const KEEP_DELAY = 300;

/** The page's storage, or null where the browser refuses it (disabled, private mode). */
export function browserStorage(): DraftStorage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** What the keeper needs from the page. */
export interface DraftHooks {
  /** The files on disk, as the page last had them. */
  disk(): readonly SavedFile[];
}

/** The drafts of one tab. */
export class DraftKeeper {
  /** Restored drafts still edited: file name → when the draft was written. */
  private readonly restored = new Map<string, string>();
  private refused = false;
  /** What the banner shows now, so an edit that changes nothing of it leaves it alone. */
  private shown = '';
  private timer: number | undefined;

  constructor(
    private readonly store: DraftStore,
    private readonly files: FilesPanel,
    private readonly hooks: DraftHooks,
  ) {
    // `pagehide` also covers a tab closed or sent to the background for good.
    for (const event of ['pagehide', 'beforeunload'])
      window.addEventListener(event, () => this.keep());
  }

  /** Writes the drafts a moment after the last edit. */
  schedule(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.keep(), KEEP_DELAY);
  }

  /**
   * Puts each kept draft into its file, with the base it was edited from, and takes the
   * files on disk; returns the files whose draft was edited from a text no longer on disk,
   * to be merged.
   */
  restore(): DivergedFile[] {
    const disk = this.hooks.disk();
    for (const [name, draft] of this.store.all()) {
      const onDisk = disk.find((f) => f.name === name);
      if (onDisk ? draft.text === onDisk.text : draft.text.trim() === '') {
        this.store.remove(name, true);
        continue;
      }
      if (onDisk && draft.baseHash !== onDisk.hash)
        this.files.setBase(name, { text: draft.baseText, hash: draft.baseHash });
      this.files.setText(name, draft.text);
      this.restored.set(name, draft.time);
    }
    const diverged = this.files.takeDisk(disk);
    this.keep();
    return diverged;
  }

  /** Writes the draft of every edited file, drops those of the others (after each edit). */
  keep(): void {
    window.clearTimeout(this.timer);
    const time = new Date().toISOString();
    let refused = false;
    for (const { name, text } of this.files.all()) {
      if (!this.files.edited(name, text)) {
        this.store.remove(name);
        this.restored.delete(name);
        continue;
      }
      const base = this.files.base(name);
      const kept = this.store.write(name, {
        text,
        baseText: base?.text ?? '',
        baseHash: base?.hash ?? null,
        time,
      });
      refused ||= !kept;
    }
    this.refused = refused;
    this.render();
  }

  /** Writes every draft again (another tab may have dropped one of this tab's). */
  rewrite(): void {
    this.store.forget();
    this.keep();
  }

  /** Drops a file's draft and puts the file on disk back in the editor. */
  private discard(name: string): void {
    const onDisk = this.hooks.disk().find((f) => f.name === name);
    this.store.remove(name, true);
    this.restored.delete(name);
    if (onDisk) this.files.setBase(name, { text: onDisk.text, hash: onDisk.hash });
    this.files.setText(name, onDisk?.text ?? '');
    this.render();
  }

  private render(): void {
    const shown = JSON.stringify([[...this.restored], this.refused]);
    if (shown === this.shown) return;
    this.shown = shown;
    const items = [...this.restored].map(([name, time]) => {
      const discard = h('button', { type: 'button', 'data-test': 'discard-draft' }, 'discard');
      discard.addEventListener('click', () => this.discard(name));
      return h(
        'li',
        {},
        'restored your unsaved draft of ',
        bdi(name),
        ' from ',
        h('time', { datetime: time }, new Date(time).toLocaleString()),
        ' — ',
        discard,
      );
    });
    if (this.refused)
      items.push(
        h(
          'li',
          { class: 'warning', 'data-test': 'drafts-refused' },
          "this browser's storage refuses drafts (full or disabled): save, or copy your text, before leaving",
        ),
      );
    const banner = byId('drafts');
    banner.hidden = items.length === 0;
    fill(banner, ...items);
  }
}

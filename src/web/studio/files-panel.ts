/**
 * The editor's tabs, one per override file (marked while edited and not saved), the form
 * that adds a new file, named as the session accepts (`src/studio/override-file-name.ts`),
 * and each file's base: the text and hash it was loaded, saved or merged with, which a save
 * sends back so the studio refuses it if the file changed on disk since.
 */
import type { FileToSave, SavedFile } from '../../studio/contract';
import { OVERRIDE_FILE_NAME, OVERRIDE_FILE_PATTERN } from '../../studio/override-file-name';
import { byId, fill, h } from './dom';
import type { FilesEditor } from './editor';

/** What the page does when the files change. */
export interface FilesHooks {
  /** Another file is shown (a tab clicked, a file added). */
  opened(): void;
  /** A file was added (its text is new to the checks). */
  edited(): void;
}

/** An edited file whose base is no longer the file on disk: the three texts to merge. */
export interface DivergedFile {
  name: string;
  /** The text the edit started from. */
  base: string;
  /** The edited text. */
  mine: string;
  /** The file on disk now, and its hash. */
  theirs: string;
  hash: string | null;
}

/** A file's base: the text it was loaded with and its hash (null: not on disk then). */
export interface FileBase {
  text: string;
  hash: string | null;
}

/** The tabs and the new-file form. */
export class FilesPanel {
  /** The files as last loaded or saved: their text and the hash the save sends back. */
  private readonly loaded = new Map<string, FileBase>();

  constructor(
    private readonly editor: FilesEditor,
    private readonly hooks: FilesHooks,
  ) {
    this.wireNewFile();
  }

  /** Takes the files as they are on disk (at the start, after a save or a reload). */
  remember(files: readonly SavedFile[]): void {
    this.loaded.clear();
    for (const f of files) this.loaded.set(f.name, { text: f.text, hash: f.hash });
  }

  /** The base of a file (undefined: a file added in this page, not on disk when added). */
  base(name: string): FileBase | undefined {
    return this.loaded.get(name);
  }

  /** Takes `base` as the text and hash a file's edit starts from. */
  setBase(name: string, base: FileBase): void {
    this.loaded.set(name, base);
  }

  /** Every file's name and text in the editor, in tab order. */
  all(): { name: string; text: string }[] {
    return this.editor.files();
  }

  /** A file's text in the editor (undefined: no such file). */
  text(name: string): string | undefined {
    return this.editor.files().find((f) => f.name === name)?.text;
  }

  /** Whether a file's text differs from its base (a new file: whether it holds anything). */
  edited(name: string, text = this.text(name) ?? ''): boolean {
    const before = this.loaded.get(name);
    return before ? before.text !== text : text.trim() !== '';
  }

  /**
   * Puts `text` into a file of the editor (added when the page lacks it) as one undoable
   * edit, and keeps the shown file shown.
   */
  setText(name: string, text: string): void {
    const shown = this.editor.active();
    if (!this.editor.names().includes(name)) {
      this.editor.add(name, text);
      this.editor.open(shown);
    } else if (this.text(name) !== text) {
      if (name !== shown) this.editor.open(name);
      this.editor.replace(text);
      if (name !== shown) this.editor.open(shown);
    }
    this.renderTabs();
  }

  /**
   * Takes the files as they are on disk now (after a save here or in another tab): a file
   * not edited here follows the disk, and so does one edited into what is on disk; an
   * edited file whose base changed on disk keeps its text and base, and is returned to be
   * merged (until then a save of it is refused with FILE_CHANGED).
   */
  takeDisk(files: readonly SavedFile[]): DivergedFile[] {
    const diverged: DivergedFile[] = [];
    for (const f of files) {
      const base = this.loaded.get(f.name);
      const text = this.text(f.name);
      const disk = { text: f.text, hash: f.hash };
      if (base && base.hash === f.hash) this.loaded.set(f.name, disk);
      else if (text === undefined || !this.edited(f.name, text) || text === f.text) {
        this.loaded.set(f.name, disk);
        this.setText(f.name, f.text);
      } else
        diverged.push({
          name: f.name,
          base: base?.text ?? '',
          mine: text,
          theirs: f.text,
          hash: f.hash,
        });
    }
    return diverged;
  }

  /** The files whose text differs from disk, with the hash each was loaded with. */
  changedFiles(): FileToSave[] {
    return this.editor
      .files()
      .filter((f) => this.edited(f.name, f.text))
      .map((f) => ({ ...f, baseHash: this.loaded.get(f.name)?.hash ?? null }));
  }

  renderTabs(): void {
    const current = this.editor.active();
    const files = this.editor.files();
    fill(
      byId('tabs'),
      ...files.map((f) => {
        const dirty = this.edited(f.name, f.text);
        const tab = h(
          'button',
          {
            type: 'button',
            role: 'tab',
            class: 'tab',
            'aria-selected': f.name === current ? 'true' : 'false',
            title: dirty ? `${f.name} (edited, not saved)` : f.name,
          },
          f.name,
          dirty ? ' •' : '',
        );
        tab.addEventListener('click', () => {
          this.editor.open(f.name);
          this.renderTabs();
          this.hooks.opened();
        });
        return tab;
      }),
    );
  }

  private wireNewFile(): void {
    const form = byId<HTMLFormElement>('new-file-form');
    const input = byId<HTMLInputElement>('new-file-name');
    const message = byId('new-file-message');
    input.pattern = OVERRIDE_FILE_PATTERN;
    byId('new-file').addEventListener('click', () => {
      form.hidden = false;
      input.focus();
    });
    byId('new-file-cancel').addEventListener('click', () => {
      form.hidden = true;
      message.textContent = '';
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!OVERRIDE_FILE_NAME.test(name)) {
        message.textContent = 'a name like policy.yaml: letters, digits, . _ - and .yaml or .yml';
        return;
      }
      if (this.editor.names().some((n) => n.toLowerCase() === name.toLowerCase())) {
        message.textContent = `${name} is already open`;
        return;
      }
      this.editor.add(name, '');
      form.hidden = true;
      input.value = '';
      message.textContent = '';
      this.renderTabs();
      this.hooks.opened();
      this.hooks.edited();
    });
  }
}

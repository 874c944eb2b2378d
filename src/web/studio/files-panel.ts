/**
 * The editor's tabs, one per override file (marked while edited and not saved), and the form
 * that adds a new file, named as the session accepts (`src/studio/override-file-name.ts`).
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

/** The tabs and the new-file form. */
export class FilesPanel {
  /** The files as last loaded or saved: their text and the hash the save sends back. */
  private readonly loaded = new Map<string, { text: string; hash: string | null }>();

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

  /** The files whose text differs from disk, with the hash each was loaded with. */
  changedFiles(): FileToSave[] {
    return this.editor
      .files()
      .filter((f) => {
        const before = this.loaded.get(f.name);
        return before ? before.text !== f.text : f.text.trim() !== '';
      })
      .map((f) => ({ ...f, baseHash: this.loaded.get(f.name)?.hash ?? null }));
  }

  renderTabs(): void {
    const current = this.editor.active();
    const files = this.editor.files();
    fill(
      byId('tabs'),
      ...files.map((f) => {
        const dirty = this.loaded.get(f.name)?.text !== f.text;
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

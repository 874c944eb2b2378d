/**
 * Save and history: the save button (only with a current check without errors, a changed
 * file and a one-line reason), the answer to a save (FILE_CHANGED hands over to the page,
 * which offers to merge), and the lines of changes.jsonl, newest first.
 */
import type { HistoryEntry } from '../../studio/contract';
import { ApiError, getHistory, saveFiles } from './api';
import { bdi, isolator } from './bidi';
import { byId, fill, h } from './dom';
import type { FilesPanel } from './files-panel';
import { describeError } from './status';

/** What the save panel needs from the page. */
export interface SaveHooks {
  /** Whether the files as they are now were checked and have no error (null: not checked). */
  checkedOk(): boolean | null;
  /** After a save: the model again (the files' new hashes, the rules they make). */
  saved(): Promise<void>;
  /** A save was refused because a file changed on disk since it was loaded. */
  fileChanged(): Promise<void>;
  /** Checks the editor's files again. */
  check(): Promise<void>;
}

/** One line of changes.jsonl; a `rules accept` entry shows its time and kind. */
function historyItem(e: HistoryEntry): HTMLElement {
  const save = e.kind === 'overrides' ? e : null;
  const details = save
    ? `${save.files.join(', ')} rules ${short(save.before)} → ${short(save.after)}; ${save.changed} decision(s) changed`
    : '';
  return h(
    'li',
    {},
    h('time', { datetime: e.time }, e.time),
    ` ${e.kind}`,
    save ? ': ' : '',
    save ? bdi(save.reason) : '',
    h('span', { class: 'muted' }, ` — ${details}`),
  );
}

/** Shortens a rule-set hash for the history list. */
function short(hash: string): string {
  return hash ? hash.slice(0, 12) : '—';
}

/** The save form and the history. */
export class SavePanel {
  private saving = false;

  constructor(
    private readonly files: FilesPanel,
    private readonly hooks: SaveHooks,
  ) {
    const reason = byId<HTMLInputElement>('reason');
    reason.addEventListener('input', () => this.update());
    byId<HTMLFormElement>('save-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save();
    });
  }

  /** Enables the save button, or says what it waits for. */
  update(): void {
    const reason = byId<HTMLInputElement>('reason').value.trim();
    const ok = this.hooks.checkedOk();
    const changed = this.files.changedFiles().length;
    let hint = '';
    if (this.saving) hint = 'saving…';
    else if (ok === null) hint = 'waiting for the checks';
    else if (!ok) hint = 'fix the errors first';
    else if (changed === 0) hint = 'nothing to save';
    else if (reason === '') hint = 'give a reason';
    byId<HTMLButtonElement>('save').disabled = hint !== '';
    byId('save-hint').textContent = hint;
  }

  private async save(): Promise<void> {
    const reason = byId<HTMLInputElement>('reason');
    const message = byId('save-message');
    const files = this.files.changedFiles();
    if (files.length === 0 || reason.value.trim() === '') return;
    this.saving = true;
    this.update();
    try {
      const result = await saveFiles({ files, reason: reason.value.trim() });
      fill(message, h('p', { class: 'ok' }, `saved ${result.saved.join(', ')}`));
      reason.value = '';
      await this.hooks.saved();
      await Promise.all([this.loadHistory(), this.hooks.check()]);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'FILE_CHANGED') {
        fill(
          message,
          h('p', { class: 'error' }, ...isolator.nodes(error.message)),
          h(
            'p',
            {},
            'Merge the file as it is on disk into your text (above the editor), then save.',
          ),
        );
        await this.hooks.fileChanged();
      } else if (error instanceof ApiError) {
        fill(
          message,
          h('p', { class: 'error' }, `${error.code}: `, ...isolator.nodes(error.message)),
          error.issues.length
            ? h(
                'ul',
                {},
                ...error.issues.map((p) =>
                  h(
                    'li',
                    {},
                    `${p.file ?? ''}:${p.line ?? ''}:${p.column ?? ''} ${p.code} `,
                    ...isolator.nodes(p.message),
                  ),
                ),
              )
            : null,
        );
      } else fill(message, h('p', { class: 'error' }, ...isolator.nodes(describeError(error))));
    } finally {
      this.saving = false;
      this.update();
    }
  }

  /** Lists changes.jsonl, newest first. */
  async loadHistory(): Promise<void> {
    try {
      const { entries } = await getHistory();
      fill(
        byId('history'),
        ...(entries.length
          ? [...entries].reverse().map(historyItem)
          : [h('li', { class: 'muted' }, 'no saved changes yet')]),
      );
    } catch (error) {
      fill(byId('history'), h('li', { class: 'error' }, ...isolator.nodes(describeError(error))));
    }
  }
}

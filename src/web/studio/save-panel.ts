/**
 * Save and history: the author (asked once, remembered), the save button (only with a
 * current check without errors, a changed file, a one-line reason, and the author where one
 * is required), the answer to a save (FILE_CHANGED hands over to the page, which offers to
 * merge), the history (`history-panel.ts`) and, in review mode, the proposals
 * (`review-panel.ts`), where a save becomes a proposal.
 */
import { ApiError, proposeFiles, saveFiles } from './api';
import { AuthorField } from './author-field';
import { isolator } from './bidi';
import { byId, fill, h } from './dom';
import type { FilesPanel } from './files-panel';
import { HistoryPanel } from './history-panel';
import { ReviewPanel } from './review-panel';
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
  /** `studio --review` (a save is a proposal) and `--require-author`. */
  settings: { review: boolean; requireAuthor: boolean };
}

/** The save form, the history and the proposals. */
export class SavePanel {
  private saving = false;
  private readonly author: AuthorField;
  private readonly history: HistoryPanel;
  private readonly review: ReviewPanel | null;

  constructor(
    private readonly files: FilesPanel,
    private readonly hooks: SaveHooks,
  ) {
    const { review, requireAuthor } = hooks.settings;
    this.author = new AuthorField(() => this.update());
    byId('author-required').textContent = review || requireAuthor ? 'required' : 'optional';
    byId('save').textContent = review ? 'Propose' : 'Save';
    // A revert or an approval wrote the files, as a save does: the page takes them, and
    // the other tabs are told.
    const afterDiskChange = async (): Promise<void> => {
      await this.hooks.saved();
      await this.hooks.check();
    };
    this.history = new HistoryPanel({
      author: () => this.author.name,
      reverted: async (result) => {
        fill(
          byId('save-message'),
          h('p', { class: 'ok' }, result === 'saved' ? 'reverted' : 'proposed the revert'),
        );
        if (result === 'saved') await afterDiskChange();
        else await this.review?.load();
      },
    });
    this.review = review
      ? new ReviewPanel({
          author: () => this.author.name,
          approved: async () => {
            await afterDiskChange();
            await this.history.load();
          },
        })
      : null;
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
    else if (
      this.author.name === '' &&
      (this.hooks.settings.review || this.hooks.settings.requireAuthor)
    ) {
      hint = 'give your name';
    }
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
    const author = this.author.name;
    const body = { files, reason: reason.value.trim(), ...(author && { author }) };
    try {
      if (this.review) {
        const proposal = await proposeFiles(body);
        fill(
          message,
          h('p', { class: 'ok' }, `proposed ${proposal.id}: another author approves it below`),
        );
        reason.value = '';
        await this.review.load();
        return;
      }
      const result = await saveFiles(body);
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

  /** Lists changes.jsonl, newest first, and (review mode) the pending proposals. */
  async loadHistory(): Promise<void> {
    await Promise.all([this.history.load(), this.review?.load()]);
  }
}

/**
 * The history: the lines of changes.jsonl, newest first, each with who made it, why, and its
 * diff, and "revert to this version" (a change of its own, with a reason and the author).
 */
import type { HistoryEntry } from '../../studio/contract';
import { ApiError, getHistory, revertTo } from './api';
import { bdi, isolator } from './bidi';
import { byId, fill, h } from './dom';
import { diffView } from './diff-view';
import { describeError } from './status';

/** What the history needs from the page. */
export interface HistoryHooks {
  /** The author's name ('' when none given). */
  author(): string;
  /** After a revert (or its proposal): the files on disk again, then the proposals. */
  reverted(result: 'saved' | 'proposed'): Promise<void>;
}

/** An error answer as one line: its code and message (`hook`: the line's data-test). */
export function errorLine(error: unknown, hook: string): HTMLElement {
  return h(
    'p',
    { class: 'error', 'data-test': hook },
    error instanceof ApiError ? `${error.code}: ` : '',
    ...isolator.nodes(error instanceof ApiError ? error.message : describeError(error)),
  );
}

/** Who made a change: the author (and approver), else the OS user. */
function madeBy(e: HistoryEntry): string {
  if (e.kind !== 'overrides' || !e.author) return `by ${e.by}`;
  return `by ${e.author}${e.approvedBy ? `, approved by ${e.approvedBy}` : ''}`;
}

/** Shortens a rule-set hash. */
function short(hash: string): string {
  return hash ? hash.slice(0, 12) : '—';
}

/** The history list and its revert forms. */
export class HistoryPanel {
  private readonly list = byId('history');

  constructor(private readonly hooks: HistoryHooks) {}

  /** Lists changes.jsonl, newest first. */
  async load(): Promise<void> {
    try {
      const { entries } = await getHistory();
      const last = entries.length - 1;
      fill(
        this.list,
        ...(entries.length
          ? entries.map((e, i) => this.item(e, i, i === last)).reverse()
          : [h('li', { class: 'muted' }, 'no saved changes yet')]),
      );
    } catch (error) {
      fill(this.list, h('li', { class: 'error' }, ...isolator.nodes(describeError(error))));
    }
  }

  /** One entry: time, kind, reason, who, figures; its diff and a revert form folded. */
  private item(e: HistoryEntry, index: number, latest: boolean): HTMLElement {
    const save = e.kind === 'overrides' ? e : null;
    const details = save
      ? `${save.files.join(', ')} rules ${short(save.before)} → ${short(save.after)}; ${save.changed} decision(s) changed${save.revertOf !== undefined ? `; reverted to entry ${save.revertOf + 1}` : ''}`
      : '';
    const message = h('div', { class: 'revert-message', role: 'alert' });
    const reason = h('input', {
      type: 'text',
      maxlength: 500,
      'data-test': 'revert-reason',
      'aria-label': 'reason for the revert',
    });
    const confirm = h('button', { type: 'submit', 'data-test': 'revert-confirm' }, 'Revert');
    const form = h(
      'form',
      { class: 'revert-form', novalidate: true },
      h('label', { class: 'field' }, h('span', {}, 'reason (one line, required)'), reason),
      confirm,
      message,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.revert(index, reason, confirm, message);
    });
    return h(
      'li',
      // Numbered as the entries are (1 = the oldest), which "reverted to entry N" names.
      { 'data-test': 'history-entry', 'data-entry': index, value: index + 1 },
      h('time', { datetime: e.time }, e.time),
      ` ${e.kind}`,
      save ? ': ' : '',
      save ? bdi(save.reason) : '',
      ' ',
      h('span', { class: 'author', 'data-test': 'history-author' }, ...isolator.nodes(madeBy(e))),
      h('span', { class: 'muted' }, ` — ${details}`),
      save ? h('details', {}, h('summary', {}, 'diff'), diffView(save.diff)) : null,
      latest
        ? null
        : h(
            'details',
            { class: 'revert' },
            h('summary', { 'data-test': 'revert' }, 'revert to this version'),
            form,
          ),
    );
  }

  private async revert(
    entry: number,
    reason: HTMLInputElement,
    button: HTMLButtonElement,
    message: HTMLElement,
  ): Promise<void> {
    if (reason.value.trim() === '') {
      fill(message, h('p', { class: 'error' }, 'give a reason for the revert'));
      return;
    }
    const author = this.hooks.author();
    button.disabled = true;
    try {
      const result = await revertTo({
        entry,
        reason: reason.value.trim(),
        ...(author && { author }),
      });
      await this.hooks.reverted('format' in result ? 'proposed' : 'saved');
      await this.load();
    } catch (error) {
      fill(message, errorLine(error, 'revert-error'));
    } finally {
      button.disabled = false;
    }
  }
}

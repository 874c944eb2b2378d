/**
 * Four-eyes review (`studio --review`): the pending proposals, each with its author, reason,
 * diff and the impact frozen when it was made, and approve or reject (with a reason) as the
 * author named in the page, who must be another person than the proposal's author.
 */
import type { StudioProposal } from '../../studio/contract';
import { decideProposal, getProposals } from './api';
import { bdi, isolator } from './bidi';
import { byId, fill, fixed, h } from './dom';
import { diffView } from './diff-view';
import { errorLine } from './history-panel';
import { describeError } from './status';

/** What the review panel needs from the page. */
export interface ReviewHooks {
  /** The author's name ('' when none given). */
  author(): string;
  /** After an approval: the files on disk again, and the history. */
  approved(): Promise<void>;
}

/** The frozen impact of a proposal, as one line. */
function impactLine(p: StudioProposal): string {
  const i = p.impact;
  if (!i) return 'no impact measured';
  return `changes ${i.changed} of ${i.records} held-out decisions (against the files it was made on); accuracy ${i.saved ? fixed(i.saved.accuracy) : '—'} → ${fixed(i.proposed.accuracy)}, fidelity ${i.saved ? fixed(i.saved.fidelity) : '—'} → ${fixed(i.proposed.fidelity)} (saved → with the proposal)`;
}

/** The list of pending proposals and their decisions. */
export class ReviewPanel {
  private readonly list = byId('proposals');

  constructor(private readonly hooks: ReviewHooks) {
    byId('review-panel').hidden = false;
  }

  /** Lists the pending proposals, newest first. */
  async load(): Promise<void> {
    try {
      const { proposals } = await getProposals();
      const pending = proposals.filter((p) => p.status === 'pending');
      fill(
        this.list,
        ...(pending.length
          ? pending.map((p) => this.item(p))
          : [h('li', { class: 'muted' }, 'no pending proposals')]),
      );
    } catch (error) {
      fill(this.list, h('li', { class: 'error' }, ...isolator.nodes(describeError(error))));
    }
  }

  private item(p: StudioProposal): HTMLElement {
    const message = h('div', {
      class: 'review-message',
      role: 'alert',
      'data-test': 'review-message',
    });
    const reason = h('input', {
      type: 'text',
      maxlength: 500,
      'data-test': 'reject-reason',
      'aria-label': 'reason for rejecting',
      placeholder: 'reason to reject',
    });
    const approve = h('button', { type: 'button', 'data-test': 'approve' }, 'Approve');
    const reject = h('button', { type: 'button', 'data-test': 'reject' }, 'Reject');
    approve.addEventListener('click', () => void this.decide(p, 'approve', reason, message));
    reject.addEventListener('click', () => void this.decide(p, 'reject', reason, message));
    return h(
      'li',
      { 'data-test': 'proposal', 'data-id': p.id },
      h('strong', {}, ...isolator.nodes(p.id)),
      ' by ',
      bdi(p.author),
      ': ',
      bdi(p.reason),
      h('span', { class: 'muted' }, ` — ${p.files.map((f) => f.name).join(', ')}`),
      h('p', { class: 'muted', 'data-test': 'proposal-impact' }, impactLine(p)),
      diffView(p.diff),
      h('div', { class: 'decide' }, approve, reason, reject),
      message,
    );
  }

  private async decide(
    p: StudioProposal,
    action: 'approve' | 'reject',
    reason: HTMLInputElement,
    message: HTMLElement,
  ): Promise<void> {
    const author = this.hooks.author();
    if (author === '') {
      fill(message, h('p', { class: 'error' }, 'give your name (above) to decide a proposal'));
      return;
    }
    try {
      await decideProposal(p.id, action, {
        author,
        ...(action === 'reject' && { reason: reason.value.trim() }),
      });
      if (action === 'approve') await this.hooks.approved();
      await this.load();
    } catch (error) {
      fill(message, errorLine(error, 'review-error'));
    }
  }
}

import * as path from 'node:path';
import { modelPaths } from '../artifacts/model-store';
import type { ModelLocation } from '../artifacts/types';
import type { OverridesSaveEntry } from '../artifacts/changes-log';
import { readRegularFile } from '../files/regular-files';
import { OVERRIDE_LIMITS } from '../overrides/parse-overrides';
import type { StudioProposal, StudioProposals, StudioSaved } from '../studio/contract';
import {
  assertSecondAuthor,
  listProposals,
  proposalsDir,
  readProposal,
  rejectProposal,
  requiredAuthor,
} from '../studio/proposals';
import { openStudio, type StudioSession } from '../studio/session';
import type { BackendChoice } from '../teacher/backend-choice';

/** Options of the review use cases that check and measure (they open the model's network). */
export interface ReviewOptions {
  backend?: BackendChoice;
  /** A labelled file to measure the impact on instead of the build's held-out split. */
  data?: string;
}

/** Runs `step` on a studio session of the model (review mode), closing it after. */
async function withSession<T>(
  loc: ModelLocation,
  options: ReviewOptions,
  step: (studio: StudioSession) => Promise<T>,
): Promise<T> {
  const studio = await openStudio(loc, {
    backend: options.backend ?? 'auto',
    ...(options.data !== undefined && { data: options.data }),
    review: true,
  });
  try {
    return await step(studio);
  } finally {
    await studio.close();
  }
}

/**
 * `rules propose`: the text of `file` proposed as the new content of the override file of
 * the same name (`overrides/<basename of file>`, a new file when there is none), checked as
 * a studio save checks it, and written as a pending proposal in `proposals/`.
 *
 * @example
 * const p = await proposeOverrides(loc, { file: 'credit-policy.yaml', author: 'ana', reason: 'under 21' });
 * p.id; // '20261207-201500-1a2b3c'
 */
export async function proposeOverrides(
  loc: ModelLocation,
  change: { file: string; author: string; reason: string },
  options: ReviewOptions = {},
): Promise<StudioProposal> {
  const text = readRegularFile(change.file, {
    encoding: 'utf8',
    limit: OVERRIDE_LIMITS.maxBytes + 1,
  });
  const name = path.basename(change.file);
  return withSession(loc, options, async (studio) => {
    const current = studio.savedFiles().find((f) => f.name === name);
    return studio.propose(
      [{ name, text, baseHash: current?.hash ?? null }],
      change.reason,
      change.author,
    );
  });
}

/** `rules proposals`: every proposal of the model, newest first (no network needed). */
export function listModelProposals(loc: ModelLocation): StudioProposals {
  return listProposals(proposalsDir(modelPaths(loc).overrides));
}

/** What `rules proposals --approve|--reject|--rebase` does, and what it answered. */
export type ProposalDecision =
  | { action: 'approve'; saved: StudioSaved<OverridesSaveEntry> }
  | { action: 'reject' | 'rebase'; proposal: StudioProposal };

/**
 * Decide proposal `id`: approve it (committed as a studio save; its own author is refused),
 * reject it with a reason, or rebase it on the current override files.
 */
export async function decideProposal(
  loc: ModelLocation,
  decision:
    | { action: 'approve'; id: string; author: string }
    | { action: 'reject'; id: string; author: string; reason: string }
    | { action: 'rebase'; id: string },
  options: ReviewOptions = {},
): Promise<ProposalDecision> {
  const dir = proposalsDir(modelPaths(loc).overrides);
  switch (decision.action) {
    case 'reject':
      // A rejection changes no override file: nothing to check, no network to open.
      return {
        action: 'reject',
        proposal: rejectProposal(loc, decision.id, decision.author, decision.reason),
      };
    case 'approve': {
      // Refusals that need no network come before it is opened.
      assertSecondAuthor(readProposal(dir, decision.id), requiredAuthor(decision.author));
      const { id, author } = decision;
      return withSession(loc, options, async (studio) => ({
        action: 'approve',
        saved: await studio.approve(id, author),
      }));
    }
    case 'rebase': {
      readProposal(dir, decision.id);
      const { id } = decision;
      return withSession(loc, options, async (studio) => ({
        action: 'rebase',
        proposal: await studio.rebase(id),
      }));
    }
  }
}

/** A proposal as one line: id, status, author, reason, files, and its frozen impact. */
export function formatProposal(p: StudioProposal): string {
  const i = p.impact;
  const figures = i
    ? `; changes ${i.changed} of ${i.records} held-out decisions; accuracy ${i.saved?.accuracy.toFixed(3) ?? '—'} → ${i.proposed.accuracy.toFixed(3)}, fidelity ${i.saved?.fidelity.toFixed(3) ?? '—'} → ${i.proposed.fidelity.toFixed(3)} (saved → proposed)`
    : '';
  const decided = p.decision
    ? ` (by ${p.decision.by}${p.decision.reason ? `: ${p.decision.reason}` : ''})`
    : '';
  return `${p.id}  ${p.status}${decided}  ${p.author}: ${p.reason} [${p.files.map((f) => f.name).join(', ')}]${figures}`;
}

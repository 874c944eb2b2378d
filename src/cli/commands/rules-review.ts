import type { Command } from 'commander';
import { NeurulesError } from '../../errors';
import type { BackendChoice } from '../../teacher/backend-choice';
import {
  backendOption,
  type CliIO,
  given,
  locationOf,
  MEASURE_ON,
  modelOption,
  withDirs,
} from '../options';

/** `neurules rules propose|proposals`: four-eyes review of override changes. */
export function registerRulesReview(rules: Command, io: CliIO): void {
  withDirs(
    rules
      .command('propose')
      .description(
        'propose FILE as the new content of overrides/FILE (its base name), checked as a studio save is; written as a pending proposal in RULES_DIR/NAME/proposals/ for another author to approve',
      )
      .addOption(modelOption())
      .requiredOption('--file <file>', 'the proposed text of the override file of the same name')
      .requiredOption('--author <name>', 'who proposes the change')
      .requiredOption('--reason <text>', 'why (one line)')
      .option('--data <file>', MEASURE_ON)
      .option('--json', 'print the proposal as JSON')
      .addOption(backendOption()),
  ).action(async (o) => {
    const { proposeOverrides, formatProposal } = await import('../../pipeline/review-overrides');
    const proposal = await proposeOverrides(
      locationOf(o),
      { file: o.file as string, author: o.author as string, reason: o.reason as string },
      { backend: o.backend as BackendChoice, ...given('data', o.data as string | undefined) },
    );
    io.stdout.write(
      o.json ? JSON.stringify(proposal, null, 2) + '\n' : `proposed ${formatProposal(proposal)}\n`,
    );
  });

  withDirs(
    rules
      .command('proposals')
      .description(
        'list the override proposals (newest first), or approve, reject or rebase one; an approval commits it as a studio save, never by its own author',
      )
      .addOption(modelOption())
      .option('--approve <id>', 'approve the proposal (needs --author, not its own)')
      .option('--reject <id>', 'reject the proposal (needs --author and --reason)')
      .option('--rebase <id>', 're-base the proposal on the override files as they are now')
      .option('--author <name>', 'who approves or rejects')
      .option('--reason <text>', 'why it is rejected (one line)')
      .option('--data <file>', MEASURE_ON)
      .option('--json', 'print the list, or what was done, as JSON')
      .addOption(backendOption()),
  ).action(async (o) => {
    const review = await import('../../pipeline/review-overrides');
    const actions = (['approve', 'reject', 'rebase'] as const).filter((a) => o[a] !== undefined);
    if (actions.length > 1) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `expected at most one of --approve, --reject and --rebase, found ${actions.map((a) => `--${a}`).join(', ')}`,
        { field: actions[1]! },
      );
    }
    const action = actions[0];
    if (action === undefined) {
      const list = review.listModelProposals(locationOf(o));
      if (o.json) io.stdout.write(JSON.stringify(list, null, 2) + '\n');
      else {
        for (const p of list.proposals) io.stdout.write(review.formatProposal(p) + '\n');
        for (const u of list.unreadable) io.stdout.write(`${u.file}: ${u.code} ${u.message}\n`);
        if (list.proposals.length === 0) io.stdout.write('no proposals\n');
      }
      return;
    }
    const id = o[action] as string;
    const author = (o.author as string | undefined) ?? '';
    const done = await review.decideProposal(
      locationOf(o),
      action === 'rebase'
        ? { action, id }
        : action === 'approve'
          ? { action, id, author }
          : { action, id, author, reason: (o.reason as string | undefined) ?? '' },
      { backend: o.backend as BackendChoice, ...given('data', o.data as string | undefined) },
    );
    if (o.json) io.stdout.write(JSON.stringify(done, null, 2) + '\n');
    else if (done.action === 'approve') {
      io.stdout.write(
        `approved ${id}: saved ${done.saved.saved.join(', ')} (by ${done.saved.entry.author ?? '?'}, approved by ${done.saved.entry.approvedBy ?? '?'})\n`,
      );
    } else
      io.stdout.write(
        `${done.action === 'reject' ? 'rejected' : 'rebased'} ${review.formatProposal(done.proposal)}\n`,
      );
  });
}

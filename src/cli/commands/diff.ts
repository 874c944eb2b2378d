import type { Command } from 'commander';
import type { BackendChoice } from '../../teacher/backend-choice';
import { backendOption, type CliIO, given, locationOf, modelOption, withDirs } from '../options';

/** `neurules diff`: what changed between two rule sets of a model, and what it changes. */
export function registerDiff(program: Command, io: CliIO): void {
  withDirs(
    program
      .command('diff')
      .description(
        'compare two rule sets of a model (default: the previous one with the current one): rules added, removed and changed, the exact regions whose decision changes, the records that change class, and what the new rules make of a decision log',
      )
      .addOption(modelOption())
      .option(
        '--from <ref>',
        'the rule set to compare from: a hash, 6 or more of its hex digits, or a generation (default: the one in force before --to)',
      )
      .option(
        '--to <ref>',
        'the rule set to compare to, named as --from (default: the current one)',
      )
      .option(
        '--data <file>',
        ".csv or .jsonl records to decide with both, labelled or not (default: the build's held-out test split)",
      )
      .option(
        '--log <file>',
        'a decision log (neurules serve --decision-log): decide its inputs with the --to rules',
      )
      .option('--json', 'print the whole diff as JSON (every region)')
      .addOption(backendOption()),
  ).action(async (o) => {
    const { diffRuleSets, formatRuleSetDiff } = await import('../../pipeline/diff-rule-sets');
    const diff = await diffRuleSets(locationOf(o), {
      backend: o.backend as BackendChoice,
      ...given('from', o.from as string | undefined),
      ...given('to', o.to as string | undefined),
      ...given('data', o.data as string | undefined),
      ...given('log', o.log as string | undefined),
    });
    io.stdout.write(
      o.json ? JSON.stringify(diff, null, 2) + '\n' : formatRuleSetDiff(diff).join('\n') + '\n',
    );
  });
}

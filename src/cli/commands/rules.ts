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
import { registerRulesReview } from './rules-review';

/** `neurules rules lint|test|impact|accept|promote`: the expert overrides and the rule file of a model. */
export function registerRules(program: Command, io: CliIO): void {
  const rules = program
    .command('rules')
    .description('expert override rules (RULES_DIR/NAME/overrides/*.yaml)');

  withDirs(
    rules
      .command('lint')
      .description(
        'check the override files (every problem as FILE:LINE:COLUMN CODE message), then find conflicting, shadowed, dead and redundant overrides and suspicious values; exit 2 on errors or conflicts',
      )
      .addOption(modelOption())
      .option(
        '--data <file>',
        "records to judge dead overrides on (default: the build's training split)",
      )
      .option('--json', 'print { ok, problems, findings, ... } as JSON (same exit codes)'),
  ).action(async (o) => {
    const { lintModelOverrides } = await import('../../pipeline/lint-model-overrides');
    const { formatLint, lintErrors } = await import('../../overrides/lint-report');
    const lint = await lintModelOverrides(
      locationOf(o),
      given('data', o.data as string | undefined),
    );
    if (o.json) io.stdout.write(JSON.stringify(lint, null, 2) + '\n');
    else for (const line of formatLint(lint)) io.stdout.write(`${line}\n`);
    if (lint.problems.length > 0) {
      throw new NeurulesError(
        'INVALID_OVERRIDE',
        `rules lint: ${lint.problems.length} problem(s) in ${lint.dir}; no override is applied until all are fixed`,
        { file: lint.dir },
      );
    }
    const errors = lintErrors(lint);
    if (errors > 0) {
      throw new NeurulesError('OVERRIDE_CONFLICT', `rules lint: ${errors} conflict(s)`, {
        file: lint.dir,
      });
    }
  });

  withDirs(
    rules
      .command('test')
      .description("run every override's examples through the merged rule set; exit 2 on a failure")
      .addOption(modelOption()),
  ).action(async (o) => {
    const { testOverrides } = await import('../../pipeline/test-overrides');
    const run = await testOverrides(locationOf(o));
    for (const r of run.results) {
      io.stdout.write(
        `${r.pass ? 'pass' : 'FAIL'}  ${r.override}  ${r.file}:${r.line}  expected ${r.expect}, got ${r.class} (rule ${r.ruleId})\n`,
      );
    }
    io.stdout.write(
      `rules test: ${run.passed} passed, ${run.failed} failed (${run.overrides} overrides)\n`,
    );
    if (run.failed > 0) {
      const first = run.results.find((r) => !r.pass)!;
      throw new NeurulesError(
        'EXAMPLE_FAILED',
        `${run.failed} override example(s) failed; the first expects ${first.expect}, the rules decide ${first.class}`,
        { file: first.file, line: first.line, field: 'examples' },
      );
    }
  });

  withDirs(
    rules
      .command('impact')
      .description(
        'what each override does on held-out data: records it decides, decisions it changes, accuracy and fidelity',
      )
      .addOption(modelOption())
      .option('--data <file>', MEASURE_ON)
      .option('--json', 'print the impact as JSON')
      .addOption(backendOption()),
  ).action(async (o) => {
    const { measureImpact } = await import('../../pipeline/measure-impact');
    const { formatImpactTable } = await import('../../audit/override-impact');
    const impact = await measureImpact(locationOf(o), {
      backend: o.backend as BackendChoice,
      ...given('data', o.data as string | undefined),
    });
    if (o.json) {
      io.stdout.write(JSON.stringify(impact, null, 2) + '\n');
      return;
    }
    const { data } = impact;
    io.stdout.write(
      `model '${impact.model}', ${impact.overrides} overrides; records: ${data.description}\n\n` +
        formatImpactTable(impact, {
          records: data.source === 'split' ? 'held-out records' : `records of ${data.file}`,
        }) +
        '\n',
    );
  });

  withDirs(
    rules
      .command('accept')
      .description(
        'take a deliberate hand edit of the distilled rule file: verify it, check that every record still reaches exactly one rule, show its impact on the held-out split, then record it (and log it in RULES_DIR/NAME/changes.jsonl)',
      )
      .addOption(modelOption())
      .option('--dry-run', 'check and measure the edit, record nothing')
      .option(
        '--reason <text>',
        "why the edit is made (recorded in changes.jsonl and shown by 'neurules history')",
      )
      .option('--json', 'print what was found and done as JSON')
      .addOption(backendOption()),
  ).action(async (o) => {
    const { acceptRules, formatAcceptance } = await import('../../pipeline/accept-rules');
    const result = await acceptRules(locationOf(o), {
      backend: o.backend as BackendChoice,
      dryRun: o.dryRun === true,
      ...given('reason', o.reason as string | undefined),
    });
    if (o.json) io.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else io.stdout.write(formatAcceptance(result).join('\n') + '\n');
  });

  withDirs(
    rules
      .command('promote')
      .description(
        "commit a challenger's rules (serve --shadow) as the model's rule set: its distilled rules, checked and measured on the held-out split, committed as rules accept commits (logged in RULES_DIR/NAME/changes.jsonl); the model's override files must make the challenger's rule set",
      )
      .addOption(modelOption())
      .requiredOption(
        '--from <other>',
        "the challenger: a model of the same schema, or a rule-set hash (12+ hex digits) of the model's archive",
      )
      .option('--dry-run', 'check and measure the promotion, record nothing')
      .option(
        '--reason <text>',
        "why the challenger is promoted (recorded in changes.jsonl and shown by 'neurules history')",
      )
      .option('--json', 'print what was found and done as JSON')
      .addOption(backendOption()),
  ).action(async (o) => {
    const { promoteRules, formatPromotion } = await import('../../pipeline/promote-rules');
    const result = await promoteRules(locationOf(o), o.from as string, {
      backend: o.backend as BackendChoice,
      dryRun: o.dryRun === true,
      ...given('reason', o.reason as string | undefined),
    });
    if (o.json) io.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else io.stdout.write(formatPromotion(result).join('\n') + '\n');
  });

  registerRulesReview(rules, io);
}

import { type Command, Option } from 'commander';
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

/** `neurules audit`: the audit report of a model, as HTML, Markdown or JSON. */
export function registerAudit(program: Command, io: CliIO): void {
  withDirs(
    program
      .command('audit')
      .description(
        'write an audit report of a model: quality with confidence intervals, every rule, the tree, override impact, drift from a decision log',
      )
      .addOption(modelOption())
      .requiredOption('--out <file>', 'where to write the report')
      .option('--data <file>', MEASURE_ON)
      .option('--log <file>', "the service's decision log (neurules serve --decision-log)")
      .addOption(
        new Option(
          '--format <name>',
          'html (one self-contained file), md (Markdown) or json (the report data); default: from the --out extension',
        ).choices(['html', 'md', 'json']),
      )
      .addOption(backendOption()),
  ).action(async (o) => {
    const { auditModel } = await import('../../pipeline/audit-model');
    const { report, format, text } = await auditModel(locationOf(o), {
      out: o.out,
      backend: o.backend as BackendChoice,
      ...given('format', o.format as string | undefined),
      ...given('data', o.data as string | undefined),
      ...given('log', o.log as string | undefined),
    });
    const f = report.quality.fidelity;
    io.stderr.write(
      `wrote ${o.out} (${format}, ${Math.round(Buffer.byteLength(text) / 1024)} KB): ${report.rules.length} rules on ${report.data.evaluatedOn}; ` +
        `fidelity ${f.value.toFixed(3)} (95% CI ${f.low.toFixed(3)}–${f.high.toFixed(3)}), rules accuracy ${report.quality.rulesAccuracy.toFixed(3)}, network accuracy ${report.quality.networkAccuracy.toFixed(3)}` +
        (report.drift
          ? `; ${report.drift.decisions} logged decisions, ${report.drift.rules.filter((r) => r.drifted).length} rule(s) drifted`
          : '') +
        '\n',
    );
  });
}

import { type Command, InvalidArgumentError, Option } from 'commander';
import { readDecimal } from '../../audit/bands';
import { disparityLine, printableName } from '../../audit/fairness';
import type { FairnessSection } from '../../audit/types';
import type { BackendChoice } from '../../teacher/backend-choice';
import { CheckFailed } from '../check-failed';
import {
  backendOption,
  type CliIO,
  given,
  locationOf,
  MEASURE_ON,
  modelOption,
  once,
  parseList,
  repeatable,
  withDirs,
} from '../options';

/** `neurules audit`: the audit report of a model, as HTML, Markdown or JSON. */
export function registerAudit(program: Command, io: CliIO): void {
  withDirs(
    program
      .command('audit')
      .description(
        'write an audit report of a model: quality with confidence intervals, every rule, the tree, override impact, drift from a decision log, fairness by group of protected features',
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
      .option(
        '--protected <feature,...>',
        'features to report fairness by group of (default: those build --protected marked in the schema)',
        parseList,
      )
      .option(
        '--bands <feature=bound,...>',
        'bands of a numeric protected feature, each from its lower bound up to but not including the next: age=25,35,50 gives < 25, 25 to < 35, 35 to < 50, ≥ 50 (repeatable, or joined by ;); default: quartiles of the audited records',
        repeatable,
      )
      .option(
        '--favourable <class>',
        'the class whose share is the selection rate of the four-fifths rule (default: every class is checked)',
        once('--favourable'),
      )
      .option(
        '--fail-on-disparity <ratio>',
        "after writing the report, exit 1 when a group's share of a checked class over the most favoured group's is below RATIO (0 < RATIO ≤ 1), naming each on standard error",
        aNumber,
      )
      .addOption(backendOption()),
  ).action(async (o) => {
    const { auditModel } = await import('../../pipeline/audit-model');
    const { report, format, text, disparities } = await auditModel(locationOf(o), {
      out: o.out,
      backend: o.backend as BackendChoice,
      ...given('format', o.format as string | undefined),
      ...given('data', o.data as string | undefined),
      ...given('log', o.log as string | undefined),
      ...given('protected', o.protected as string[] | undefined),
      ...given('bands', o.bands as string[] | undefined),
      ...given('favourable', o.favourable as string | undefined),
      ...given('failOnDisparity', o.failOnDisparity as number | undefined),
    });
    const f = report.quality.fidelity;
    io.stderr.write(
      `wrote ${o.out} (${format}, ${Math.round(Buffer.byteLength(text) / 1024)} KB): ${report.rules.length} rules on ${report.data.evaluatedOn}; ` +
        `fidelity ${f.value.toFixed(3)} (95% CI ${f.low.toFixed(3)}–${f.high.toFixed(3)}), rules accuracy ${report.quality.rulesAccuracy.toFixed(3)}, network accuracy ${report.quality.networkAccuracy.toFixed(3)}` +
        (report.drift
          ? `; ${report.drift.decisions} logged decisions, ${report.drift.rules.filter((r) => r.drifted).length} rule(s) drifted`
          : '') +
        (report.shadow
          ? `; challenger: ${report.shadow.decisions} decisions, agreement ${report.shadow.agreement !== null ? report.shadow.agreement.toFixed(3) : '—'}, ${report.shadow.disagreementCount} disagreement(s), ${report.shadow.errors} failure(s)`
          : '') +
        (report.fairness ? fairnessSummary(report.fairness) : '') +
        '\n',
    );
    if (disparities.length > 0) {
      const threshold = o.failOnDisparity as number;
      for (const d of disparities) io.stderr.write(`${disparityLine(d, threshold)}\n`);
      throw new CheckFailed(`${disparities.length} ratio(s) below ${threshold}`);
    }
  });
}

/** `; fairness: 2 protected feature(s), lowest ratio 0.742 (age 19 to < 27, good)` */
function fairnessSummary(s: FairnessSection): string {
  const low = s.lowest;
  return (
    `; fairness: ${s.features.length} protected feature(s), ` +
    (low
      ? `lowest ratio ${low.ratio.toFixed(3)} (${printableName(low.feature)} ${printableName(low.group)}, ${printableName(low.class)})`
      : 'no ratio defined')
  );
}

/** A commander parser for a plain decimal number (its range is the library's to check). */
function aNumber(value: string): number {
  const read = readDecimal(value);
  if (!read.ok) throw new InvalidArgumentError(read.reason);
  return read.value;
}

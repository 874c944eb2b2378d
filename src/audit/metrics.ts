import { NeurulesError } from '../errors';
import { classFidelity } from '../fidelity';
import { countConditions } from '../rules/describe-rule';
import type { Metrics, TeacherShapingReport } from '../artifacts/types';
import type { RuleSet } from '../rules/types';

// Balanced fidelity is defined once, below every stage (distillation selects on it too).
export { classFidelity, type ClassFidelity } from '../fidelity';

/** Share of positions where `a` and `b` hold the same value. */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `agreement: expected two lists of one length, found ${a.length} and ${b.length}`,
    );
  if (a.length === 0) return NaN;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** Number of positions where `a` and `b` hold different values. */
export function differences(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `differences: expected two lists of one length, found ${a.length} and ${b.length}`,
    );
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** Rule count and mean comparisons per rule of a rule set. */
export function ruleSetSize(ruleSet: RuleSet): { ruleCount: number; meanConditions: number } {
  const ruleCount = ruleSet.rules.length;
  const total = ruleSet.rules.reduce((s, r) => s + countConditions(r.conditions), 0);
  return { ruleCount, meanConditions: ruleCount ? total / ruleCount : 0 };
}

/**
 * Compute the metrics from class indices on the test split. `rules` are the distilled
 * rules' decisions; `overrides`, when given, the merged rule set's decisions on the same
 * records and the number of overrides in it.
 */
export function computeMetrics(input: {
  truth: number[];
  teacher: number[];
  rules: number[];
  /** Class names (index order): with them, balanced and per-class fidelity are measured. */
  classes?: readonly string[];
  ruleSet: RuleSet;
  rows: { train: number; validation: number; test: number };
  backend: string;
  overrides?: { count: number; rules: number[] } | undefined;
  /** What teacher shaping did, recorded as it is. */
  teacherShaping?: TeacherShapingReport;
  /** The class most frequent in the rows the network learned from: the baseline to beat. */
  majority?: number;
  /** The refit of the network and how its epochs were chosen, recorded as it is. */
  refit?: Metrics['refit'];
  /** How well each perception concept is perceived, recorded as it is. */
  concepts?: Metrics['concepts'];
}): Metrics {
  const metrics: Metrics = {
    format: 'neurules.metrics',
    version: 1,
    teacherAccuracy: agreement(input.teacher, input.truth),
    rulesAccuracy: agreement(input.rules, input.truth),
    fidelity: agreement(input.rules, input.teacher),
    ...(input.classes && balancedOf(input.rules, input.teacher, input.classes)),
    ...ruleSetSize(input.ruleSet),
    trainRows: input.rows.train,
    validationRows: input.rows.validation,
    testRows: input.rows.test,
    backend: input.backend,
    ...(input.teacherShaping && { teacherShaping: input.teacherShaping }),
    ...(input.refit && { refit: input.refit }),
    ...(input.classes && { perClass: perClassFigures(input) }),
    ...(input.concepts && { concepts: input.concepts }),
  };
  if (input.majority !== undefined && input.classes) {
    const always = input.majority;
    metrics.majority = {
      class: input.classes[always]!,
      accuracy: agreement(
        input.truth.map(() => always),
        input.truth,
      ),
    };
  }
  if (input.overrides) {
    const merged = input.overrides.rules;
    metrics.overrides = {
      count: input.overrides.count,
      rulesAccuracy: agreement(merged, input.truth),
      fidelity: agreement(merged, input.teacher),
      changed: differences(merged, input.rules),
    };
  }
  return metrics;
}

/**
 * Per class: its rows among the truths, and for the network and the rules how many records
 * they decide as the class and the share of its rows they decide right (recall).
 */
function perClassFigures(input: {
  truth: number[];
  teacher: number[];
  rules: number[];
  classes?: readonly string[];
}): NonNullable<Metrics['perClass']> {
  const out: NonNullable<Metrics['perClass']> = {};
  (input.classes ?? []).forEach((name, k) => {
    const rows = input.truth.filter((y) => y === k).length;
    const of = (decided: number[]) => {
      const right = decided.filter((y, i) => y === k && input.truth[i] === k).length;
      return {
        predicted: decided.filter((y) => y === k).length,
        recall: rows > 0 ? right / rows : null,
      };
    };
    out[name] = { rows, network: of(input.teacher), rules: of(input.rules) };
  });
  return out;
}

/** The metrics as an aligned two-column text table. */
export function formatMetricsTable(m: Metrics): string {
  const rows: [string, string][] = [
    ['teacher accuracy (network, test)', m.teacherAccuracy.toFixed(3)],
    ['rules accuracy (test)', m.rulesAccuracy.toFixed(3)],
    ...conceptRows(m),
    ...(m.majority
      ? ([[`  always '${m.majority.class}' (majority class)`, m.majority.accuracy.toFixed(3)]] as [
          string,
          string,
        ][])
      : []),
    ...recallRows(m),
    ['fidelity (rules = network, test)', m.fidelity.toFixed(3)],
    ...balancedRows(m),
    ...(m.overrides
      ? ([
          [
            `rules + ${m.overrides.count} overrides accuracy (test)`,
            m.overrides.rulesAccuracy.toFixed(3),
          ],
          ['fidelity with overrides (test)', m.overrides.fidelity.toFixed(3)],
          ['decisions changed by overrides', `${m.overrides.changed} of ${m.testRows}`],
        ] as [string, string][])
      : []),
    ['rules', String(m.ruleCount)],
    ['mean conditions per rule', m.meanConditions.toFixed(2)],
    ...(m.teacherShaping && m.teacherShaping.mode !== 'off'
      ? ([['teacher shaping', m.teacherShaping.used ? 'kept' : 'not kept']] as [string, string][])
      : []),
    ['train / validation / test rows', `${m.trainRows} / ${m.validationRows} / ${m.testRows}`],
    ...(m.refit ? ([refitRow(m.refit)] as [string, string][]) : []),
    ['backend', m.backend],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const line = `${'-'.repeat(w + 2)}+${'-'.repeat(12)}`;
  return [line, ...rows.map(([k, v]) => ` ${k.padEnd(w)} | ${v}`), line].join('\n');
}

/**
 * Each concept's confusion matrix on the test split (models with perception concepts), as
 * text under the metrics table: rows the labelled class, columns the perceived one.
 */
export function formatConceptConfusion(m: Metrics): string {
  return Object.entries(m.concepts ?? {})
    .map(([name, c]) => {
      const cells = [['labelled ↓ perceived →', ...c.classes]].concat(
        c.classes.map((cls, i) => [cls, ...c.confusion[i]!.map(String)]),
      );
      const widths = cells[0]!.map((_, j) => Math.max(...cells.map((row) => row[j]!.length)));
      const lines = cells.map((row) =>
        row.map((v, j) => (j === 0 ? v.padEnd(widths[j]!) : v.padStart(widths[j]!))).join('  '),
      );
      return [
        `concept '${name}' confusion (test, ${c.network}):`,
        ...lines.map((l) => ` ${l}`),
      ].join('\n');
    })
    .join('\n\n');
}

/** Each concept's accuracy on the test split (models with perception concepts). */
function conceptRows(m: Metrics): [string, string][] {
  return Object.entries(m.concepts ?? {}).map(([name, c]) => [
    `concept '${name}' accuracy (perception, test)`,
    `${c.accuracy === null ? '–' : c.accuracy.toFixed(3)} (${c.rows} labelled rows)`,
  ]);
}

/** How the saved network was trained, in a table row. */
function refitRow(refit: NonNullable<Metrics['refit']>): [string, string] {
  const l2 = refit.l2 !== undefined ? `, L2 ${refit.l2}` : '';
  return refit.selection === 'kfold'
    ? [
        'network trained on every training row',
        `${refit.rows} rows, ${refit.epochs} epochs${l2} (${refit.folds ?? '?'}-fold cross-validation)`,
      ]
    : ['network refit on train + validation', `${refit.rows} rows, ${refit.epochs} epochs${l2}`];
}

/** Each class's recall by the network and by the rules (models that measured them). */
function recallRows(m: Metrics): [string, string][] {
  if (!m.perClass) return [];
  const f = (x: number | null) => (x === null ? '–' : x.toFixed(3));
  return Object.entries(m.perClass).map(([name, c]) => [
    `  recall of '${name}' (network / rules)`,
    `${f(c.network.recall)} / ${f(c.rules.recall)} (${c.rows} rows)`,
  ]);
}

/** The balanced fidelity row and the class the rules follow least (models that measured them). */
function balancedRows(m: Metrics): [string, string][] {
  if (m.balancedFidelity === undefined || !m.fidelityPerClass) return [];
  const { worst } = balancedSummary(
    Object.entries(m.fidelityPerClass).map(([c, f]) => ({
      class: c,
      records: f.records,
      agree: f.agree,
      fidelity: f.fidelity ?? 0,
    })),
  );
  return [
    ['balanced fidelity (mean over classes)', m.balancedFidelity.toFixed(3)],
    ...(worst
      ? ([
          [
            `  least followed class '${worst.class}'`,
            `${worst.fidelity.toFixed(3)} (${worst.agree} of ${worst.records})`,
          ],
        ] as [string, string][])
      : []),
  ];
}

function balancedOf(
  rules: ArrayLike<number>,
  teacher: ArrayLike<number>,
  classes: readonly string[],
): Pick<Metrics, 'balancedFidelity' | 'fidelityPerClass'> {
  const { balanced, perClass } = classFidelity(rules, teacher, classes);
  return { balancedFidelity: balanced, fidelityPerClass: perClass };
}

/**
 * Balanced fidelity of per-class figures (as the audit report lists them), and the class
 * the rules follow least: the mean of the shares over the classes with records.
 */
export function balancedSummary(
  perClass: readonly { class: string; records: number; agree: number; fidelity: number }[],
): {
  balanced: number;
  worst: { class: string; records: number; agree: number; fidelity: number } | null;
} {
  const present = perClass.filter((p) => p.records > 0);
  if (!present.length) return { balanced: NaN, worst: null };
  const balanced = present.reduce((a, p) => a + p.fidelity, 0) / present.length;
  const worst = present.reduce((w, p) => (p.fidelity < w.fidelity ? p : w));
  return { balanced, worst };
}

import { countConditions } from '../rules/describe-rule';
import type { RuleSet } from '../rules/types';

/** Held-out quality of a model: the network, the rules, and how well they agree. */
export interface Metrics {
  format: 'neurules.metrics';
  version: 1;
  /** Accuracy of the network on the test split. */
  teacherAccuracy: number;
  /** Accuracy of the rules on the test split. */
  rulesAccuracy: number;
  /** Share of test records where rules and network decide the same class. */
  fidelity: number;
  ruleCount: number;
  /** Mean comparisons per rule (an interval counts two; `or missing` alternatives none). */
  meanConditions: number;
  /** Records in each split. */
  trainRows: number;
  validationRows: number;
  testRows: number;
  /** TensorFlow.js backend that trained the network. */
  backend: string;
}

/** Share of positions where `a` and `b` hold the same value. */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new Error(`agreement: lengths differ (${a.length} vs ${b.length})`);
  if (a.length === 0) return NaN;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** Rule count and mean comparisons per rule of a rule set. */
export function ruleSetSize(ruleSet: RuleSet): { ruleCount: number; meanConditions: number } {
  const ruleCount = ruleSet.rules.length;
  const total = ruleSet.rules.reduce((s, r) => s + countConditions(r.conditions), 0);
  return { ruleCount, meanConditions: ruleCount ? total / ruleCount : 0 };
}

/** Compute the metrics from class indices on the test split. */
export function computeMetrics(input: {
  truth: number[];
  teacher: number[];
  rules: number[];
  ruleSet: RuleSet;
  rows: { train: number; validation: number; test: number };
  backend: string;
}): Metrics {
  return {
    format: 'neurules.metrics',
    version: 1,
    teacherAccuracy: agreement(input.teacher, input.truth),
    rulesAccuracy: agreement(input.rules, input.truth),
    fidelity: agreement(input.rules, input.teacher),
    ...ruleSetSize(input.ruleSet),
    trainRows: input.rows.train,
    validationRows: input.rows.validation,
    testRows: input.rows.test,
    backend: input.backend,
  };
}

/** The metrics as an aligned two-column text table. */
export function formatMetricsTable(m: Metrics): string {
  const rows: [string, string][] = [
    ['teacher accuracy (network, test)', m.teacherAccuracy.toFixed(3)],
    ['rules accuracy (test)', m.rulesAccuracy.toFixed(3)],
    ['fidelity (rules = network, test)', m.fidelity.toFixed(3)],
    ['rules', String(m.ruleCount)],
    ['mean conditions per rule', m.meanConditions.toFixed(2)],
    ['train / validation / test rows', `${m.trainRows} / ${m.validationRows} / ${m.testRows}`],
    ['backend', m.backend],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const line = `${'-'.repeat(w + 2)}+${'-'.repeat(12)}`;
  return [line, ...rows.map(([k, v]) => ` ${k.padEnd(w)} | ${v}`), line].join('\n');
}

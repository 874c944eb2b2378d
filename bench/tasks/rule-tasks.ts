/**
 * Rule-defined tasks: a small random decision list over mixed numeric and categorical
 * features (plus irrelevant ones), the first matching rule giving the class. Each task has
 * a rare class defined by an interaction, as issue 20's example: one level of a 2-level
 * feature, 3 of the 10 levels of a categorical one, under a numeric threshold; its share
 * of the data is set by the threshold (down to 3%). The rules of the other classes test one
 * or two features each; the last class is the default.
 *
 * The seed draws the rules (which features, levels and thresholds) and the rows. Numeric
 * features are drawn from a triangular distribution over their range in the data (thin at
 * the ends), and uniformly in the uniform sample, so recovery also asks whether the learned
 * boundaries hold where the data is thin. Thresholds are set at quantiles of the data's
 * distribution, so the class shares are those asked for.
 */
import { createRandom, type Random } from '../../src/random';
import {
  flipLabels,
  type CategoricalColumn,
  type KnownTask,
  type LabelledRecords,
  type NumericColumn,
  type TaskColumn,
  type TaskRecord,
} from './known-task';

/** One test of a generating rule. */
export type RuleTest =
  | { feature: string; op: '<' | '>='; value: number }
  | { feature: string; op: 'in'; levels: string[] };

/** A generating rule: all its tests hold → its class. */
export interface GeneratingRule {
  tests: RuleTest[];
  class: string;
}

/**
 * A test while the task is drawn: it holds its column, named only once every column is
 * made (see {@link ColumnFactory.columns}).
 */
type DraftTest =
  | { column: NumericColumn; op: '<' | '>='; value: number }
  | { column: CategoricalColumn; op: 'in'; levels: string[] };

/** How the rule of one of the other (not rare, not default) classes is made. */
export type RuleKind = 'numeric' | 'categorical' | 'numeric×categorical' | 'numeric×numeric';

/** The shape of a rule-defined task; the seed fills in the rest. */
export interface RuleTaskShape {
  /** Share of the rare class in the data (at most 0.15: 1/2 × 3/10 of the records). */
  rareShare: number;
  /** One rule per class between the rare class and the default class, in order. */
  others: RuleKind[];
  /** Features no rule tests. */
  irrelevant: { numeric: number; categorical: number };
  /** Share of training labels flipped to another class. @defaultValue 0 */
  noise?: number;
  /** @defaultValue { train: 3000, test: 2000, uniform: 20000 } */
  rows?: { train: number; test: number; uniform: number };
}

/** The bench's rule-defined tasks: four noise-free and one noisy. */
export const RULE_TASKS: Readonly<Record<string, RuleTaskShape>> = {
  // Issue 20's example: a 3% class by a 3-feature interaction, the others by one column.
  'gen-rare3': { rareShare: 0.03, others: ['numeric'], irrelevant: { numeric: 2, categorical: 2 } },
  'gen-rare5': {
    rareShare: 0.05,
    others: ['categorical'],
    irrelevant: { numeric: 3, categorical: 2 },
  },
  'gen-interact': {
    rareShare: 0.08,
    others: ['numeric×numeric'],
    irrelevant: { numeric: 2, categorical: 2 },
  },
  'gen-four': {
    rareShare: 0.04,
    others: ['numeric×categorical', 'categorical'],
    irrelevant: { numeric: 2, categorical: 3 },
  },
  'gen-noisy': {
    rareShare: 0.05,
    others: ['numeric', 'categorical'],
    irrelevant: { numeric: 2, categorical: 2 },
    noise: 0.05,
  },
};

const DEFAULT_ROWS = { train: 3000, test: 2000, uniform: 20000 };
const CLASS_NAMES = ['A', 'B', 'C', 'D', 'E', 'F'];
const LEVEL_NAMES = 'abcdefghijklmnopqrstuvwxyz'.split('');

/** The class the first matching rule gives, else `defaultClass`. */
export function decide(
  rules: readonly GeneratingRule[],
  defaultClass: string,
  record: TaskRecord,
): string {
  for (const rule of rules) if (rule.tests.every((t) => holds(t, record))) return rule.class;
  return defaultClass;
}

function holds(test: RuleTest, record: TaskRecord): boolean {
  const value = record[test.feature];
  if (test.op === 'in') return test.levels.includes(value as string);
  return test.op === '<' ? (value as number) < test.value : (value as number) >= test.value;
}

/** A rule list in words: `c3 = b and n2 < 41.35 → A; …; otherwise C`. */
export function describeRules(rules: readonly GeneratingRule[], defaultClass: string): string {
  const word = (t: RuleTest): string =>
    t.op === 'in'
      ? t.levels.length === 1
        ? `${t.feature} = ${t.levels[0]}`
        : `${t.feature} in {${t.levels.join(', ')}}`
      : `${t.feature} ${t.op === '<' ? '<' : '≥'} ${t.value}`;
  return [
    ...rules.map((r) => `${r.tests.map(word).join(' and ')} → ${r.class}`),
    `otherwise ${defaultClass}`,
  ].join('; ');
}

/** A rule-defined task: a {@link KnownTask} with its generating rules as data. */
export interface RuleTask extends KnownTask {
  /** The decision list: the first rule whose tests all hold gives the class. */
  rules: GeneratingRule[];
  /** The class when no rule holds. */
  defaultClass: string;
}

/**
 * A rule-defined task of the given shape, drawn with `seed`: its features (relevant and
 * irrelevant, in a shuffled order), its rules, training rows (labels flipped at the noise
 * rate), noise-free test rows, and a uniform sample of the input space.
 */
export function ruleTask(name: string, shape: RuleTaskShape, seed: number): RuleTask {
  if (!(shape.rareShare > 0 && shape.rareShare <= 0.15))
    throw new Error(`rareShare: expected a share in (0, 0.15], found ${shape.rareShare}`);
  const rows = shape.rows ?? DEFAULT_ROWS;
  const noise = shape.noise ?? 0;
  // The task's name in the seed: two tasks of one bench seed draw different rules.
  const rnd = createRandom((seed * 0x9e3779b1) ^ hashName(name));
  const factory = new ColumnFactory(rnd);
  const classes = CLASS_NAMES.slice(0, shape.others.length + 2);
  const drafts: { tests: DraftTest[]; class: string }[] = [];

  // The rare class: one of 2 levels × 3 of 10 levels × a numeric quantile q.
  const two = factory.categorical(2);
  const ten = factory.categorical(10);
  const under = factory.numeric();
  drafts.push({
    class: classes[0]!,
    tests: [
      { column: two, op: 'in', levels: pick(rnd, two.levels, 1) },
      { column: ten, op: 'in', levels: pick(rnd, ten.levels, 3) },
      { column: under, op: '<', value: threshold(under, shape.rareShare / 0.15) },
    ],
  });
  shape.others.forEach((kind, i) => {
    // Each such rule takes about 35-60% of what the rules above it leave.
    const share = 0.35 + 0.25 * rnd.next();
    drafts.push({ class: classes[i + 1]!, tests: otherTests(kind, share, factory, rnd) });
  });
  const defaultClass = classes[classes.length - 1]!;
  for (let i = 0; i < shape.irrelevant.numeric; i++) factory.numeric();
  for (let i = 0; i < shape.irrelevant.categorical; i++) factory.categorical(2 + rnd.int(7));
  const columns = factory.columns();
  const rules: GeneratingRule[] = drafts.map((d) => ({
    class: d.class,
    tests: d.tests.map((t): RuleTest =>
      t.op === 'in'
        ? { feature: t.column.name, op: 'in', levels: t.levels }
        : { feature: t.column.name, op: t.op, value: t.value },
    ),
  }));

  const classify = (r: TaskRecord): string => decide(rules, defaultClass, r);
  const labelled = (records: TaskRecord[]): LabelledRecords => ({
    records,
    labels: records.map(classify),
  });
  const draw = (n: number, uniform: boolean): TaskRecord[] =>
    Array.from({ length: n }, () => drawRecord(columns, rnd, uniform));
  const train = labelled(draw(rows.train, false));
  const test = labelled(draw(rows.test, false));
  const uniform = labelled(draw(rows.uniform, true));
  return {
    name,
    logic: describeRules(rules, defaultClass),
    columns,
    target: 'class',
    classes,
    classify,
    train: { records: train.records, labels: flipLabels(train.labels, classes, noise, rnd) },
    test,
    uniform,
    noise,
    rules,
    defaultClass,
  };
}

/** Tests of one of the other classes' rules, holding on about `share` of the records. */
function otherTests(
  kind: RuleKind,
  share: number,
  factory: ColumnFactory,
  rnd: Random,
): DraftTest[] {
  switch (kind) {
    case 'numeric': {
      const n = factory.numeric();
      return [{ column: n, op: '>=', value: threshold(n, 1 - share) }];
    }
    case 'categorical':
      return [levelTest(factory.categorical(4 + rnd.int(3)), share, rnd)];
    case 'numeric×categorical': {
      // Two tests of √share each hold together on about `share`.
      const root = Math.sqrt(share);
      const c = levelTest(factory.categorical(4 + rnd.int(3)), root, rnd);
      const n = factory.numeric();
      return [c, { column: n, op: '>=', value: threshold(n, 1 - root) }];
    }
    case 'numeric×numeric': {
      const root = Math.sqrt(share);
      const n1 = factory.numeric();
      const n2 = factory.numeric();
      return [
        { column: n1, op: '>=', value: threshold(n1, 1 - root) },
        { column: n2, op: '<', value: threshold(n2, root) },
      ];
    }
  }
}

/** `feature in S`, S about `share` of its levels (at least one, never all). */
function levelTest(column: CategoricalColumn, share: number, rnd: Random): DraftTest {
  const k = Math.min(
    column.levels.length - 1,
    Math.max(1, Math.round(share * column.levels.length)),
  );
  return { column, op: 'in', levels: pick(rnd, column.levels, k) };
}

/** `k` distinct items of `items`, in their order. */
function pick(rnd: Random, items: readonly string[], k: number): string[] {
  const chosen = new Set(rnd.shuffle([...items]).slice(0, k));
  return items.filter((x) => chosen.has(x));
}

/**
 * The value below which a share `q` of the data's values lie (triangular over the range),
 * moved half a step off the values' grid so no value sits on it.
 */
function threshold(column: NumericColumn, q: number): number {
  const u = q < 0.5 ? Math.sqrt(q / 2) : 1 - Math.sqrt((1 - q) / 2);
  const step = 10 ** -column.decimals;
  const onGrid = Math.round((column.min + u * (column.max - column.min)) / step) * step;
  return round(onGrid + step / 2, column.decimals + 1);
}

/** A record: numeric values triangular in the data, uniform in the uniform sample. */
function drawRecord(columns: readonly TaskColumn[], rnd: Random, uniform: boolean): TaskRecord {
  const record: TaskRecord = {};
  for (const c of columns) {
    if (c.type === 'categorical') record[c.name] = c.levels[rnd.int(c.levels.length)]!;
    else {
      const u = uniform ? rnd.next() : (rnd.next() + rnd.next()) / 2;
      record[c.name] = round(c.min + u * (c.max - c.min), c.decimals);
    }
  }
  return record;
}

function round(x: number, decimals: number): number {
  return Number(x.toFixed(decimals));
}

/** 32-bit FNV-1a of a name. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Makes the task's columns: ranges and level counts drawn at random, names given at the
 * end in a shuffled order (`n1`, `n2`, … and `c1`, `c2`, …), so a column's name or place
 * does not tell whether a rule tests it.
 */
class ColumnFactory {
  private readonly made: TaskColumn[] = [];
  private readonly rnd: Random;

  constructor(rnd: Random) {
    this.rnd = rnd;
  }

  numeric(): NumericColumn {
    const span = [1, 10, 100, 10000][this.rnd.int(4)]!;
    const min = [0, -span / 2, 20, 1000][this.rnd.int(4)]!;
    // About a thousand distinct values whatever the span.
    const decimals = Math.max(0, 3 - Math.round(Math.log10(span)));
    const column: NumericColumn = { name: '', type: 'numeric', min, max: min + span, decimals };
    this.made.push(column);
    return column;
  }

  categorical(levels: number): CategoricalColumn {
    const column: CategoricalColumn = {
      name: '',
      type: 'categorical',
      levels: LEVEL_NAMES.slice(0, levels),
    };
    this.made.push(column);
    return column;
  }

  /** Every column made, named, in a shuffled order (the drafts' tests hold these objects). */
  columns(): TaskColumn[] {
    const order = this.rnd.shuffle([...this.made]);
    let numeric = 0;
    let categorical = 0;
    for (const c of order) c.name = c.type === 'numeric' ? `n${++numeric}` : `c${++categorical}`;
    return order;
  }
}

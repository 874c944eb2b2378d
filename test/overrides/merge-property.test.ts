/**
 * Property: for random override files (written as YAML and read by parseOverrides), the
 * merged rule set decides every record as the hit policy says — the first matching
 * override by priority (highest first), then file name, then line; else the distilled
 * rule — and a plain json-rules-engine run, RuleEngine and the compiled evaluator agree.
 *
 * The expected decision comes from a reference written here, independent of src/: the
 * generated `when` blocks are evaluated as written (not as parsed), and the overrides are
 * ordered by a comparator of our own.
 */
import * as path from 'node:path';
import fc from 'fast-check';
import { Engine, type NestedCondition, type TopLevelCondition } from 'json-rules-engine';
import { readRecords } from '../../src/data/read-records';
import type { DataRecord, Feature, NumericFeature, Value } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { RuleEngine } from '../../src/engine/rule-engine';
import type { Decision } from '../../src/engine/types';
import { mergeOverrides } from '../../src/overrides/merge-overrides';
import { parseOverrides, type Override } from '../../src/overrides/parse-overrides';
import type { DecisionParams } from '../../src/rules/types';
import { loadModelFiles, loadRuleSet } from '../../src/artifacts/model-store';
import { GERMAN_CREDIT } from '../helpers/german-credit';

const ROOT = path.join(__dirname, '..', '..');
const { schema } = loadModelFiles(GERMAN_CREDIT);
const distilled = loadRuleSet(GERMAN_CREDIT);
/** The distilled decision of a record: what applies when no override matches. */
const distilledRules = compileRuleSet(distilled);
const { records: realRecords } = readRecords(path.join(ROOT, 'data', 'german-credit.csv'), schema);
/** Values that occur in the data, per numeric feature. */
const observed = new Map(
  schema.features
    .filter((f) => f.type === 'numeric')
    .map((f) => [
      f.name,
      [...new Set(realRecords.map((r) => r[f.name]).filter((v) => typeof v === 'number'))],
    ]),
);

const FAST_CHECK = { numRuns: Number(process.env.FC_RUNS ?? 150) };

// ---------------------------------------------------------------------------------------
// What an expert writes: `when` maps of feature → operator → value, `all`, `any`, `not`

type Operator =
  | 'equal'
  | 'notEqual'
  | 'lessThan'
  | 'lessThanInclusive'
  | 'greaterThan'
  | 'greaterThanInclusive'
  | 'between'
  | 'in'
  | 'notIn';
/** How each operator may be written (parse-overrides' names and aliases). */
const SPELLINGS: Record<Operator, readonly string[]> = {
  equal: ['equal', '='],
  notEqual: ['notEqual', '!='],
  lessThan: ['lessThan', '<'],
  lessThanInclusive: ['lessThanInclusive', '<='],
  greaterThan: ['greaterThan', '>'],
  greaterThanInclusive: ['greaterThanInclusive', '>='],
  between: ['between'],
  in: ['in'],
  notIn: ['notIn', 'not in'],
};
const NUMERIC_OPERATORS = Object.keys(SPELLINGS) as Operator[];
const CATEGORICAL_OPERATORS: Operator[] = ['equal', 'notEqual', 'in', 'notIn'];

type Scalar = number | string;
interface Comparison {
  operator: Operator;
  spelling: string;
  value: Scalar | Scalar[];
}
type Entry =
  | { kind: 'feature'; feature: string; comparisons: Comparison[] }
  | { kind: 'all' | 'any'; items: When[] }
  | { kind: 'not'; when: When };
/** A `when` map: every entry holds. */
type When = Entry[];
type Quote = 'plain' | 'single' | 'double';

interface WrittenOverride {
  id: string;
  class: string;
  /** Undefined: left out of the YAML (the default, 100). */
  priority: number | undefined;
  when: When;
  /** Index of its file. */
  file: number;
  /** Blank and comment lines before it, so that lines vary. */
  gap: number;
  quote: Quote;
}

interface WrittenSet {
  files: string[];
  overrides: WrittenOverride[];
  /** Sort keys that shuffle the overrides before merging. */
  shuffle: number[];
}

function numberFor(f: NumericFeature): fc.Arbitrary<number> {
  return fc.oneof(
    fc.constantFrom(f.min, f.max),
    fc.constantFrom(...observed.get(f.name)!),
    fc.integer({ min: f.min - 3, max: f.max + 3 }),
    fc.integer({ min: f.min, max: f.max }).map((x) => x + 0.5),
  );
}

function comparisonFor(f: Feature): fc.Arbitrary<Comparison> {
  const scalar: fc.Arbitrary<Scalar> =
    f.type === 'numeric' ? numberFor(f) : fc.constantFrom(...f.levels);
  const operators = f.type === 'numeric' ? NUMERIC_OPERATORS : CATEGORICAL_OPERATORS;
  return fc.constantFrom(...operators).chain((operator) => {
    const value: fc.Arbitrary<Scalar | Scalar[]> =
      operator === 'between'
        ? fc.tuple(scalar, scalar) // low > high happens: an empty range
        : operator === 'in' || operator === 'notIn'
          ? fc.array(scalar, { maxLength: 4 })
          : scalar;
    return fc.record({
      operator: fc.constant(operator),
      spelling: fc.constantFrom(...SPELLINGS[operator]),
      value,
    });
  });
}

const featureEntry: fc.Arbitrary<Entry> = fc
  .constantFrom(...schema.features)
  .chain((f) =>
    fc
      .uniqueArray(comparisonFor(f), { minLength: 1, maxLength: 2, selector: (c) => c.spelling })
      .map((comparisons) => ({ kind: 'feature' as const, feature: f.name, comparisons })),
  );

/** Keys of one YAML map must be unique (parseOverrides reads with `uniqueKeys`). */
const entryKey = (e: Entry): string => (e.kind === 'feature' ? e.feature : e.kind);

const { when } = fc.letrec<{ when: When; entry: Entry }>((tie) => ({
  when: fc.uniqueArray(tie('entry'), { minLength: 1, maxLength: 3, selector: entryKey }),
  entry: fc.oneof(
    { maxDepth: 2, depthSize: 'small' },
    { arbitrary: featureEntry, weight: 8 },
    {
      arbitrary: fc.record({
        kind: fc.constantFrom('all' as const, 'any' as const),
        items: fc.array(tie('when'), { minLength: 1, maxLength: 3 }),
      }),
      weight: 2,
    },
    { arbitrary: tie('when').map((w): Entry => ({ kind: 'not', when: w })), weight: 1 },
  ),
}));

/** Ids: ordinary ones, and some that are names elsewhere (a distilled rule, Object.prototype). */
const overrideId = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/), weight: 8 },
  { arbitrary: fc.constantFrom('R01', 'constructor', '__proto__', 'has space', 'ünï'), weight: 1 },
);

function writtenOverride(files: number): fc.Arbitrary<WrittenOverride> {
  return fc.record({
    id: overrideId,
    class: fc.constantFrom(...schema.classes),
    // A small range, so that ties within and across files are common; 100 is the default.
    priority: fc.option(fc.constantFrom(2, 3, 5), { nil: undefined, freq: 3 }),
    when,
    file: fc.nat(files - 1),
    gap: fc.nat(3),
    quote: fc.constantFrom<Quote>('plain', 'single', 'double'),
  });
}

/**
 * File names on which code-unit order and `localeCompare` agree (lower-case letters,
 * digits, '-' and '.'), so this property does not depend on which of the two "file name
 * order" means; see the mixed-case test below for that.
 */
const plainFileName = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,5}\.ya?ml$/);

function writtenSet(fileName: fc.Arbitrary<string>): fc.Arbitrary<WrittenSet> {
  return fc
    .constantFrom(1, 2, 2, 3, 3)
    .chain((files) =>
      fc.record({
        files: fc.uniqueArray(fileName, { minLength: files, maxLength: files }),
        overrides: fc.uniqueArray(writtenOverride(files), {
          minLength: 1,
          maxLength: 8,
          selector: (o) => o.id,
        }),
        shuffle: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
        // Overrides that repeat an earlier one's `when` (conflicting experts): ties that matter.
        repeats: fc.array(fc.option(fc.nat(7), { freq: 2 }), { minLength: 8, maxLength: 8 }),
      }),
    )
    .map(({ repeats, ...set }) => ({
      ...set,
      overrides: set.overrides.map((o, i) => {
        const from = repeats[i];
        return from !== null && from !== undefined && from < i
          ? { ...o, when: set.overrides[from]!.when }
          : o;
      }),
    }));
}

// ---------------------------------------------------------------------------------------
// Records: real ones, real ones with some values changed (to missing, to the overrides'
// thresholds and next to them, to unseen levels), and random ones

/** Every value the overrides compare each feature with. */
function thresholds(overrides: readonly WrittenOverride[]): Map<string, Scalar[]> {
  const out = new Map<string, Scalar[]>();
  const visit = (w: When): void => {
    for (const e of w) {
      if (e.kind === 'feature') {
        const list = out.get(e.feature) ?? [];
        for (const c of e.comparisons) list.push(...(Array.isArray(c.value) ? c.value : [c.value]));
        out.set(e.feature, list);
      } else if (e.kind === 'not') visit(e.when);
      else e.items.forEach(visit);
    }
  };
  overrides.forEach((o) => visit(o.when));
  return out;
}

function valueFor(f: Feature, near: readonly Scalar[]): fc.Arbitrary<Value> {
  const typical: fc.Arbitrary<Value> =
    f.type === 'numeric'
      ? numberFor(f)
      : fc.oneof(
          { arbitrary: fc.constantFrom(...f.levels), weight: 5 },
          { arbitrary: fc.constant('unseen level'), weight: 1 },
        );
  const options: { arbitrary: fc.Arbitrary<Value>; weight: number }[] = [
    { arbitrary: fc.constant(null), weight: 1 },
    { arbitrary: typical, weight: 3 },
  ];
  if (near.length > 0) {
    const edge: fc.Arbitrary<Value> =
      f.type === 'numeric'
        ? fc
            .tuple(fc.constantFrom(...near), fc.constantFrom(0, 0, -1, 1, -0.5, 0.5))
            .map(([t, d]) => Number(t) + d)
        : fc.constantFrom(...near);
    options.push({ arbitrary: edge, weight: 4 });
  }
  return fc.oneof(...options);
}

const KEEP = Symbol('keep the real value');

function recordsFor(overrides: readonly WrittenOverride[]): fc.Arbitrary<DataRecord[]> {
  const near = thresholds(overrides);
  const changed = (keepWeight: number): fc.Arbitrary<DataRecord> =>
    fc
      .tuple(
        fc.nat(realRecords.length - 1),
        fc.tuple(
          ...schema.features.map((f) =>
            fc.oneof(
              { arbitrary: fc.constant<typeof KEEP>(KEEP), weight: keepWeight },
              { arbitrary: valueFor(f, near.get(f.name) ?? []), weight: 3 },
            ),
          ),
        ),
      )
      .map(([i, values]) => {
        const record: DataRecord = { ...realRecords[i]! };
        schema.features.forEach((f, k) => {
          const v = values[k];
          if (v !== KEEP && v !== undefined) record[f.name] = v;
        });
        return record;
      });
  return fc
    .tuple(
      fc.array(
        fc.nat(realRecords.length - 1).map((i) => realRecords[i]!),
        { minLength: 6, maxLength: 6 },
      ),
      fc.array(changed(7), { minLength: 10, maxLength: 10 }),
      fc.array(changed(0), { minLength: 4, maxLength: 4 }),
    )
    .map((groups) => groups.flat());
}

// ---------------------------------------------------------------------------------------
// YAML

function renderString(s: string, quote: Quote): string {
  if (
    quote === 'plain' &&
    /^[A-Za-z][A-Za-z ]*[A-Za-z]$/.test(s) &&
    !/^(null|true|false)$/i.test(s)
  )
    return s;
  if (quote === 'single') return `'${s.replace(/'/g, "''")}'`;
  return JSON.stringify(s);
}

function renderValue(v: Scalar | Scalar[], quote: Quote): string {
  if (Array.isArray(v)) return `[${v.map((x) => renderValue(x, quote)).join(', ')}]`;
  return typeof v === 'number' ? String(v) : renderString(v, quote);
}

function renderWhen(w: When, quote: Quote): string {
  const entries = w.map((e) => {
    switch (e.kind) {
      case 'feature':
        return `${e.feature}: { ${e.comparisons
          .map((c) => `${renderString(c.spelling, quote)}: ${renderValue(c.value, quote)}`)
          .join(', ')} }`;
      case 'not':
        return `not: ${renderWhen(e.when, quote)}`;
      default:
        return `${e.kind}: [${e.items.map((i) => renderWhen(i, quote)).join(', ')}]`;
    }
  });
  return `{ ${entries.join(', ')} }`;
}

/** One override file, and the line each override starts on. */
function renderFile(overrides: readonly WrittenOverride[]): { text: string; lines: number[] } {
  const out = ['# generated by merge-property.test.ts'];
  const lines: number[] = [];
  for (const o of overrides) {
    for (let i = 0; i < o.gap; i++) out.push(i % 2 === 0 ? '' : '# gap');
    lines.push(out.length + 1);
    out.push(`- id: ${JSON.stringify(o.id)}`);
    out.push(`  when: ${renderWhen(o.when, o.quote)}`);
    out.push(`  then: { class: ${o.class} }`);
    if (o.priority !== undefined) out.push(`  priority: ${o.priority}`);
  }
  return { text: `${out.join('\n')}\n`, lines };
}

/** An override as the reference sees it: what was written, and where. */
interface Placed {
  written: WrittenOverride;
  file: string;
  line: number;
  priority: number;
}

/**
 * Write the set's files, read them back with parseOverrides, and check that what was read
 * is what was written (ids, classes, priorities, lines). Returns the parsed overrides in
 * shuffled order (mergeOverrides must not depend on it), the written ones with their
 * places, and the YAML texts for error messages.
 */
function writeAndParse(set: WrittenSet): {
  parsed: Override[];
  placed: Placed[];
  parsedOf: Map<string, Override>;
  yaml: string;
} {
  const parsed: Override[] = [];
  const placed: Placed[] = [];
  const texts: string[] = [];
  set.files.forEach((name, index) => {
    const file = `rules/german-credit/overrides/${name}`;
    const mine = set.overrides.filter((o) => o.file === index);
    const { text, lines } = renderFile(mine);
    texts.push(`--- ${file}\n${text}`);
    const result = parseOverrides(text, file, schema);
    if (result.issues.length > 0) {
      throw new Error(`parseOverrides refused ${file}:\n${text}\n${JSON.stringify(result.issues)}`);
    }
    expect(result.overrides.map((o) => [o.id, o.class, o.priority, o.file, o.line])).toEqual(
      mine.map((o, k) => [o.id, o.class, o.priority ?? 100, file, lines[k]]),
    );
    parsed.push(...result.overrides);
    mine.forEach((o, k) =>
      placed.push({ written: o, file, line: lines[k]!, priority: o.priority ?? 100 }),
    );
  });
  const key = (o: Override): number => set.shuffle[parsed.indexOf(o)] ?? 0;
  const shuffled = [...parsed].sort((a, b) => key(a) - key(b));
  return {
    parsed: shuffled,
    placed,
    parsedOf: new Map(parsed.map((o) => [o.id, o])),
    yaml: texts.join(''),
  };
}

// ---------------------------------------------------------------------------------------
// The reference

/**
 * json-rules-engine 7's operators: `===` for equal and in; the numeric ones are false when
 * `parseFloat` of the fact is NaN (null, a level) and otherwise compare with `<`.
 */
function compare(operator: string, fact: Value, value: unknown): boolean {
  const isNumber = !Number.isNaN(Number.parseFloat(fact as string));
  switch (operator) {
    case 'equal':
      return fact === value;
    case 'notEqual':
      return fact !== value;
    case 'in':
      return (value as unknown[]).some((x) => x === fact);
    case 'notIn':
      return !(value as unknown[]).some((x) => x === fact);
    case 'lessThan':
      return isNumber && (fact as number) < (value as number);
    case 'lessThanInclusive':
      return isNumber && (fact as number) <= (value as number);
    case 'greaterThan':
      return isNumber && (fact as number) > (value as number);
    case 'greaterThanInclusive':
      return isNumber && (fact as number) >= (value as number);
    default:
      throw new Error(`no reference for operator ${operator}`);
  }
}

/** What a written `when` means for a record: every entry holds. */
function means(w: When, record: DataRecord): boolean {
  return w.every((e) => {
    switch (e.kind) {
      case 'feature':
        return e.comparisons.every((c) => {
          const fact = record[e.feature] ?? null;
          if (c.operator !== 'between') return compare(c.operator, fact, c.value);
          const [low, high] = c.value as number[];
          return (
            compare('greaterThanInclusive', fact, low) && compare('lessThanInclusive', fact, high)
          );
        });
      case 'all':
        return e.items.every((i) => means(i, record));
      case 'any':
        return e.items.some((i) => means(i, record));
      case 'not':
        return !means(e.when, record);
    }
  });
}

/** A json-rules-engine condition tree, evaluated with json-rules-engine's semantics. */
function holds(c: TopLevelCondition | NestedCondition, record: DataRecord): boolean {
  if ('all' in c) return c.all.every((x) => holds(x, record));
  // json-rules-engine's `any` of no conditions is true (it resolves an empty list to true).
  if ('any' in c) return c.any.length === 0 || c.any.some((x) => holds(x, record));
  if ('not' in c) return !holds(c.not, record);
  if ('condition' in c) throw new Error('condition references are not generated');
  return compare(c.operator, record[c.fact as string] ?? null, c.value);
}

/** Code-unit order: the order safeLoadOverrides reads the files of a directory in. */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The hit policy: priority (highest first), then file name, then line. */
function referenceOrder(placed: readonly Placed[]): Placed[] {
  return [...placed].sort(
    (a, b) => b.priority - a.priority || byName(a.file, b.file) || a.line - b.line,
  );
}

type Outcome = Pick<Decision, 'ruleId' | 'class' | 'source'>;
const outcome = (d: Decision): Outcome => ({ ruleId: d.ruleId, class: d.class, source: d.source });

function expectedOutcome(ordered: readonly Placed[], record: DataRecord): Outcome {
  const hit = ordered.find((p) => means(p.written.when, record));
  if (hit) return { ruleId: hit.written.id, class: hit.written.class, source: 'override' };
  return outcome(distilledRules.decide(record));
}

/** A plain json-rules-engine run, as RuleEngine makes it: the highest-priority rule that fired. */
async function plainDecision(engine: Engine, record: DataRecord): Promise<Decision> {
  const { results } = await engine.run({ ...record });
  const fired = results.filter((r) => r.result);
  const top = Math.max(...fired.map((r) => r.priority ?? 1));
  const first = fired.filter((r) => (r.priority ?? 1) === top);
  // Overrides have priorities of their own: two overrides never tie.
  if (top > 1 && first.length > 1) throw new Error(`rules ${first.map((r) => r.name)} tie`);
  const p = first[0]?.event?.params as DecisionParams | undefined;
  if (!p) throw new Error(`no rule fired for ${JSON.stringify(record)}`);
  return {
    class: p.class,
    ruleId: p.ruleId,
    probabilities: p.probabilities,
    support: p.support,
    source: p.source,
  };
}

/** JSON with sorted keys: plain data compared by value, whatever realm built it. */
function canonical(x: unknown): string {
  return JSON.stringify(x, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => byName(a, b)))
      : v,
  );
}

function agree(what: string, actual: unknown, expected: unknown, record: DataRecord, yaml: string) {
  if (canonical(actual) === canonical(expected)) return;
  throw new Error(
    `${what} disagrees for record ${JSON.stringify(record)}\n` +
      `  expected ${JSON.stringify(expected)}\n  got      ${JSON.stringify(actual)}\n${yaml}`,
  );
}

/** Checks one written set on its records; see the file comment. */
async function checkSet(set: WrittenSet, records: readonly DataRecord[]): Promise<void> {
  const { parsed, placed, parsedOf, yaml } = writeAndParse(set);
  const ordered = referenceOrder(placed);
  const merged = mergeOverrides(distilled, parsed, schema);
  // As RuleEngine does: default options (no undefined facts; records carry null instead).
  const plain = new Engine(structuredClone(merged.rules));
  const wrapped = new RuleEngine(merged);
  const compiled = compileRuleSet(merged);
  for (const record of records) {
    for (const p of placed) {
      const conditions = parsedOf.get(p.written.id)!.conditions;
      agree(
        `parsed 'when' of ${p.written.id}`,
        holds(conditions, record),
        means(p.written.when, record),
        record,
        yaml,
      );
    }
    const expected = expectedOutcome(ordered, record);
    const fromPlain = await plainDecision(plain, record);
    agree('plain json-rules-engine', outcome(fromPlain), expected, record, yaml);
    agree('RuleEngine.decide', await wrapped.decide(record), fromPlain, record, yaml);
    agree('compiled decide', compiled.decide(record), fromPlain, record, yaml);
  }
}

const setWithRecords = (fileName: fc.Arbitrary<string>) =>
  writtenSet(fileName).chain((set) => fc.tuple(fc.constant(set), recordsFor(set.overrides)));

// ---------------------------------------------------------------------------------------

describe('mergeOverrides: the hit policy, json-rules-engine and the compiled evaluator agree', () => {
  it('on random override files and real, edited and random records', async () => {
    await fc.assert(
      fc.asyncProperty(setWithRecords(plainFileName), ([set, records]) => checkSet(set, records)),
      FAST_CHECK,
    );
  });

  /**
   * Ties between files follow code-unit order, as the loader lists the files: upper case
   * ('Credit-Policy.yaml' before 'credit-policy.yaml') and '_' included, and the same under
   * any locale (`localeCompare` once made 'aa-policy.yaml' sort after 'b-policy.yaml' under
   * LANG=da_DK.UTF-8). This property found that.
   */
  it('on file names with upper case and underscores (file order: code units)', async () => {
    const fileName = fc.constantFrom(
      'credit-policy.yaml',
      'Credit-Policy.yaml',
      'credit_policy.yaml',
      'credit.yaml',
      'Risk.yaml',
      'risk-limits.yaml',
    );
    await fc.assert(
      fc.asyncProperty(setWithRecords(fileName), ([set, records]) => checkSet(set, records)),
      { numRuns: 100, endOnFailure: true },
    );
  });
});

import type { DataRecord, Feature, Schema } from '../data/types';
import { conditionFacts } from '../rules/condition-facts';
import { checkChoice, didYouMean, type Issue, isNeurulesError, NeurulesError } from '../errors';
import { classFidelity } from '../fidelity';
import type { RuleSet } from '../rules/types';
import { bandList, bandOf, type Bands, quartileBands, readDecimal } from './bands';
import { agreement } from './metrics';
import type { FairnessFeature, FairnessGroup, FairnessRatio, FairnessSection } from './types';

/** The four-fifths rule: a group selected at under 80% of the most favoured group's rate. */
export const FOUR_FIFTHS = 0.8;

/** The fairness options of an audit, as given (`neurules audit --protected ...`). */
export interface FairnessOptions {
  /**
   * The protected features; an empty list turns fairness off.
   * @defaultValue the schema's features marked `protected` (`build --protected`)
   */
  protected?: readonly string[];
  /**
   * Bands of numeric protected features, `FEATURE=BOUND,BOUND,...` each, several of them
   * in one text joined by `;` (`age=25,35,50;duration=12,24`). A band holds the values from
   * its lower bound (inclusive) to its upper bound (exclusive).
   * @defaultValue the quartiles of each numeric protected feature over the audited records
   */
  bands?: readonly string[];
  /** The class whose share is the selection rate. @defaultValue none: every class is checked */
  favourable?: string;
  /** Checked here, used by {@link findDisparities}: a ratio in (0, 1]. */
  failOnDisparity?: number;
}

/** Checked fairness options, as {@link fairnessByGroup} reads them. */
export interface FairnessPlan {
  /** The protected features, in the order given; `cuts` when `bands` gave them. */
  features: { name: string; cuts?: number[] }[];
  favourable: string | null;
  from: 'option' | 'schema';
}

/**
 * The fairness options checked against the model's schema, every problem reported together:
 * a protected name that is not a feature is UNKNOWN_FEATURE (field `--protected`, with the
 * nearest name); bands of a feature that is not protected or not numeric, or with bounds
 * that are not numbers or not strictly increasing, are INVALID_BANDS (field `--bands`); a
 * favourable class that is not a class, a disparity threshold outside (0, 1], or either of
 * them or bands without any protected feature, INVALID_ARGUMENT (field the option). Null
 * when there is no protected feature (none given, none marked in the schema).
 *
 * @example
 * planFairness(schema, { protected: ['age'], bands: ['age=25,35,50'], favourable: 'good' });
 * // { features: [{ name: 'age', cuts: [25, 35, 50] }], favourable: 'good', from: 'option' }
 */
export function planFairness(
  schema: Pick<Schema, 'features' | 'classes' | 'target'>,
  options: FairnessOptions = {},
): FairnessPlan | null {
  const issues: Issue[] = [];
  const byName = new Map(schema.features.map((f) => [f.name, f]));
  const from = options.protected !== undefined ? 'option' : 'schema';
  const named =
    options.protected !== undefined
      ? [...new Set(options.protected)]
      : schema.features.filter((f) => f.protected).map((f) => f.name);
  for (const name of named) {
    if (byName.has(name)) continue;
    const names = schema.features.map((f) => f.name);
    issues.push({
      code: 'UNKNOWN_FEATURE',
      message:
        name === schema.target
          ? `protected feature: expected a feature, found '${name}', the target column`
          : `protected feature: expected a feature of the model, found '${name}'${didYouMean(name, names)}`,
      field: '--protected',
    });
  }
  const features = named.filter((name) => byName.has(name));
  const cuts = parseBands(options.bands ?? [], features, byName, issues);
  if (options.favourable !== undefined) {
    try {
      checkChoice(options.favourable, schema.classes, '--favourable');
    } catch (e) {
      if (!isNeurulesError(e)) throw e;
      issues.push(...e.issues);
    }
  }
  const threshold = options.failOnDisparity;
  if (threshold !== undefined && !(threshold > 0 && threshold <= 1)) {
    issues.push({
      code: 'INVALID_ARGUMENT',
      message: `disparity threshold: expected a ratio greater than 0 and at most 1, found ${threshold}`,
      field: '--fail-on-disparity',
    });
  }
  const needing = (
    [
      ['--favourable', options.favourable],
      ['--fail-on-disparity', threshold],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (named.length === 0) {
    for (const [option] of needing) {
      issues.push({
        code: 'INVALID_ARGUMENT',
        message: `${option} judges the groups of protected features: expected protected features (--protected, or marked by build --protected), found none`,
        field: option,
      });
    }
  }
  if (issues.length > 0) throw NeurulesError.fromIssues(issues);
  if (features.length === 0) return null;
  return {
    features: features.map((name) => {
      const c = cuts.get(name);
      return c ? { name, cuts: c } : { name };
    }),
    favourable: options.favourable ?? null,
    from,
  };
}

/**
 * The cut points `bands` gives per feature; each problem (INVALID_BANDS, field `--bands`)
 * goes to `issues`. Parts of a text joined by `;` are separate specs; empty parts are skipped.
 */
function parseBands(
  specs: readonly string[],
  protectedNames: readonly string[],
  byName: ReadonlyMap<string, Feature>,
  issues: Issue[],
): Map<string, number[]> {
  const cuts = new Map<string, number[]>();
  const bad = (message: string) =>
    issues.push({ code: 'INVALID_BANDS', message, field: '--bands' });
  for (const spec of specs) {
    const parts = spec
      .split(';')
      .map((p) => p.trim())
      .filter(Boolean);
    if (parts.length === 0) bad(`expected FEATURE=BOUND,BOUND,..., found '${spec}'`);
    for (const part of parts) {
      const eq = part.indexOf('=');
      const name = part.slice(0, Math.max(eq, 0)).trim();
      if (eq < 0 || !name) {
        bad(`expected FEATURE=BOUND,BOUND,..., found '${part}'`);
        continue;
      }
      const feature = byName.get(name);
      if (!protectedNames.includes(name)) {
        const expected = protectedNames.length
          ? `one of the protected features (${protectedNames.map((n) => `'${n}'`).join(', ')})`
          : 'a protected feature, and none is';
        bad(
          `bands of '${name}': expected ${expected}, found ${feature ? 'a feature that is not protected' : 'no feature of that name'}${didYouMean(name, protectedNames)}`,
        );
        continue;
      }
      if (feature?.type !== 'numeric') {
        bad(
          `bands of '${name}': expected a numeric feature, found a categorical one (its groups are its levels)`,
        );
        continue;
      }
      if (cuts.has(name)) {
        bad(`bands of '${name}': expected one list of bounds per feature, found a second`);
        continue;
      }
      const bounds: number[] = [];
      for (const text of part.slice(eq + 1).split(',')) {
        const read = readDecimal(text);
        const bound = read.ok ? read.value : NaN;
        if (!read.ok) {
          bad(`bands of '${name}': bound: ${read.reason}`);
        } else if (bounds.length > 0 && bound <= bounds[bounds.length - 1]!) {
          bad(
            `bands of '${name}': expected strictly increasing bounds, found ${bound} after ${bounds[bounds.length - 1]}`,
          );
        } else bounds.push(bound);
      }
      cuts.set(name, bounds);
    }
  }
  return cuts;
}

/** What {@link fairnessByGroup} measures on: one entry per audited record in each list. */
export interface FairnessInput {
  plan: FairnessPlan;
  schema: Pick<Schema, 'features' | 'classes'>;
  records: readonly DataRecord[];
  /** The class index the rules (with overrides, as served) decide. */
  decided: readonly number[];
  /** The class index the network gives. */
  network: readonly number[];
  /** The true class index; null (or no list) where a record has no label. */
  labels?: readonly (number | null)[];
  /** The merged rule set: distilled rules and overrides (`source: 'override'`). */
  ruleSet: Pick<RuleSet, 'rules'>;
}

/**
 * Fairness by group of each protected feature of `plan`: its groups (a categorical
 * feature's levels, with values outside them after; a numeric feature's bands, cut at the
 * plan's bounds or at the quartiles of these records; `missing` last, named so unless a
 * level is: see {@link missingGroupName}), and for each group
 * with a record the share of it the rules decide as each class, that share over the most
 * favoured group's, accuracy and recall on its labelled records, and fidelity and balanced
 * fidelity to the network; with the rules and overrides whose conditions name the feature.
 *
 * @example
 * const section = fairnessByGroup({ plan, schema, records, decided, network, labels, ruleSet });
 * section.features[0].groups[0].ratios.good; // 0.74
 */
export function fairnessByGroup(input: FairnessInput): FairnessSection {
  const { plan, schema } = input;
  const classes = schema.classes;
  const byName = new Map(schema.features.map((f) => [f.name, f]));
  const features = plan.features.map((p) => featureFairness(input, byName.get(p.name)!, p.cuts));
  const checked = plan.favourable !== null ? [plan.favourable] : [...classes];
  const section: FairnessSection = {
    favourable: plan.favourable,
    checked,
    from: plan.from,
    reference: FOUR_FIFTHS,
    features,
    lowest: null,
  };
  section.lowest = checkedRatios(section).reduce<FairnessRatio | null>(
    (low, r) => (low === null || r.ratio < low.ratio ? r : low),
    null,
  );
  return section;
}

/**
 * The ratios of the checked classes below `threshold` (in (0, 1]: see `planFairness`), in
 * feature, group and class order: what `audit --fail-on-disparity` fails on.
 */
export function findDisparities(section: FairnessSection, threshold: number): FairnessRatio[] {
  return checkedRatios(section).filter((r) => r.ratio < threshold);
}

/** Every defined ratio of a checked class, in feature, group and class order. */
function checkedRatios(section: FairnessSection): FairnessRatio[] {
  return section.features.flatMap((f) =>
    f.groups.flatMap((g) =>
      section.checked.flatMap((c) => {
        const ratio = g.ratios[c];
        return ratio === null || ratio === undefined
          ? []
          : [{ feature: f.name, group: g.name, class: c, ratio, records: g.records }];
      }),
    ),
  );
}

/** The name of the group of records without a value, when no level is spelt so. */
export const MISSING_GROUP = 'missing';

/**
 * The name of the group of records without a value: {@link MISSING_GROUP}, or where a
 * level (or a value outside the levels) is spelt so, `(no value)`, `(no value) 2`, ...:
 * never a name of another group, so the report's rows and the disparities tell them apart.
 */
export function missingGroupName(taken: ReadonlySet<string>): string {
  if (!taken.has(MISSING_GROUP)) return MISSING_GROUP;
  let name = '(no value)';
  for (let k = 2; taken.has(name); k++) name = `(no value) ${k}`;
  return name;
}

/**
 * A group's (or feature's, or class's) name as one line of text: control characters and
 * line or paragraph separators escaped as in JSON (`\n`, `\u2028`), everything else as
 * it is. For names printed in a line or a table cell, where a newline would break it.
 */
export function printableName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\r'
        ? '\\r'
        : c === '\t'
          ? '\\t'
          : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * `disparity: age '19 to < 27', class good: ratio 0.742 below 0.8 (52 record(s))`, as
 * `audit --fail-on-disparity` prints it: always one line, the group's name in single
 * quotes, or as a JSON string where it holds a quote, a backslash or a character that
 * would break the line; the feature and class as {@link printableName} gives them.
 */
export function disparityLine(d: FairnessRatio, threshold: number): string {
  return `disparity: ${printableName(d.feature)} ${quotedName(d.group)}, class ${printableName(d.class)}: ratio ${d.ratio.toFixed(3)} below ${threshold} (${d.records} record(s))`;
}

/** `'name'`, or the name as a JSON string (line separators escaped too) where it is not plain. */
function quotedName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return /['\\\u0000-\u001f\u007f\u2028\u2029]/.test(name)
    ? JSON.stringify(name).replace(/[\u007f\u2028\u2029]/g, (c) => printableName(c))
    : `'${name}'`;
}

/** A group as defined before it is measured: its name, kind, bounds and records. */
interface GroupDefinition {
  name: string;
  kind: FairnessGroup['kind'];
  bounds?: { lower: number | null; upper: number | null };
  members: number[];
}

function featureFairness(
  input: FairnessInput,
  feature: Feature,
  cuts: number[] | undefined,
): FairnessFeature {
  // Own values only: a feature may be named `constructor`.
  const values = input.records.map((r) =>
    Object.hasOwn(r, feature.name) ? (r[feature.name] ?? null) : null,
  );
  const missing: GroupDefinition = { name: MISSING_GROUP, kind: 'missing', members: [] };
  let groups: GroupDefinition[];
  let bands: Bands | undefined;
  if (feature.type === 'numeric') {
    bands = cuts ? { cuts } : quartileBands(values);
    groups = bandList(bands).map(({ name, lower, upper }) => ({
      name,
      kind: 'band',
      bounds: { lower, upper },
      members: [],
    }));
    values.forEach((v, i) =>
      (typeof v === 'number' ? groups[bandOf(bands!, v)]! : missing).members.push(i),
    );
  } else {
    const byLevel = new Map<string, GroupDefinition>();
    const level = (name: string): GroupDefinition => {
      let g = byLevel.get(name);
      if (!g) byLevel.set(name, (g = { name, kind: 'level', members: [] }));
      return g;
    };
    feature.levels.forEach(level);
    // Values outside the levels (kept from JSONL data) are groups of their own, after them.
    values.forEach((v, i) => (v === null ? missing : level(String(v))).members.push(i));
    groups = [...byLevel.values()];
    missing.name = missingGroupName(new Set(byLevel.keys()));
  }
  const measured = [...groups, missing]
    .filter((g) => g.members.length > 0)
    .map((g) => measureGroup(input, g));
  const classes = input.schema.classes;
  const favoured: Record<string, string | null> = {};
  for (const c of classes) {
    const top = Math.max(...measured.map((g) => g.shares[c]!));
    favoured[c] = top > 0 ? measured.find((g) => g.shares[c] === top)!.name : null;
    for (const g of measured) g.ratios[c] = top > 0 ? g.shares[c]! / top : null;
  }
  return {
    name: feature.name,
    type: feature.type,
    grouping: feature.type === 'categorical' ? 'levels' : cuts ? 'bands' : 'quartiles',
    ...(bands && { cuts: bands.cuts }),
    groups: measured,
    empty: groups.filter((g) => g.members.length === 0).map((g) => g.name),
    favoured,
    readBy: readersOf(input.ruleSet, feature.name),
  };
}

/** The figures of one group; its ratios are filled in once every group is measured. */
function measureGroup(input: FairnessInput, g: GroupDefinition): FairnessGroup {
  const classes = input.schema.classes;
  const pick = <T>(list: readonly T[], at: readonly number[]) => at.map((i) => list[i]!);
  const decided = pick(input.decided, g.members);
  const labelledAt = g.members.filter((i) => (input.labels?.[i] ?? null) !== null);
  const truth = pick(input.labels ?? [], labelledAt) as number[];
  const decidedLabelled = pick(input.decided, labelledAt);
  // Recall of a class is the rules' agreement with the labels on the records labelled with
  // it: the per-class figure of classFidelity, with the labels in the network's place.
  const recall = classFidelity(decidedLabelled, truth, classes).perClass;
  const followed = classFidelity(decided, pick(input.network, g.members), classes);
  const counts: Record<string, number> = {};
  const shares: Record<string, number> = {};
  classes.forEach((c, k) => {
    counts[c] = decided.filter((d) => d === k).length;
    shares[c] = counts[c] / decided.length;
  });
  return {
    name: g.name,
    kind: g.kind,
    ...(g.bounds && { lower: g.bounds.lower, upper: g.bounds.upper }),
    records: g.members.length,
    decided: counts,
    shares,
    ratios: {},
    labelled: labelledAt.length,
    accuracy: labelledAt.length ? agreement(decidedLabelled, truth) : null,
    recall: Object.fromEntries(classes.map((c) => [c, recall[c]!.fidelity])),
    fidelity: agreement(decided, pick(input.network, g.members)),
    balancedFidelity: followed.balanced,
  };
}

/** The distilled rules and the overrides whose conditions name `feature`, in rule-set order. */
function readersOf(ruleSet: Pick<RuleSet, 'rules'>, feature: string): FairnessFeature['readBy'] {
  const reading = ruleSet.rules.filter((r) => conditionFacts(r.conditions).has(feature));
  return {
    rules: reading.filter((r) => r.event.params.source !== 'override').map((r) => r.name),
    overrides: reading.filter((r) => r.event.params.source === 'override').map((r) => r.name),
  };
}

import { bandList, quartileBands } from '../../src/audit/bands';
import {
  disparityLine,
  type FairnessInput,
  fairnessByGroup,
  findDisparities,
  planFairness,
} from '../../src/audit/fairness';
import type { DataRecord, Schema } from '../../src/data/types';
import { type Issue, isNeurulesError } from '../../src/errors';
import { DECISION_EVENT, type NeurulesRule } from '../../src/rules/types';

const classes = ['no', 'yes'];
const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'class',
  features: [
    {
      name: 'age',
      type: 'numeric',
      min: 20,
      max: 60,
      mean: 36,
      std: 13,
      integer: true,
      missing: 1,
    },
    { name: 'sex', type: 'categorical', levels: ['f', 'm', 'x'], missing: 1 },
    { name: 'income', type: 'numeric', min: 1, max: 9, mean: 5, std: 2, integer: true, missing: 0 },
  ],
  classes,
  rows: 10,
};
const NO = 0;
const YES = 1;

/**
 * Ten records, worked by hand below: `decided` is what the rules decide, `network` what the
 * network says, `labels` the truth (record 4 has none). Record 4 lacks age, record 9 sex.
 */
const table: [number | null, string | null, number, number, number | null][] = [
  // age, sex, decided, network, label
  [20, 'f', YES, YES, YES],
  [22, 'f', NO, YES, YES],
  [30, 'f', NO, NO, NO],
  [40, 'f', YES, YES, NO],
  [null, 'f', NO, NO, null],
  [25, 'm', YES, YES, YES],
  [35, 'm', YES, YES, YES],
  [45, 'm', YES, NO, NO],
  [50, 'm', NO, NO, YES],
  [60, null, NO, YES, YES],
];
const records: DataRecord[] = table.map(([age, sex]) => ({ age, sex, income: 5 }));

const rule = (
  name: string,
  conditions: NeurulesRule['conditions'],
  source: 'distilled' | 'override',
) =>
  ({
    name,
    priority: source === 'override' ? 100 : 1,
    conditions,
    event: {
      type: DECISION_EVENT,
      params: { ruleId: name, class: 'yes', probabilities: {}, support: 0, source },
    },
  }) as NeurulesRule;
const ruleSet = {
  rules: [
    rule('young', { all: [{ fact: 'age', operator: 'lessThan', value: 18 }] }, 'override'),
    rule('R1', { all: [{ fact: 'age', operator: 'greaterThan', value: 30 }] }, 'distilled'),
    rule(
      'R2',
      {
        any: [
          { not: { fact: 'sex', operator: 'equal', value: 'f' } },
          { fact: 'income', operator: 'lessThan', value: 3 },
        ],
      },
      'distilled',
    ),
    rule('R3', { all: [] }, 'distilled'),
  ],
};

function input(plan: FairnessInput['plan']): FairnessInput {
  return {
    plan,
    schema,
    records,
    decided: table.map((r) => r[2]),
    network: table.map((r) => r[3]),
    labels: table.map((r) => r[4]),
    ruleSet,
  };
}

/** The issues a call throws as a NeurulesError. */
function thrown(run: () => unknown): Issue[] {
  try {
    run();
  } catch (e) {
    if (!isNeurulesError(e)) throw e;
    return e.issues;
  }
  throw new Error('expected an error');
}

/** The issues a call throws, as [code, field] pairs. */
const issuesOf = (run: () => unknown) => thrown(run).map((i) => [i.code, i.field]);
/** The messages of the issues a call throws. */
const messagesOf = (run: () => unknown) => thrown(run).map((i) => i.message);

describe('fairnessByGroup: a categorical feature, by hand', () => {
  const section = fairnessByGroup(
    input({ features: [{ name: 'sex' }], favourable: null, from: 'option' }),
  );
  const sex = section.features[0]!;
  const group = (name: string) => sex.groups.find((g) => g.name === name)!;

  it('groups by level, missing last; a level without records is named, not measured', () => {
    expect(sex.grouping).toBe('levels');
    expect(sex.groups.map((g) => [g.name, g.kind, g.records])).toEqual([
      ['f', 'level', 5],
      ['m', 'level', 4],
      ['missing', 'missing', 1],
    ]);
    expect(sex.empty).toEqual(['x']);
  });

  it('shares of each class decided, and ratios to the most favoured group', () => {
    // f: yes 0, 3 of 5; m: yes 5, 6, 7 of 4; missing: record 9, no.
    expect(group('f').decided).toEqual({ no: 3, yes: 2 });
    expect(group('f').shares).toEqual({ no: 0.6, yes: 0.4 });
    expect(group('m').shares).toEqual({ no: 0.25, yes: 0.75 });
    expect(group('missing').shares).toEqual({ no: 1, yes: 0 });
    // yes: most favoured m (0.75); no: most favoured missing (1).
    expect(sex.favoured).toEqual({ no: 'missing', yes: 'm' });
    expect(group('f').ratios.yes).toBeCloseTo(0.4 / 0.75, 12);
    expect(group('m').ratios).toEqual({ no: 0.25, yes: 1 });
    expect(group('missing').ratios).toEqual({ no: 1, yes: 0 });
  });

  it('accuracy and recall on the labelled records of each group', () => {
    // f: labelled 0-3 (4 has no label): truth yes yes no no, decided yes no no yes.
    expect(group('f').labelled).toBe(4);
    expect(group('f').accuracy).toBe(0.5);
    expect(group('f').recall).toEqual({ no: 0.5, yes: 0.5 });
    // m: truth yes yes no yes, decided yes yes yes no.
    expect(group('m').accuracy).toBe(0.5);
    expect(group('m').recall.no).toBe(0);
    expect(group('m').recall.yes).toBeCloseTo(2 / 3, 12);
    // missing: record 9, labelled yes, decided no; no record labelled no.
    expect(group('missing').accuracy).toBe(0);
    expect(group('missing').recall).toEqual({ no: null, yes: 0 });
  });

  it('fidelity and balanced fidelity to the network in each group', () => {
    // f: network yes yes no yes no, decided yes no no yes no: 4 of 5 agree;
    // network yes on 0, 1, 3 (rules agree on 2 of 3), no on 2, 4 (both).
    expect(group('f').fidelity).toBe(0.8);
    expect(group('f').balancedFidelity).toBeCloseTo((2 / 3 + 1) / 2, 12);
    // m: network yes yes no no, decided yes yes yes no: 3 of 4; yes 2/2, no 1/2.
    expect(group('m').fidelity).toBe(0.75);
    expect(group('m').balancedFidelity).toBe(0.75);
    expect(group('missing').fidelity).toBe(0);
    expect(group('missing').balancedFidelity).toBe(0);
  });

  it('names the rules and overrides whose conditions read the feature, nested ones too', () => {
    expect(sex.readBy).toEqual({ rules: ['R2'], overrides: [] });
  });

  it('checks every class without a favourable one; the lowest ratio is the first lowest', () => {
    expect(section.checked).toEqual(['no', 'yes']);
    expect(section.reference).toBe(0.8);
    expect(section.lowest).toEqual({
      feature: 'sex',
      group: 'missing',
      class: 'yes',
      ratio: 0,
      records: 1,
    });
  });
});

describe('fairnessByGroup: levels spelt like the missing group, or holding a newline', () => {
  const levels = ['missing', '(no value)', 'a\nb'];
  const odd: Schema = {
    ...schema,
    features: [{ name: 'sex', type: 'categorical', levels, missing: 1 }],
  };
  const values = ['missing', 'missing', '(no value)', 'a\nb', 'a\nb', null, null, null];
  const section = fairnessByGroup({
    plan: { features: [{ name: 'sex' }], favourable: 'yes', from: 'option' },
    schema: odd,
    records: values.map((sex) => ({ sex })),
    decided: [YES, YES, YES, YES, NO, NO, NO, YES],
    network: values.map(() => YES),
    ruleSet: { rules: [] },
  });
  const sex = section.features[0]!;

  it('the group without a value is named apart from every level', () => {
    expect(sex.groups.map((g) => [g.name, g.kind, g.records])).toEqual([
      ['missing', 'level', 2],
      ['(no value)', 'level', 1],
      ['a\nb', 'level', 2],
      ['(no value) 2', 'missing', 3],
    ]);
    expect(new Set(sex.groups.map((g) => g.name)).size).toBe(4);
  });

  it('disparity lines tell the groups apart, one line each, names escaped', () => {
    const lines = findDisparities(section, 0.8).map((d) => disparityLine(d, 0.8));
    expect(lines).toEqual([
      `disparity: sex "a\\nb", class yes: ratio 0.500 below 0.8 (2 record(s))`,
      `disparity: sex '(no value) 2', class yes: ratio 0.333 below 0.8 (3 record(s))`,
    ]);
    for (const l of lines) expect(l).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(section.lowest).toMatchObject({ group: '(no value) 2' });
  });

  it("a name with a quote or backslash is quoted as JSON; a plain one in ''", () => {
    const d = { feature: 'f\u2028', group: "it's", class: 'c\r', ratio: 0.5, records: 1 };
    expect(disparityLine(d, 0.8)).toBe(
      `disparity: f\\u2028 "it's", class c\\r: ratio 0.500 below 0.8 (1 record(s))`,
    );
    expect(disparityLine({ ...d, group: 'x\\y' }, 0.8)).toContain(' "x\\\\y", ');
    expect(disparityLine({ ...d, group: '< 25' }, 0.8)).toContain(" '< 25', ");
  });
});

describe('fairnessByGroup: a numeric feature in bands', () => {
  it('bands from bounds: half-open, named by their bounds, missing its own group', () => {
    const section = fairnessByGroup(
      input({ features: [{ name: 'age', cuts: [25, 40] }], favourable: 'yes', from: 'option' }),
    );
    const age = section.features[0]!;
    expect(age.grouping).toBe('bands');
    expect(age.cuts).toEqual([25, 40]);
    // < 25: 20, 22; 25 to < 40: 25, 30, 35; ≥ 40: 40, 45, 50, 60; missing: record 4.
    expect(age.groups.map((g) => [g.name, g.lower, g.upper, g.records])).toEqual([
      ['< 25', null, 25, 2],
      ['25 to < 40', 25, 40, 3],
      ['≥ 40', 40, null, 4],
      ['missing', undefined, undefined, 1],
    ]);
    expect(age.groups.map((g) => g.shares.yes)).toEqual([0.5, 2 / 3, 0.5, 0]);
    // yes: most favoured 25 to < 40 (2/3): 0.5 / (2/3) = 0.75.
    expect(age.groups.map((g) => g.ratios.yes)).toEqual([0.75, 1, 0.75, 0]);
    expect(age.favoured).toEqual({ no: 'missing', yes: '25 to < 40' });
    expect(age.readBy).toEqual({ rules: ['R1'], overrides: ['young'] });
    expect(section.checked).toEqual(['yes']);
    expect(section.lowest).toMatchObject({ group: 'missing', class: 'yes', ratio: 0 });
  });

  it('bands no record falls in are named in empty', () => {
    const age = fairnessByGroup(
      input({ features: [{ name: 'age', cuts: [10, 25, 100] }], favourable: null, from: 'option' }),
    ).features[0]!;
    expect(age.groups.map((g) => g.name)).toEqual(['10 to < 25', '25 to < 100', 'missing']);
    expect(age.empty).toEqual(['< 10', '≥ 100']);
  });

  it('default: quartiles of the audited records, the first band from the lowest value', () => {
    const age = fairnessByGroup(
      input({ features: [{ name: 'age' }], favourable: null, from: 'schema' }),
    ).features[0]!;
    // Present ages sorted: 20 22 25 30 35 40 45 50 60 (n = 9): quartiles at 25, 35, 45.
    expect(age.grouping).toBe('quartiles');
    expect(age.cuts).toEqual([25, 35, 45]);
    expect(age.groups.map((g) => [g.name, g.records])).toEqual([
      ['20 to < 25', 2],
      ['25 to < 35', 2],
      ['35 to < 45', 2],
      ['≥ 45', 3],
      ['missing', 1],
    ]);
  });

  it('a constant feature is one band', () => {
    const income = fairnessByGroup(
      input({ features: [{ name: 'income' }], favourable: null, from: 'option' }),
    ).features[0]!;
    expect(income.readBy).toEqual({ rules: ['R2'], overrides: [] });
    // Every income is 5: one band.
    expect(income.groups.map((g) => [g.name, g.records])).toEqual([['all values', 10]]);
    expect(income.groups[0]!.ratios).toEqual({ no: 1, yes: 1 });
  });
});

describe('findDisparities', () => {
  const section = fairnessByGroup(
    input({
      features: [{ name: 'sex' }, { name: 'age', cuts: [25, 40] }],
      favourable: 'yes',
      from: 'option',
    }),
  );

  it("lists the checked class's ratios below the threshold, in feature and group order", () => {
    expect(findDisparities(section, 0.8).map((d) => [d.feature, d.group, d.class])).toEqual([
      ['sex', 'f', 'yes'],
      ['sex', 'missing', 'yes'],
      ['age', '< 25', 'yes'],
      ['age', '≥ 40', 'yes'],
      ['age', 'missing', 'yes'],
    ]);
    expect(findDisparities(section, 0.5).map((d) => [d.group, d.ratio])).toEqual([
      ['missing', 0],
      ['missing', 0],
    ]);
  });

  it('a threshold of 1 flags every group but the most favoured', () => {
    expect(findDisparities(section, 1)).toHaveLength(5);
  });
});

describe('quartileBands and bandList', () => {
  it('interpolates between order statistics', () => {
    expect(quartileBands([47, 19, 22, 25, 30, 33, 41, 60])).toEqual({
      cuts: [24.25, 31.5, 42.5],
      from: 19,
    });
  });

  it('drops equal cut points and cuts at or below the lowest value', () => {
    expect(quartileBands([1, 1, 1, 2, 3, 3, 3, 3, null])).toEqual({ cuts: [2.5, 3], from: 1 });
    expect(quartileBands([1, 1, 1, 1, 2]).cuts).toEqual([]);
    expect(quartileBands([null, null])).toEqual({ cuts: [] });
  });

  it('names bands by their bounds', () => {
    expect(bandList({ cuts: [25, 35, 50] }).map((b) => b.name)).toEqual([
      '< 25',
      '25 to < 35',
      '35 to < 50',
      '≥ 50',
    ]);
    expect(bandList({ cuts: [2.5, 3], from: 1 }).map((b) => b.name)).toEqual([
      '1 to < 2.5',
      '2.5 to < 3',
      '≥ 3',
    ]);
    expect(bandList({ cuts: [] })).toEqual([{ name: 'all values', lower: null, upper: null }]);
  });
});

describe('planFairness', () => {
  it('reads protected features, bands (repeated or joined by ;) and the favourable class', () => {
    expect(
      planFairness(schema, {
        protected: ['sex', 'age', 'sex', 'income'],
        bands: ['age=25, 40;', 'income=3'],
        favourable: 'yes',
        failOnDisparity: 1,
      }),
    ).toEqual({
      features: [{ name: 'sex' }, { name: 'age', cuts: [25, 40] }, { name: 'income', cuts: [3] }],
      favourable: 'yes',
      from: 'option',
    });
  });

  it("takes the schema's protected marks when no features are given; given ones override", () => {
    const marked: Schema = {
      ...schema,
      features: schema.features.map((f) => (f.name === 'age' ? { ...f, protected: true } : f)),
    };
    expect(planFairness(marked)).toEqual({
      features: [{ name: 'age' }],
      favourable: null,
      from: 'schema',
    });
    expect(planFairness(marked, { protected: ['sex'] })?.features).toEqual([{ name: 'sex' }]);
    expect(planFairness(marked, { protected: [] })).toBeNull();
    expect(planFairness(schema)).toBeNull();
  });

  it('an unknown protected feature is UNKNOWN_FEATURE with the nearest name', () => {
    expect(issuesOf(() => planFairness(schema, { protected: ['agee', 'class'] }))).toEqual([
      ['UNKNOWN_FEATURE', '--protected'],
      ['UNKNOWN_FEATURE', '--protected'],
    ]);
    const [typo, target] = messagesOf(() => planFairness(schema, { protected: ['agee', 'class'] }));
    expect(typo).toMatch(/found 'agee'; did you mean 'age'\?/);
    expect(target).toMatch(/the target column/);
  });

  it.each([
    ['a categorical feature', ['sex=1,2'], /expected a numeric feature, found a categorical one/],
    ['a feature not protected', ['income=3'], /found a feature that is not protected/],
    ['no such feature', ['agge=3'], /found no feature of that name; did you mean 'age'\?/],
    ['a bound that is not a number', ['age=25,x'], /expected a decimal number, found 'x'/],
    ['an empty bound', ['age=25,,40'], /expected a decimal number, found ''/],
    ['a hexadecimal bound', ['age=0x10'], /expected a decimal number, found '0x10'/],
    ['an infinite bound', ['age=25,Infinity'], /expected a decimal number, found 'Infinity'/],
    ['a bound that overflows', ['age=1e400'], /found '1e400' \(too large\)/],
    ['a bound that overflows below', ['age=-1e309'], /found '-1e309' \(too large\)/],
    ['a bound that underflows to 0', ['age=1e-400'], /found '1e-400' \(too small/],
    ['decreasing bounds', ['age=40,25'], /strictly increasing bounds, found 25 after 40/],
    ['equal bounds', ['age=25,25'], /strictly increasing bounds, found 25 after 25/],
    ['no =', ['age'], /expected FEATURE=BOUND,BOUND,\.\.\., found 'age'/],
    ['an empty spec', [' '], /expected FEATURE=BOUND,BOUND,\.\.\., found ' '/],
    ['a feature twice', ['age=25;age=30'], /one list of bounds per feature, found a second/],
  ])('bands naming %s are INVALID_BANDS', (_, bands, message) => {
    const run = () => planFairness(schema, { protected: ['age', 'sex'], bands });
    expect(issuesOf(run)).toEqual([['INVALID_BANDS', '--bands']]);
    expect(messagesOf(run)[0]).toMatch(message);
  });

  it('reads plain decimal bounds: signs, fractions, exponents, a zero spelt any way', () => {
    const plan = planFairness(schema, {
      protected: ['age'],
      bands: ['age=-1.5e1, 0.000e-999 ,+.5,2.,3e1,4E+1'],
    });
    expect(plan!.features[0]!.cuts).toEqual([-15, 0, 0.5, 2, 30, 40]);
  });

  it('reports every problem together', () => {
    expect(
      issuesOf(() =>
        planFairness(schema, {
          protected: ['age', 'nosuch'],
          bands: ['age=3,2', 'sex=1'],
          favourable: 'yess',
          failOnDisparity: 0,
        }),
      ),
    ).toEqual([
      ['UNKNOWN_FEATURE', '--protected'],
      ['INVALID_BANDS', '--bands'],
      ['INVALID_BANDS', '--bands'],
      ['INVALID_ARGUMENT', '--favourable'],
      ['INVALID_ARGUMENT', '--fail-on-disparity'],
    ]);
  });

  it('a favourable class that is not a class, with the nearest one', () => {
    expect(
      messagesOf(() => planFairness(schema, { protected: ['age'], favourable: 'yess' })),
    ).toEqual([
      expect.stringMatching(/expected one of no, yes, found 'yess'; did you mean 'yes'\?/),
    ]);
  });

  it.each([0, -0.5, 1.01, NaN])('a disparity threshold of %p is INVALID_ARGUMENT', (r) => {
    expect(
      issuesOf(() => planFairness(schema, { protected: ['age'], failOnDisparity: r })),
    ).toEqual([['INVALID_ARGUMENT', '--fail-on-disparity']]);
  });

  it('fairness options without a protected feature are refused, not ignored', () => {
    expect(
      issuesOf(() => planFairness(schema, { favourable: 'yes', failOnDisparity: 0.8 })),
    ).toEqual([
      ['INVALID_ARGUMENT', '--favourable'],
      ['INVALID_ARGUMENT', '--fail-on-disparity'],
    ]);
    expect(issuesOf(() => planFairness(schema, { bands: ['age=30'] }))).toEqual([
      ['INVALID_BANDS', '--bands'],
    ]);
  });
});

import * as path from 'node:path';
import fc from 'fast-check';
import { BUILT_IN_OPERATORS } from '../../src/engine/compile-conditions';
import { Engine, type Event, Rule, type RuleProperties } from 'json-rules-engine';
import { readRecords } from '../../src/data/read-records';
import type { DataRecord } from '../../src/data/types';
import { compileRuleSet, safeCompileRuleSet } from '../../src/engine/compiled-rules';
import { flattenConditions, RuleEngine } from '../../src/engine/rule-engine';
import type { ConditionResult } from '../../src/engine/types';
import { isNeurulesError, type NeurulesError } from '../../src/errors';
import type { RuleSet } from '../../src/rules/types';
import { catchError } from '../data/catch-error';
import { loadModelFiles, loadRuleSet } from '../../src/artifacts/model-store';
import { GERMAN_CREDIT } from '../helpers/german-credit';

const ROOT = path.join(__dirname, '..', '..');

type Facts = Record<string, unknown>;
type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

function errorOf(outcome: Outcome<unknown>): NeurulesError | undefined {
  return outcome.ok ? undefined : (outcome.error as NeurulesError);
}

async function settle<T>(f: () => T | Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** RuleEngine.trace's view of a json-rules-engine run, with any engine options. */
async function referenceTrace(
  rules: RuleProperties[],
  options: { allowUndefinedFacts: boolean },
  facts: Facts,
): Promise<{ fired: unknown[]; conditions: ConditionResult[]; params: unknown } | 'none'> {
  const { results } = await new Engine(structuredClone(rules), options).run({ ...facts });
  const fired = results.filter((r) => r.result);
  const first = fired[0];
  if (!first) return 'none';
  const conditions: ConditionResult[] = [];
  flattenConditions(
    (first.conditions as unknown as { toJSON(s: false): unknown }).toJSON(false),
    conditions,
  );
  return { fired: fired.map((r) => r.name), conditions, params: first.event?.params };
}

function decisionOf(params: unknown): unknown {
  const p = params as Record<string, unknown>;
  return {
    class: p.class,
    ruleId: p.ruleId,
    probabilities: p.probabilities,
    support: p.support,
    source: p.source,
  };
}

// ---------------------------------------------------------------------------------------
// Random rule sets and facts

const FACT_NAMES = ['a', 'b', 'c', 'constructor', '__proto__'];
const OPERATORS = BUILT_IN_OPERATORS;

const primitive = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, -0, NaN, Infinity, -Infinity, 1e21),
  fc.constantFrom('', 'x', 'y', '1', '10', '9', ' 2', '2px', 'abc', 'null', '__proto__', 'a"b'),
  fc.boolean(),
  fc.constant(null),
);
const array = fc.array(primitive, { maxLength: 4 });
const longArray = fc.array(fc.oneof(primitive, fc.integer()), { minLength: 9, maxLength: 14 });

function valueFor(operator: (typeof OPERATORS)[number]): fc.Arbitrary<unknown> {
  switch (operator) {
    case 'in':
    case 'notIn':
      return fc.oneof(array, longArray, fc.constantFrom('', 'abc1', 'xnull', 'truex'));
    case 'contains':
    case 'doesNotContain':
      return fc.oneof(primitive, array);
    case 'equal':
    case 'notEqual':
      return fc.oneof(primitive, array, fc.constant({ k: 1 }), fc.constant(undefined));
    default:
      return primitive;
  }
}

const conditionPriority = fc.option(fc.constantFrom(-1, 0, 1, 2, 3), { nil: undefined });

function withPriority<T extends object>(node: T, priority: number | undefined): T {
  return priority === undefined ? node : { ...node, priority };
}

const leaf = fc
  .tuple(fc.constantFrom(...FACT_NAMES), fc.constantFrom(...OPERATORS), conditionPriority)
  .chain(([fact, operator, priority]) =>
    valueFor(operator).map((value) => withPriority({ fact, operator, value }, priority)),
  );

const { node: condition } = fc.letrec<{
  node: unknown;
  all: unknown;
  any: unknown;
  not: unknown;
}>((tie) => ({
  node: fc.oneof({ maxDepth: 3, depthSize: 'small' }, leaf, tie('all'), tie('any'), tie('not')),
  all: fc
    .tuple(fc.array(tie('node'), { maxLength: 4 }), conditionPriority)
    .map(([all, p]) => withPriority({ all }, p)),
  any: fc
    .tuple(fc.array(tie('node'), { maxLength: 4 }), conditionPriority)
    .map(([any, p]) => withPriority({ any }, p)),
  not: fc.tuple(tie('node'), conditionPriority).map(([not, p]) => withPriority({ not }, p)),
}));

const root = fc.oneof(
  fc.array(condition, { maxLength: 4 }).map((all) => ({ all })),
  fc.array(condition, { maxLength: 4 }).map((any) => ({ any })),
  condition.map((not) => ({ not })),
);

const params = fc.oneof(
  fc.constantFrom(undefined, 0, null, ''),
  fc.record({
    ruleId: fc.constantFrom('R1', 'R2'),
    class: fc.constantFrom('good', 'bad'),
    probabilities: fc.record({ good: fc.double({ noNaN: true }), bad: fc.double({ noNaN: true }) }),
    support: fc.nat(),
    source: fc.constant('distilled'),
  }),
  fc.dictionary(fc.constantFrom('k', 'constructor', 'toString', 'v'), fc.oneof(primitive, array)),
);

const rule = fc
  .record({
    name: fc.option(fc.constantFrom('r1', 'r2', 'r3', '', 0, 7), { nil: undefined }),
    // '2.5', '3x' and true as json-rules-engine's parseInt reads them (2, 3, NaN).
    priority: fc.option(fc.constantFrom(1, 2, 3, 0, 2.5, '2', '3x', 'x', true), {
      nil: undefined,
    }),
    conditions: root,
    type: fc.constantFrom('t1', 't2'),
    params,
  })
  .map(({ name, priority, conditions, type, params: p }) => {
    const r: Record<string, unknown> = {
      conditions,
      event: p === undefined ? { type } : { type, params: p },
    };
    if (name !== undefined) r.name = name;
    if (priority !== undefined) r.priority = priority;
    return r as unknown as RuleProperties;
  });

const rules = fc.array(rule, { minLength: 1, maxLength: 6 });

const factValue = fc.oneof(primitive, array, fc.constant(undefined));

/**
 * Facts: each name absent, undefined, or a value (including NaN and arrays); half of them
 * have every name, so that strict runs (no undefined facts) decide often enough.
 */
const facts = fc
  .oneof(
    fc.array(fc.tuple(fc.constantFrom(...FACT_NAMES, 'extra'), factValue), { maxLength: 6 }),
    fc.tuple(...FACT_NAMES.map(() => factValue)).map((vs) => vs.map((v, i) => [FACT_NAMES[i]!, v])),
  )
  .map((entries) => Object.fromEntries(entries) as Facts); // own properties, even '__proto__'

const FAST_CHECK = { numRuns: Number(process.env.FC_RUNS ?? 300) };

// ---------------------------------------------------------------------------------------

describe('compileRuleSet: differential against json-rules-engine', () => {
  for (const allowUndefinedFacts of [false, true]) {
    const options = { allowUndefinedFacts };

    it(`run: same events in the same order (allowUndefinedFacts: ${allowUndefinedFacts})`, async () => {
      await fc.assert(
        fc.asyncProperty(
          rules,
          fc.array(facts, { minLength: 1, maxLength: 4 }),
          async (rs, fss) => {
            const compiled = compileRuleSet({ rules: structuredClone(rs) }, options);
            for (const f of fss) {
              const expected = await settle(() => new Engine(structuredClone(rs), options).run(f));
              const actual = await settle(() => compiled.run(f));
              expect(actual.ok).toBe(expected.ok);
              if (actual.ok && expected.ok) {
                expect(actual.value.events).toEqual(expected.value.events);
              } else if (!actual.ok) {
                expect(isNeurulesError(actual.error)).toBe(true);
              }
            }
          },
        ),
        FAST_CHECK,
      );
    });

    it(`trace and decide: the deciding rule's condition results (allowUndefinedFacts: ${allowUndefinedFacts})`, async () => {
      await fc.assert(
        fc.asyncProperty(
          rules,
          fc.array(facts, { minLength: 1, maxLength: 4 }),
          async (rs, fss) => {
            const compiled = compileRuleSet({ rules: structuredClone(rs) }, options);
            for (const f of fss) {
              const expected = await settle(() => referenceTrace(rs, options, f));
              const actual = await settle(() => compiled.trace(f as DataRecord));
              const decided = await settle(() => compiled.decide(f as DataRecord));
              if (!expected.ok) {
                expect(actual.ok).toBe(false);
                expect(decided.ok).toBe(false);
                expect(isNeurulesError(errorOf(actual))).toBe(true);
                continue;
              }
              const e = expected.value;
              if (e === 'none' || !e.params || typeof e.params !== 'object') {
                const code = e === 'none' ? 'NO_RULE_FIRED' : 'INVALID_RULES';
                expect(errorOf(actual)?.code).toBe(code);
                expect(errorOf(decided)?.code).toBe(code);
                continue;
              }
              if (!actual.ok || !decided.ok) throw errorOf(actual) ?? errorOf(decided);
              expect(actual.value.fired).toEqual(e.fired);
              expect(actual.value.conditions).toEqual(e.conditions);
              expect(actual.value.decision).toEqual(decisionOf(e.params));
              expect(decided.value).toEqual(decisionOf(e.params));
            }
          },
        ),
        FAST_CHECK,
      );
    });
  }

  it('trace agrees with RuleEngine itself (json-rules-engine default options)', async () => {
    await fc.assert(
      fc.asyncProperty(rules, facts, async (rs, f) => {
        const reference = new RuleEngine({ rules: structuredClone(rs) } as unknown as RuleSet);
        const compiled = compileRuleSet({ rules: structuredClone(rs) });
        const expected = await settle(() => reference.trace(f as DataRecord));
        const actual = await settle(() => compiled.trace(f as DataRecord));
        if (expected.ok) expect(actual).toEqual(expected);
        else expect(actual.ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('compileRuleSet: json-rules-engine semantics worth knowing', () => {
  const x1 = { fact: 'x', operator: 'equal', value: 1 };
  const event = (type: string): Event => ({ type });

  async function both(rs: RuleProperties[], f: Facts): Promise<string[]> {
    const expected = (await new Engine(structuredClone(rs)).run(f)).events.map((e) => e.type);
    expect(
      compileRuleSet({ rules: rs })
        .run(f)
        .events.map((e) => e.type),
    ).toEqual(expected);
    return expected;
  }

  it('orders the events of one priority by when their rules finish, not by rule order', async () => {
    const rs: RuleProperties[] = [
      { conditions: { any: [{ ...x1, value: 2, priority: 2 }, x1] }, event: event('D') },
      { conditions: { any: [{ ...x1, priority: 2 }, x1] }, event: event('C') },
      { conditions: { all: [{ not: { ...x1, value: 2 } }] }, event: event('B') },
      { conditions: { not: { ...x1, value: 2 } }, event: event('A') },
      { conditions: { any: [{ all: [] }] }, event: event('F') },
      { conditions: { all: [] }, event: event('E') },
    ];
    expect(await both(rs, { x: 1 })).toEqual(['E', 'F', 'A', 'B', 'C', 'D']);
  });

  it('runs higher priorities first, whatever the rule order', async () => {
    const rs: RuleProperties[] = [
      { priority: 1, conditions: { all: [] }, event: event('low') },
      { priority: 5, conditions: { all: [x1, x1] }, event: event('high') },
    ];
    expect(await both(rs, { x: 1 })).toEqual(['high', 'low']);
  });

  it('skips a lower-priority set of conditions once the outcome is known', async () => {
    const rs: RuleProperties[] = [
      {
        name: 'r',
        conditions: {
          any: [
            { ...x1, priority: 2 },
            { fact: 'y', operator: 'equal', value: 1 },
          ],
        },
        event: { type: 't', params: { class: 'c', ruleId: 'r' } },
      },
    ];
    // y is never read, so it may be undefined even without allowUndefinedFacts …
    await expect(new Engine(structuredClone(rs)).run({ x: 1 })).resolves.toBeDefined();
    const trace = compileRuleSet({ rules: rs }).trace({ x: 1 });
    // … and reports no result.
    expect(trace.conditions.map((c) => [c.fact, c.result, c.factValue])).toEqual([
      ['x', true, 1],
      ['y', false, undefined],
    ]);
    // Within one priority set every condition is evaluated: y is then undefined.
    const flat = [
      { ...rs[0]!, conditions: { any: [x1, { fact: 'y', operator: 'equal', value: 1 }] } },
    ];
    await expect(new Engine(structuredClone(flat)).run({ x: 1 })).rejects.toThrow(/Undefined fact/);
    expect(catchError(() => compileRuleSet({ rules: flat }).run({ x: 1 })).code).toBe(
      'MISSING_FEATURE',
    );
  });

  it('an empty any is true, in on a string is a substring test, numbers compare as JavaScript does', async () => {
    const rs: RuleProperties[] = [
      { conditions: { any: [] }, event: event('empty any') },
      {
        conditions: { all: [{ fact: 's', operator: 'in', value: 'abc1' }] },
        event: event('substring'),
      },
      {
        conditions: { all: [{ fact: 't', operator: 'lessThan', value: '9' }] },
        event: event('strings'),
      },
      { conditions: { all: [{ fact: 'n', operator: 'in', value: [NaN] }] }, event: event('NaN') },
      {
        conditions: { all: [{ fact: 'u', operator: 'lessThan', value: 5 }] },
        event: event('[3] < 5'),
      },
    ];
    expect(await both(rs, { s: 1, t: '10', n: NaN, u: [3] })).toEqual([
      'empty any',
      'substring',
      'strings',
      '[3] < 5',
    ]);
  });

  it("copies events as json-rules-engine's clone does", async () => {
    const rs = [
      {
        conditions: { all: [] },
        event: { type: 't', params: { constructor: 1, toString: 2, kept: { valueOf: 3, k: 4 } } },
      },
      { conditions: { all: [] }, event: { type: 'u', params: 0, extra: 1 } },
    ] as unknown as RuleProperties[];
    const expected = (await new Engine(structuredClone(rs)).run({})).events;
    expect(expected).toEqual([{ type: 't', params: { kept: { k: 4 } } }, { type: 'u' }]);
    expect(compileRuleSet({ rules: rs }).run({}).events).toEqual(expected);
  });

  it('a fact that is present with the value undefined is defined', async () => {
    const rs: RuleProperties[] = [
      {
        conditions: { all: [{ fact: 'x', operator: 'equal', value: undefined }] },
        event: event('t'),
      },
    ];
    expect(await both(rs, { x: undefined })).toEqual(['t']);
    expect(catchError(() => compileRuleSet({ rules: rs }).run({})).code).toBe('MISSING_FEATURE');
  });
});

describe('compileRuleSet on the German credit rules', () => {
  const ruleSet = loadRuleSet(GERMAN_CREDIT);
  const { schema } = loadModelFiles(GERMAN_CREDIT);
  const { records } = readRecords(path.join(ROOT, 'data/german-credit.csv'), schema);

  it('decides and traces all 1000 records exactly as RuleEngine', async () => {
    expect(records).toHaveLength(1000);
    const reference = new RuleEngine(structuredClone(ruleSet));
    const compiled = compileRuleSet(ruleSet);
    for (const record of records) {
      const expected = await reference.trace(record);
      expect(compiled.trace(record)).toEqual(expected);
      expect(compiled.decide(record)).toEqual(expected.decision);
    }
  });

  it('agrees on records with missing values and unseen levels', async () => {
    const reference = new RuleEngine(structuredClone(ruleSet));
    const compiled = compileRuleSet(ruleSet);
    const features = schema.features.map((f) => f.name);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(records.length - 1),
        fc.subarray(features),
        fc.subarray(features, { maxLength: 3 }),
        async (i, missing, unseen) => {
          const record: DataRecord = { ...records[i]! };
          for (const f of missing) record[f] = null;
          for (const f of unseen) record[f] = typeof record[f] === 'number' ? -1e9 : 'unseen level';
          const expected = await settle(() => reference.trace(record));
          const actual = await settle(() => compiled.trace(record));
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a record without a fact the rules read, as json-rules-engine does', async () => {
    const compiled = compileRuleSet(ruleSet);
    const fact = ruleSet.rules[0]!.conditions as { all: { fact: string }[] };
    const name = fact.all[0]!.fact;
    const { [name]: _dropped, ...record } = records[0]!;
    await expect(new RuleEngine(structuredClone(ruleSet)).decide(record)).rejects.toThrow(
      /Undefined fact/,
    );
    const error = catchError(() => compiled.decide(record));
    expect(error.code).toBe('MISSING_FEATURE');
    expect(error.field).toBe(name);
  });
});

describe('compileRuleSet with hostile rule files', () => {
  const NAMES = [
    'a"b',
    "c'd",
    'e`f${x}',
    '}); globalThis.polluted = 1; ({',
    'line\nbreak',
    '__proto__',
    'constructor',
    'prototype',
    '\\u0000',
  ];
  const hostileRules = (): RuleProperties[] =>
    NAMES.map((name, i) => ({
      name: `${name}#${i}`,
      conditions: {
        all: [
          { fact: name, operator: 'equal', value: name },
          { fact: name, operator: 'in', value: [name, `'); polluted = 1; ('`] },
          {
            fact: name,
            operator: 'notIn',
            value: ['__proto__x', ...NAMES.filter((n) => n !== name)],
          },
        ],
      },
      event: {
        type: `}\`${name}`,
        params: { class: name, ruleId: `${name}#${i}`, note: '${polluted}' },
      },
    }));

  afterEach(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((globalThis as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('keeps fact names and values as data', async () => {
    const rs = hostileRules();
    const compiled = compileRuleSet({ rules: structuredClone(rs) });
    for (const [i, name] of NAMES.entries()) {
      // JSON.parse makes '__proto__' an own property, as a JSON record would have it.
      const record = JSON.parse(JSON.stringify({ [name]: name, other: 1 })) as Facts;
      const expected = await new Engine(structuredClone(rs), { allowUndefinedFacts: true }).run(
        record,
      );
      const lenient = compileRuleSet({ rules: rs }, { allowUndefinedFacts: true });
      expect(lenient.run(record).events).toEqual(expected.events);
      expect(expected.events.map((e) => e.params?.ruleId)).toEqual([`${name}#${i}`]);
      // Strict: every other hostile name is an undefined fact.
      expect(catchError(() => compiled.run(record)).code).toBe('MISSING_FEATURE');
    }
    const all = JSON.parse(JSON.stringify(Object.fromEntries(NAMES.map((n) => [n, n])))) as Facts;
    const expected = await new Engine(structuredClone(rs)).run(all);
    expect(compiled.run(all).events).toEqual(expected.events);
    expect(compiled.run(all).events).toHaveLength(NAMES.length);
    const trace = compiled.trace(all as DataRecord);
    expect(trace.conditions[0]).toEqual({
      fact: NAMES[0],
      operator: 'equal',
      value: NAMES[0],
      factValue: NAMES[0],
      result: true,
    });
  });

  it("does not read a record's inherited properties as facts", async () => {
    const rs: RuleProperties[] = [
      {
        conditions: { all: [{ fact: 'constructor', operator: 'notEqual', value: null }] },
        event: { type: 'inherited' },
      },
    ];
    await expect(new Engine(structuredClone(rs)).run({})).rejects.toThrow(/Undefined fact/);
    expect(catchError(() => compileRuleSet({ rules: rs }).run({})).code).toBe('MISSING_FEATURE');
    const lenient = { allowUndefinedFacts: true };
    const expected = await new Engine(structuredClone(rs), lenient).run({});
    expect(compileRuleSet({ rules: rs }, lenient).run({}).events).toEqual(expected.events);
    expect(expected.events).toEqual([{ type: 'inherited' }]); // undefined !== null
  });

  it('refuses __proto__ keys and reserved keys in rule data instead of copying them', () => {
    const rs = JSON.parse(
      '[{"conditions":{"all":[{"fact":"x","operator":"equal","value":1,"__proto__":{"evaluate":1}}]},' +
        '"event":{"type":"t","params":{"__proto__":{"polluted":1}}}}]',
    ) as RuleProperties[];
    const error = catchError(() => compileRuleSet({ rules: rs }));
    expect(error.issues.map((i) => i.code)).toEqual(['UNSUPPORTED_KEY', 'UNSUPPORTED_DATA']);
    expect(error.issues.map((i) => i.field)).toEqual([
      'rules[0].conditions.all[0]',
      'rules[0].event',
    ]);
  });

  it('hands out frozen events and decisions, so callers cannot change later results', () => {
    const compiled = compileRuleSet({
      rules: [
        {
          conditions: { all: [{ fact: 'x', operator: 'in', value: ['a', 'b'] }] },
          event: { type: 't', params: { class: 'c', ruleId: 'R1', probabilities: { c: 1 } } },
        },
      ],
    });
    const { events } = compiled.run({ x: 'a' });
    expect(() => {
      (events[0]!.params!.probabilities as Record<string, number>).c = 0;
    }).toThrow(TypeError);
    const trace = compiled.trace({ x: 'b' });
    expect(() => (trace.conditions[0]!.value as string[]).push('z')).toThrow(TypeError);
    expect(compiled.decide({ x: 'b' }).probabilities).toEqual({ c: 1 });
    expect(catchError(() => compiled.decide({ x: 'z' })).code).toBe('NO_RULE_FIRED');
  });

  it('refuses facts that are functions or promises (dynamic facts)', () => {
    const compiled = compileRuleSet({
      rules: [
        { conditions: { all: [{ fact: 'x', operator: 'equal', value: 1 }] }, event: { type: 't' } },
      ],
    });
    expect(catchError(() => compiled.run({ x: () => 1 })).code).toBe('WRONG_TYPE');
    expect(catchError(() => compiled.run({ x: Promise.resolve(1) })).code).toBe('WRONG_TYPE');
    expect(catchError(() => compiled.run({ '': 1, x: 1 })).code).toBe('INVALID_ARGUMENT');
  });
});

describe('compileRuleSet refuses what it cannot run exactly', () => {
  const leaf = { fact: 'x', operator: 'equal', value: 1 };
  function refusal(
    code: string,
    condition: unknown,
    extra: Record<string, unknown> = {},
  ): NeurulesError {
    const rs = [
      { name: 'fine', conditions: { all: [leaf] }, event: { type: 't' } },
      { name: 'R-bad', conditions: { any: [leaf, condition] }, event: { type: 't' }, ...extra },
    ] as unknown as RuleProperties[];
    const error = catchError(() => compileRuleSet({ rules: rs }));
    expect(error.code).toBe(code);
    expect(error.issues).toHaveLength(1);
    expect(error.message).toContain('"R-bad"');
    expect(error.message).toContain('rules[1]');
    return error;
  }

  it.each([
    [
      'a custom operator',
      { fact: 'x', operator: 'startsWith', value: 'a' },
      'UNSUPPORTED_OPERATOR',
    ],
    [
      'an operator decorator',
      { fact: 'x', operator: 'everyFact:equal', value: 1 },
      'UNSUPPORTED_OPERATOR',
    ],
    [
      'a negating decorator',
      { fact: 'x', operator: 'not:equal', value: 1 },
      'UNSUPPORTED_OPERATOR',
    ],
    [
      'a fact-to-fact comparison',
      { fact: 'x', operator: 'equal', value: { fact: 'y' } },
      'UNSUPPORTED_FACT_VALUE',
    ],
    ['a path', { fact: 'x', operator: 'equal', value: 1, path: '$.y' }, 'UNSUPPORTED_FACT_PATH'],
    [
      'params',
      { fact: 'x', operator: 'equal', value: 1, params: { id: 1 } },
      'UNSUPPORTED_FACT_PARAMS',
    ],
    ['a condition reference', { condition: 'shared' }, 'UNSUPPORTED_CONDITION_REFERENCE'],
    ['a fractional condition priority', { ...leaf, priority: 1.5 }, 'UNSUPPORTED_PRIORITY'],
    ['a string condition priority', { ...leaf, priority: '2' }, 'UNSUPPORTED_PRIORITY'],
    ['a preset result', { ...leaf, result: true }, 'UNSUPPORTED_KEY'],
    ['all and any together', { all: [], any: [] }, 'AMBIGUOUS_CONDITION'],
    ['a fact that is not a string', { fact: 3, operator: 'equal', value: 1 }, 'UNSUPPORTED_FACT'],
    [
      'an object for a numeric operator',
      { fact: 'x', operator: 'lessThan', value: [1] },
      'UNSUPPORTED_VALUE',
    ],
    ['a function value', { fact: 'x', operator: 'equal', value: () => 1 }, 'UNSUPPORTED_DATA'],
    [
      'a class instance value',
      { fact: 'x', operator: 'equal', value: new Date(0) },
      'UNSUPPORTED_DATA',
    ],
  ])('%s', (_what, condition, code) => {
    expect(refusal(code, condition).field).toBe('rules[1].conditions.any[1]');
  });

  it('onSuccess callbacks', () => {
    expect(refusal('UNSUPPORTED_CALLBACK', leaf, { onSuccess: () => undefined }).field).toBe(
      'rules[1].onSuccess',
    );
  });

  it('a rule priority that is not a number, and a json-rules-engine Rule object', () => {
    expect(refusal('UNSUPPORTED_PRIORITY', leaf, { priority: [2] }).field).toBe(
      'rules[1].priority',
    );
    const asObject = catchError(() =>
      compileRuleSet({
        rules: [new Rule({ conditions: { all: [leaf] }, event: { type: 't' } })],
      } as unknown as RuleSet),
    );
    expect([asObject.code, asObject.field]).toEqual(['UNSUPPORTED_RULE_OBJECT', 'rules[0]']);
  });

  it('names a rule without a name by its index, and reports every problem', () => {
    const rs = [
      { conditions: { all: [{ fact: 'x', operator: 'matches', value: 1 }] }, event: { type: 't' } },
      { conditions: { all: [{ fact: 'x', operator: 'in', value: 3 }] }, event: { type: 't' } },
      { conditions: { all: [{ fact: 'x', operator: 'equal' }] }, event: { type: 't' } },
      { conditions: { fact: 'x', operator: 'equal', value: 1 }, event: { type: 't' } },
      { conditions: { all: [] }, event: {}, priority: -1 },
      { conditions: { all: [] } },
    ] as unknown as RuleProperties[];
    const result = safeCompileRuleSet({ rules: rs });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.field)).toEqual([
      'rules[0].conditions.all[0]',
      'rules[1].conditions.all[0]',
      'rules[2].conditions.all[0]',
      'rules[3].conditions',
      'rules[4].priority',
      'rules[4].event',
      'rules[5]',
    ]);
    // Beyond the supported subset (json-rules-engine runs it) vs broken for both.
    expect(result.issues.map((i) => i.code)).toEqual([
      'UNSUPPORTED_OPERATOR',
      ...Array<string>(6).fill('INVALID_RULES'),
    ]);
    expect(result.issues[0]!.message).toMatch(/^rule rules\[0\], condition/);
    // Each of these json-rules-engine refuses too (at load or when the condition runs).
    for (const r of rs.slice(2)) expect(() => new Engine([structuredClone(r)])).toThrow();
  });

  it('refuses a rule set that is not a rule array, and bad options', () => {
    expect(catchError(() => compileRuleSet({} as RuleSet)).code).toBe('INVALID_RULES');
    expect(
      catchError(() =>
        compileRuleSet({ rules: [] }, { allowUndefinedFacts: 'yes' as unknown as boolean }),
      ).code,
    ).toBe('INVALID_ARGUMENT');
  });

  it('refuses engine options it would otherwise ignore', () => {
    const options = { replaceFactsInEventParams: true } as unknown as {
      allowUndefinedFacts: boolean;
    };
    expect(catchError(() => compileRuleSet({ rules: [] }, options)).code).toBe('INVALID_ARGUMENT');
  });

  it('does not change the rule set it compiles', () => {
    const rs = [{ conditions: { all: [{ ...leaf, priority: 2 }] }, event: { type: 't' } }];
    const before = JSON.stringify(rs);
    compileRuleSet({ rules: rs as RuleProperties[] });
    expect(JSON.stringify(rs)).toBe(before);
  });
});

describe('issue paths', () => {
  it("a rule's priority, event and condition are named by a structured path as well", () => {
    const r = safeCompileRuleSet({
      rules: [
        { conditions: { all: [] }, event: { type: 'a', params: { class: 'x' } } },
        {
          name: 'R2',
          priority: -1,
          conditions: { all: [{ fact: 'x', operator: 'equal', value: 1 }, { any: 3 }] },
          event: { type: 'b' },
        },
      ] as unknown as RuleProperties[],
    });
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues;
    expect(issues.map((i) => [i.code, i.field, i.path])).toEqual([
      ['INVALID_RULES', 'rules[1].priority', ['rules', 1, 'priority']],
      ['INVALID_RULES', 'rules[1].conditions.all[1]', ['rules', 1, 'conditions', 'all', 1]],
    ]);
  });

  it('a missing fact is named by its path in the record', () => {
    const compiled = compileRuleSet({
      rules: [
        {
          conditions: { all: [{ fact: 'age', operator: 'lessThan', value: 18 }] },
          event: { type: 'd', params: { class: 'bad', ruleId: 'R1' } },
        },
      ],
    });
    const e = catchError(() => compiled.decide({}));
    expect(e).toMatchObject({ code: 'MISSING_FEATURE', field: 'age', path: ['age'] });
  });
});

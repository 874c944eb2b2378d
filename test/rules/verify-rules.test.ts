import fc from 'fast-check';
import { loadModel } from '../../src/artifacts/model-store';
import { GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';
import type { NestedCondition } from 'json-rules-engine';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import type { Issue } from '../../src/errors';
import { regionOf } from '../../src/regions/region';
import { checkRuleSet, verifyRuleSet } from '../../src/rules/verify-rules';
import { catchError } from '../data/catch-error';

const { ruleSet: committed, schema } = loadModel(GERMAN_CREDIT_FROZEN);
/** A deep copy to mutate, typed loosely so tests can break it in any way. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const copy = (): Loose => structuredClone(committed);

const places = (issues: Issue[]) => issues.map((i) => [i.code, i.field]);

describe('verifyRuleSet', () => {
  it('finds nothing wrong with the committed German credit rules', () => {
    expect(verifyRuleSet(committed, schema)).toEqual([]);
    expect(() => checkRuleSet(committed, schema)).not.toThrow();
  });

  it('accepts a changed threshold: still a valid rule set', () => {
    const rs = copy();
    rs.rules[2].conditions.all[2].value = 30; // R03: duration <= 40 becomes <= 30
    expect(verifyRuleSet(rs, schema)).toEqual([]);
  });

  it('RULE_UNKNOWN_CLASS names the rule deciding a class the schema lacks', () => {
    const rs = copy();
    rs.rules[3].event.params.class = 'foo';
    expect(places(verifyRuleSet(rs, schema))).toEqual([
      ['RULE_UNKNOWN_CLASS', "rules[3] (rule 'R04') event.params.class"],
    ]);
  });

  it("RULE_UNKNOWN_CLASS when the rule set's classes differ from the schema's (also in order)", () => {
    for (const classes of [['good', 'bad'], ['bad'], ['bad', 'good', 'foo']]) {
      const rs = copy();
      rs.classes = classes;
      expect(places(verifyRuleSet(rs, schema))).toEqual([['RULE_UNKNOWN_CLASS', 'classes']]);
    }
  });

  it('RULE_UNKNOWN_FACT names the condition whose fact is not a feature', () => {
    const rs = copy();
    rs.rules[0].conditions.all[1].any[0].fact = 'duraton';
    const issues = verifyRuleSet(rs, schema, 'rules/german-credit/distilled.rules.json');
    expect(places(issues)).toEqual([
      ['RULE_UNKNOWN_FACT', "rules[0] (rule 'R01') conditions.all[1].any[0].fact"],
    ]);
    expect(issues[0]!.file).toBe('rules/german-credit/distilled.rules.json');
  });

  it('RULE_INVALID_CONDITION: a string threshold on a numeric feature', () => {
    const rs = copy();
    rs.rules[2].conditions.all[1].value = '23'; // R03: duration greaterThan '23'
    expect(places(verifyRuleSet(rs, schema))).toEqual([
      ['RULE_INVALID_CONDITION', "rules[2] (rule 'R03') conditions.all[1].value"],
    ]);
  });

  it('RULE_INVALID_CONDITION: a level the feature does not have, one issue per value', () => {
    const rs = copy();
    rs.rules[0].conditions.all[2].value = ['no credits/all paid', 'al paid', 'x'];
    expect(places(verifyRuleSet(rs, schema))).toEqual([
      ['RULE_INVALID_CONDITION', "rules[0] (rule 'R01') conditions.all[2].value[1]"],
      ['RULE_INVALID_CONDITION', "rules[0] (rule 'R01') conditions.all[2].value[2]"],
    ]);
  });

  it.each([
    ['a comparison on a categorical feature', { operator: 'lessThan', value: 3 }, '.operator'],
    ['an unknown operator', { operator: 'contains', value: '<0' }, '.operator'],
    ['an operator decorator', { operator: 'not:in', value: ['<0'] }, '.operator'],
    ['no operator', { operator: undefined }, '.operator'],
    ['a non-array for in', { operator: 'in', value: '<0' }, '.value'],
    ['no value', { operator: 'equal', value: undefined }, '.value'],
    ['a number for a level', { operator: 'equal', value: 1 }, '.value'],
    ['a fact-to-fact comparison', { operator: 'equal', value: { fact: 'purpose' } }, '.value'],
    ['a path', { path: '$.x' }, '.path'],
    ['params', { params: { x: 1 } }, '.params'],
  ])('RULE_INVALID_CONDITION: %s', (_what, change, suffix) => {
    const rs = copy();
    Object.assign(rs.rules[7].conditions.all[0], change); // R08: checking_status notIn [...]
    expect(places(verifyRuleSet(rs, schema))).toEqual([
      ['RULE_INVALID_CONDITION', `rules[7] (rule 'R08') conditions.all[0]${suffix}`],
    ]);
  });

  it.each([
    ['a non-finite threshold', Infinity],
    ['NaN', NaN],
    ['null in a comparison', null],
    ['an array', [23]],
  ])('RULE_INVALID_CONDITION: %s as a numeric threshold', (_what, value) => {
    const rs = copy();
    rs.rules[4].conditions.all[1].value = value; // R05: duration greaterThan 40
    expect(places(verifyRuleSet(rs, schema))).toEqual([
      ['RULE_INVALID_CONDITION', "rules[4] (rule 'R05') conditions.all[1].value"],
    ]);
  });

  it('RULE_INVALID_CONDITION: malformed condition nodes', () => {
    const rs = copy();
    rs.rules[0].conditions.all[0] = {}; // nothing
    rs.rules[0].conditions.all[2] = { all: [], fact: 'purpose' }; // two kinds at once
    rs.rules[1].conditions.all[1].any = { fact: 'duration' }; // any of a non-array
    rs.rules[2].conditions.all[0] = 'checking_status'; // not an object
    rs.rules[3].conditions = { fact: 'duration', operator: 'greaterThan', value: 1 }; // bare top
    rs.rules[4].conditions = undefined;
    expect(places(verifyRuleSet(rs, schema))).toEqual([
      ['RULE_INVALID_CONDITION', "rules[0] (rule 'R01') conditions.all[0]"],
      ['RULE_INVALID_CONDITION', "rules[0] (rule 'R01') conditions.all[2]"],
      ['RULE_INVALID_CONDITION', "rules[1] (rule 'R02') conditions.all[1].any"],
      ['RULE_INVALID_CONDITION', "rules[2] (rule 'R03') conditions.all[0]"],
      ['RULE_INVALID_CONDITION', "rules[3] (rule 'R04') conditions"],
      ['RULE_INVALID_CONDITION', "rules[4] (rule 'R05') conditions"],
    ]);
  });

  it('checks inside not, and refuses nesting deeper than 64', () => {
    const rs = copy();
    rs.rules[7].conditions = { not: { all: [{ fact: 'salary', operator: 'equal', value: 'x' }] } };
    expect(places(verifyRuleSet(rs, schema))).toEqual([
      ['RULE_UNKNOWN_FACT', "rules[7] (rule 'R08') conditions.not.all[0].fact"],
    ]);
    let deep: NestedCondition = { fact: 'duration', operator: 'greaterThan', value: 1 };
    for (let i = 0; i < 100; i++) deep = { all: [deep] };
    rs.rules[7].conditions = deep;
    const [issue, ...rest] = verifyRuleSet(rs, schema);
    expect(rest).toEqual([]);
    expect(issue!.code).toBe('RULE_INVALID_CONDITION');
    expect(issue!.field).toBe(`rules[7] (rule 'R08') conditions${'.all[0]'.repeat(64)}`);
  });

  it('INVALID_ARTIFACT for structural problems, naming the rule', () => {
    const rs = copy();
    rs.rules[1].name = ''; // unnamed: placed by index only
    rs.rules[2].event = undefined;
    rs.rules[3].event.type = 'other';
    rs.rules[4].event.params.ruleId = 'R99';
    rs.rules[5].priority = 0;
    rs.rules[6].name = 'R01'; // a duplicate name
    rs.rules[6].event.params.ruleId = 'R01';
    rs.rules[7].event.params.class = 3;
    rs.target = 'y';
    expect(places(verifyRuleSet(rs, schema))).toEqual([
      ['INVALID_ARTIFACT', 'target'],
      ['INVALID_ARTIFACT', 'rules[1] name'],
      ['INVALID_ARTIFACT', 'rules[1] event.params.ruleId'],
      ['INVALID_ARTIFACT', "rules[2] (rule 'R03') event"],
      ['INVALID_ARTIFACT', "rules[3] (rule 'R04') event.type"],
      ['INVALID_ARTIFACT', "rules[4] (rule 'R05') event.params.ruleId"],
      ['INVALID_ARTIFACT', "rules[5] (rule 'R06') priority"],
      ['INVALID_ARTIFACT', "rules[6] (rule 'R01') name"],
      ['INVALID_ARTIFACT', "rules[7] (rule 'R08') event.params.class"],
    ]);
  });

  it('refuses the params of the issue: confidence "high", probabilities {bad: -7, evil: 2}', () => {
    const rs = copy();
    rs.rules[3].event.params.confidence = 'high';
    rs.rules[3].event.params.probabilities = { bad: -7, evil: 2 };
    const issues = verifyRuleSet(rs, schema, 'rules/german-credit/distilled.rules.json');
    expect(places(issues)).toEqual([
      ['RULE_INVALID_PARAMS', "rules[3] (rule 'R04') event.params.probabilities.bad"],
      ['RULE_UNKNOWN_CLASS', "rules[3] (rule 'R04') event.params.probabilities.evil"],
      ['RULE_INVALID_PARAMS', "rules[3] (rule 'R04') event.params.probabilities"], // no 'good'
      ['RULE_INVALID_PARAMS', "rules[3] (rule 'R04') event.params.confidence"],
    ]);
    expect(issues[2]!.message).toContain("'good'");
    expect(issues.every((i) => i.file === 'rules/german-credit/distilled.rules.json')).toBe(true);
  });

  it.each([
    ['probabilities', undefined, 'probabilities'],
    ['probabilities', null, 'probabilities'],
    ['probabilities', [0.5, 0.5], 'probabilities'],
    ['probabilities', { bad: 0.5, good: '0.5' }, 'probabilities.good'],
    ['probabilities', { bad: 1.5, good: -0.5 }, 'probabilities.bad'], // and .good
    ['probabilities', { bad: Infinity, good: 0 }, 'probabilities.bad'],
    ['probabilities', { bad: NaN, good: 1 }, 'probabilities.bad'],
    ['probabilities', { bad: 0.5, good: 0.2 }, 'probabilities'], // sums to 0.7
    ['probabilities', { bad: 0.5, good: 0.5015 }, 'probabilities'], // 1.0015: too far off
    ['support', undefined, 'support'],
    ['support', -1, 'support'],
    ['support', 1.5, 'support'],
    ['support', '18', 'support'],
    ['support', null, 'support'],
    ['support', Infinity, 'support'],
    ['confidence', 1.2, 'confidence'],
    ['confidence', -0.1, 'confidence'],
    ['confidence', '0.7', 'confidence'],
    ['confidence', NaN, 'confidence'],
    ['validationFidelity', 2, 'validationFidelity'],
    ['validationFidelity', false, 'validationFidelity'],
    ['source', 'override', 'source'], // would hide the rule from the gap and overlap checks
    ['source', undefined, 'source'],
    ['reason', 3, 'reason'],
    ['confidance', 0.7, 'confidance'], // an unknown key
  ])('RULE_INVALID_PARAMS: %s = %p', (key, value, field) => {
    const rs = copy();
    rs.rules[5].event.params[key] = value; // R06
    const issues = verifyRuleSet(rs, schema);
    expect(issues.length).toBeGreaterThan(0);
    expect(places(issues)[0]).toEqual([
      'RULE_INVALID_PARAMS',
      `rules[5] (rule 'R06') event.params.${field}`,
    ]);
    expect(issues.every((i) => i.code === 'RULE_INVALID_PARAMS')).toBe(true);
  });

  it('suggests the key meant by an unknown param, and quotes keys that are not plain names', () => {
    const rs = copy();
    rs.rules[0].event.params.confidance = 0.7;
    rs.rules[0].event.params.probabilities['not a class'] = 0;
    const issues = verifyRuleSet(rs, schema);
    expect(places(issues)).toEqual([
      ['RULE_UNKNOWN_CLASS', `rules[0] (rule 'R01') event.params.probabilities["not a class"]`],
      ['RULE_INVALID_PARAMS', "rules[0] (rule 'R01') event.params.confidance"],
    ]);
    expect(issues[1]!.message).toContain("did you mean 'confidence'?");
  });

  it('accepts what distillation writes and a careful hand edit', () => {
    const rs = copy();
    const params = rs.rules[6].event.params;
    params.confidence = null; // no training record in the region
    delete params.validationFidelity;
    params.reason = 'boundary set by the credit committee';
    params.support = 0;
    params.probabilities = { bad: 0.5005, good: 0.5005 }; // hand-rounded: 1.001
    rs.rules[7].event.params.probabilities = { bad: 0, good: 1 };
    // Probabilities need not favour the class an auditor gives the region.
    rs.rules[7].event.params.class = 'bad';
    expect(places(verifyRuleSet(rs, schema))).toEqual([]);
  });

  it('INVALID_ARTIFACT for a priority other than 1: a distilled rule must not outrank overrides', () => {
    for (const priority of [2, 100, 1.5, '1']) {
      const rs = copy();
      rs.rules[2].priority = priority;
      expect(places(verifyRuleSet(rs, schema))).toEqual([
        ['INVALID_ARTIFACT', "rules[2] (rule 'R03') priority"],
      ]);
    }
  });

  it("names a rule's priority, a condition and a probability by a structured path too", () => {
    const rs = copy();
    rs.rules[2].priority = 2;
    rs.rules[2].conditions.all[1].fact = 'ag';
    rs.rules[4].event.params.probabilities['Iris-setosa'] = 0;
    expect(verifyRuleSet(rs, schema).map((i) => [i.field, i.path])).toEqual([
      ["rules[2] (rule 'R03') priority", ['rules', 2, 'priority']],
      [
        "rules[2] (rule 'R03') conditions.all[1].fact",
        ['rules', 2, 'conditions', 'all', 1, 'fact'],
      ],
      [
        `rules[4] (rule 'R05') event.params.probabilities["Iris-setosa"]`,
        ['rules', 4, 'event', 'params', 'probabilities', 'Iris-setosa'],
      ],
    ]);
  });

  it('INVALID_ARTIFACT when rules is empty or not an array, or a rule is not an object', () => {
    for (const rules of [[], undefined, {}]) {
      const rs = copy();
      rs.rules = rules as never;
      expect(places(verifyRuleSet(rs, schema))).toEqual([['INVALID_ARTIFACT', 'rules']]);
    }
    const rs = copy();
    rs.rules[1] = null;
    expect(places(verifyRuleSet(rs, schema))).toEqual([['INVALID_ARTIFACT', 'rules[1]']]);
  });

  it('collects every issue; checkRuleSet throws them together, the first giving code and place', () => {
    const rs = copy();
    rs.rules[3].event.params.class = 'foo';
    rs.rules[0].conditions.all[1].any[0].fact = 'duraton';
    const e = catchError(() => checkRuleSet(rs, schema, 'f.json'));
    expect([e.code, e.field, e.file]).toEqual([
      'RULE_UNKNOWN_FACT',
      "rules[0] (rule 'R01') conditions.all[1].any[0].fact",
      'f.json',
    ]);
    expect(places(e.issues)).toEqual([
      ['RULE_UNKNOWN_FACT', "rules[0] (rule 'R01') conditions.all[1].any[0].fact"],
      ['RULE_UNKNOWN_CLASS', "rules[3] (rule 'R04') event.params.class"],
    ]);
  });

  // What verify accepts, the region analysis and the compiled evaluator can run.
  it('a rule set it accepts is one the region analysis and the compiled evaluator handle', () => {
    const levelsOf = (name: string) => {
      const f = schema.features.find((x) => x.name === name)!;
      return f.type === 'categorical' ? f.levels : [];
    };
    const value = fc.oneof(
      fc.constantFrom<unknown>(null, 3, 23.5, -1, '23', 'radio/tv', '<0', 'nope', true, NaN),
      fc.constantFrom(...levelsOf('purpose'), ...levelsOf('checking_status')),
      fc.array(fc.constantFrom<unknown>(null, 1, 'radio/tv', '<0', 'x'), { maxLength: 3 }),
    );
    const comparison = fc.record({
      fact: fc.constantFrom('duration', 'purpose', 'checking_status', 'credit_amount', 'nope'),
      operator: fc.constantFrom(
        'lessThan',
        'greaterThanInclusive',
        'equal',
        'notEqual',
        'in',
        'notIn',
        'contains',
      ),
      value,
    });
    const { node } = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { maxDepth: 3, depthSize: 'small' },
        comparison,
        fc.record({ all: fc.array(tie('node'), { maxLength: 3 }) }),
        fc.record({ any: fc.array(tie('node'), { maxLength: 3 }) }),
        fc.record({ not: tie('node') }),
      ),
    }));
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ all: fc.array(node, { maxLength: 3 }) }), {
          minLength: 1,
          maxLength: 3,
        }),
        (tops) => {
          const rs = copy();
          rs.rules = tops.map((conditions, i) => ({ ...rs.rules[i], conditions }));
          if (verifyRuleSet(rs, schema).length) return;
          accepted++;
          for (const r of rs.rules) regionOf(r.conditions, schema, r.name);
          compileRuleSet(rs);
        },
      ),
      { numRuns: 400 },
    );
    expect(accepted).toBeGreaterThan(20);
  });
});

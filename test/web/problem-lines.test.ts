import type { StudioProblem } from '../../src/studio/contract';
import { exampleRows, problemLines } from '../../src/web/studio/problem-lines';

const problem = (over: Partial<StudioProblem>): StudioProblem => ({
  code: 'UNKNOWN_FEATURE',
  message: "unknown feature 'agee'",
  file: 'policy.yaml',
  line: 3,
  column: 5,
  severity: 'error',
  ...over,
});

describe('the problems list', () => {
  test("rules lint's lines, each problem's classed by its severity and code", () => {
    const p = problem({});
    const lines = ["/rules/m/overrides/policy.yaml:3:5 UNKNOWN_FEATURE unknown feature 'agee'"];
    expect(problemLines([p], lines)).toEqual([
      { text: lines[0], kind: 'error', code: 'UNKNOWN_FEATURE', problem: p, details: [] },
    ]);
  });

  test('with the folder given, a file is named by its name (in messages too); the summary keeps the folder', () => {
    const p = problem({ code: 'OVERRIDE_CONFLICT', line: 9, column: 3 });
    const lines = [
      "/r/m/overrides/policy.yaml:9:3 OVERRIDE_CONFLICT 'b' and 'a' (bad, /r/m/overrides/policy.yaml:3) both match",
      'rules lint: 2 overrides in /r/m/overrides; 1 error(s), 0 warning(s)',
    ];
    expect(problemLines([p], lines, '/r/m/overrides').map((l) => l.text)).toEqual([
      "policy.yaml:9:3 OVERRIDE_CONFLICT 'b' and 'a' (bad, policy.yaml:3) both match",
      lines[1],
    ]);
  });

  test('errors first, then warnings, each in file order, then the summary', () => {
    const dead = problem({ code: 'OVERRIDE_DEAD', severity: 'warning', line: 3, column: 3 });
    const conflict = problem({ code: 'OVERRIDE_CONFLICT', line: 20, column: 3 });
    const shadowed = problem({ code: 'OVERRIDE_SHADOWED', severity: 'warning', line: 30 });
    const lines = [
      '/d/policy.yaml:3:3 OVERRIDE_DEAD x',
      '/d/policy.yaml:20:3 OVERRIDE_CONFLICT y',
      '/d/policy.yaml:30:5 OVERRIDE_SHADOWED z',
      'rules lint: 3 overrides in /d; 1 error(s), 2 warning(s)',
    ];
    const listed = problemLines([dead, conflict, shadowed], lines);
    expect(listed.map((l) => [l.kind, l.code, l.problem?.line])).toEqual([
      ['error', 'OVERRIDE_CONFLICT', 20],
      ['warning', 'OVERRIDE_DEAD', 3],
      ['warning', 'OVERRIDE_SHADOWED', 30],
      ['summary', undefined, undefined],
    ]);
  });

  test("a finding's example line gives way to its example; other detail lines stay with it", () => {
    const withExample = problem({ code: 'OVERRIDE_DEAD', example: { age: 3 }, fields: ['age'] });
    const without = problem({ code: 'OVERRIDE_REDUNDANT', line: 9 });
    const lines = [
      '/d/policy.yaml:3:5 OVERRIDE_DEAD x',
      '  example: {"age":3}',
      '/d/policy.yaml:9:5 OVERRIDE_REDUNDANT y',
      '  example: {"age":4}',
    ];
    const listed = problemLines([withExample, without], lines);
    expect(listed.map((l) => l.details)).toEqual([[], ['  example: {"age":4}']]);
  });

  test('a problem the lines lack gets a line of its own', () => {
    const warning = problem({ code: 'DEAD_OVERRIDE', severity: 'warning', file: null, line: null });
    expect(problemLines([warning], [])).toEqual([
      {
        text: "DEAD_OVERRIDE unknown feature 'agee'",
        kind: 'warning',
        code: 'DEAD_OVERRIDE',
        problem: warning,
        details: [],
      },
    ]);
  });
});

describe("a finding's example record", () => {
  test('the features the override reads, in its order, then the rest; null is missing', () => {
    const p = problem({
      example: { age: 17, housing: 'own', credit_amount: null, duration: 12 },
      fields: ['credit_amount', 'age'],
    });
    expect(exampleRows(p)).toEqual({
      read: [
        { feature: 'credit_amount', value: 'missing' },
        { feature: 'age', value: '17' },
      ],
      rest: [
        { feature: 'housing', value: 'own' },
        { feature: 'duration', value: '12' },
      ],
    });
    expect(exampleRows(problem({}))).toBeNull();
  });
});

import type { StudioProblem } from '../../src/studio/contract';
import { problemLines } from '../../src/web/studio/problem-lines';

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
    const lines = [
      "/rules/m/overrides/policy.yaml:3:5 UNKNOWN_FEATURE unknown feature 'agee'",
      '  example: { age: 3 }',
      '1 error',
    ];
    expect(problemLines([problem({})], lines)).toEqual([
      { text: lines[0], kind: 'error', code: 'UNKNOWN_FEATURE' },
      { text: lines[1], kind: 'detail' },
      { text: lines[2], kind: 'summary' },
    ]);
  });

  test('a problem the lines lack gets a line of its own', () => {
    const warning = problem({ code: 'DEAD_OVERRIDE', severity: 'warning', file: null, line: null });
    expect(problemLines([warning], [])).toEqual([
      { text: "DEAD_OVERRIDE unknown feature 'agee'", kind: 'warning', code: 'DEAD_OVERRIDE' },
    ]);
  });
});

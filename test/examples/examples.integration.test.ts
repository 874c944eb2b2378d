/**
 * Runs every script in examples/ through its exported `main()` (the folder is listed, so a
 * new example is run without being named here) and checks what it returns and prints.
 * `neurules` resolves to src/index.ts (moduleNameMapper in jest.config.js), as the
 * package's own name does for a user.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const EXAMPLES = path.join(ROOT, 'examples');
const files = fs
  .readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.ts'))
  .sort();

interface DecisionLike {
  class: string;
  ruleId: string;
  source: string;
}

/** What an example must show beyond running and printing, by file name. */
const CHECKS: Record<string, (result: never, printed: string) => void> = {
  '01-build-and-decide.ts': (
    r: { rules: number; fidelity: number; decision: DecisionLike },
    printed,
  ) => {
    expect(r.rules).toBeGreaterThanOrEqual(2);
    expect(r.rules).toBeLessThanOrEqual(6);
    expect(r.fidelity).toBeGreaterThan(0.8);
    expect(r.decision.class).toBe('virginica');
    expect(printed).toMatch(/^ {2}R01 {2}.+ → (setosa|versicolor|virginica)$/m);
    expect(printed).toContain(`virginica (rule ${r.decision.ruleId})`);
  },
  '02-explain-a-decision.ts': (
    r: {
      decision: DecisionLike;
      network: { class: string; agrees: boolean };
      counterfactuals: { class: string; ruleId: string }[];
    },
    printed,
  ) => {
    expect([r.decision.class, r.decision.ruleId]).toEqual(['bad', 'R06']);
    // The bundled model's network reads this applicant as good: explain says they disagree.
    expect(r.network).toMatchObject({ class: 'good', agrees: false });
    expect(r.counterfactuals.length).toBeGreaterThan(0);
    // Each counterfactual, applied, is decided as it says.
    for (const c of r.counterfactuals)
      expect(printed).toContain(`the rules decide ${c.class} (rule ${c.ruleId})`);
  },
  '03-overrides.ts': (
    r: {
      problems: { ok: boolean; problems: { code: string; line: number; column: number }[] };
      lint: { ok: boolean; findings: { code: string; ids: string[] }[] };
      passed: number;
      decision: DecisionLike;
      impact: { changed: number; items: { id: string; fires: number; changed: number }[] };
    },
    printed,
  ) => {
    expect(r.problems.ok).toBe(false);
    expect(r.problems.problems).toMatchObject([{ code: 'UNKNOWN_FEATURE', line: 5, column: 5 }]);
    expect(printed).toMatch(
      /^rules\/german-credit\/overrides\/term-policy\.yaml:5:5 UNKNOWN_FEATURE /m,
    );
    expect(r.lint.ok).toBe(true);
    expect(r.lint.findings.map((f) => f.code)).not.toContain('OVERRIDE_CONFLICT');
    expect(r.passed).toBe(4); // the three shipped examples and the new one
    expect(r.decision).toMatchObject({
      class: 'bad',
      ruleId: 'young-long-loans',
      source: 'override',
    });
    const item = r.impact.items.find((i) => i.id === 'young-long-loans')!;
    expect(item.fires).toBeGreaterThan(0);
    expect(item.changed).toBeGreaterThan(0);
    expect(r.impact.items.reduce((n, i) => n + i.changed, 0)).toBe(r.impact.changed);
    expect(printed).toMatch(/^young-long-loans +bad +\d+ +\d+ /m);
  },
  '04-audit-report.ts': (
    r: {
      report: {
        data: { records: number };
        rules: { hits: number }[];
        quality: { fidelity: { value: number; low: number; high: number } };
      };
      markdown: string;
    },
    printed,
  ) => {
    expect(r.report.rules).toHaveLength(11); // 8 distilled rules and 3 overrides
    expect(r.report.rules.reduce((n, x) => n + x.hits, 0)).toBe(r.report.data.records);
    const { value, low, high } = r.report.quality.fidelity;
    expect(low).toBeLessThan(value);
    expect(high).toBeGreaterThan(value);
    expect(r.markdown).toContain('## Rules');
    expect(printed).toContain(`fidelity ${value.toFixed(3)} (95% CI`);
  },
  '05-compiled-vs-json-rules-engine.ts': (r: { records: number; same: number }, printed) => {
    expect(r.records).toBe(1000);
    expect(r.same).toBe(r.records);
    expect(printed).toContain('1000 of 1000 records: the same rule and class from both');
  },
  '06-perception.ts': (
    r: {
      conceptAccuracy: number;
      rules: number;
      rulesAccuracy: number;
      routed: { route: string; trueRoute: string }[];
      explanation: {
        perceived?: Record<
          string,
          { value: string; confidence: number; perceivedAs?: { value: string } }
        >;
      };
    },
    printed,
  ) => {
    expect(r.conceptAccuracy).toBeGreaterThan(0.9);
    expect(r.rules).toBeGreaterThanOrEqual(5); // the generator's five routes
    expect(r.rules).toBeLessThanOrEqual(16);
    expect(r.rulesAccuracy).toBeGreaterThan(0.9);
    expect(printed).toMatch(/^ {2}R01 {2}.*postcode.* → (air|east|freight|north|south)$/m);
    // The new parcels, decided from their image files: most as the generator routes them.
    expect(r.routed).toHaveLength(30);
    expect(r.routed.filter((p) => p.route === p.trueRoute).length).toBeGreaterThanOrEqual(25);
    // The explained parcel's postcode was set by a person; what the network read is kept.
    const postcode = r.explanation.perceived!['postcode']!;
    expect(postcode.confidence).toBe(1);
    expect(printed).toContain(
      `postcode set to ${postcode.value} (perceived as ${postcode.perceivedAs!.value} at `,
    );
  },
};

describe('examples/', () => {
  it('holds numbered examples only', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) expect(f).toMatch(/^\d\d-[a-z0-9-]+\.ts$/);
  });

  it.each(files)('%s runs and shows what it says', async (file) => {
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.join(' '));
    });
    let result: unknown;
    try {
      const example = require(path.join(EXAMPLES, file)) as { main: () => Promise<unknown> };
      result = await example.main();
    } finally {
      log.mockRestore();
    }
    const printed = lines.join('\n');
    expect(printed).not.toBe('');
    CHECKS[file]?.(result as never, printed);
    // Examples write only into temporary directories.
    expect(fs.readdirSync(path.join(ROOT, 'models'))).toEqual(['german-credit']);
    expect(fs.readdirSync(path.join(ROOT, 'rules', 'german-credit', 'overrides'))).toEqual([
      'credit-policy.yaml',
    ]);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/main';
import type { AuditReport } from '../../src/audit/types';
import { writeDecisionLog } from '../helpers/decision-log';
import { runCli } from '../helpers/run-cli';
import { copyGermanCredit } from '../helpers/german-credit';

const root = path.join(__dirname, '..', '..');
let dir: string;
/** A copy of the committed German credit model and rules, so a test may add files. */
const dirs = () => [
  '--models-dir',
  path.join(dir, 'models'),
  '--rules-dir',
  path.join(dir, 'rules'),
];
const overridesDir = () => path.join(dir, 'rules', 'german-credit', 'overrides');

/** `neurules audit` on the copied model (cpu backend) with extra options. */
const audit = (...options: string[]) =>
  runCli(['audit', '--model', 'german-credit', '--backend', 'cpu', ...options, ...dirs()]);

/** The JSON audit report of the copied model (no log). */
async function plainReport(): Promise<AuditReport> {
  const out = path.join(dir, 'plain.json');
  const r = await audit('--out', out);
  if (r.code !== EXIT.ok) throw new Error(r.stderr);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as AuditReport;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-audit-'));
  copyGermanCredit(dir);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('neurules rules lint', () => {
  it('a broken file: one FILE:LINE:COLUMN CODE line per problem, in file order, exit 2', async () => {
    const file = path.join(overridesDir(), 'broken.yaml');
    fs.writeFileSync(
      file,
      [
        '- id: young-declined',
        '  when:',
        "    ag: { '<': 21 }",
        '  then: { class: rejected }',
        '- id: long-loans',
        '  when:',
        '    duration: { greaterThen: 60 }',
        '  then: { class: bad }',
      ].join('\n') + '\n',
    );
    const r = await runCli(['rules', 'lint', '--model', 'german-credit', ...dirs()]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${file}:3:5 UNKNOWN_FEATURE .*did you mean 'age'`)),
      expect.stringMatching(new RegExp(`^${file}:4:18 UNKNOWN_CLASS `)),
      expect.stringMatching(new RegExp(`^${file}:7:17 UNKNOWN_OPERATOR .*greaterThan`)),
    ]);
  });

  it('analysis: a conflict is an error (exit 2) with both ids and an example record', async () => {
    fs.copyFileSync(
      path.join(root, 'test', 'fixtures', 'overrides', 'lint', 'override-conflict.yaml'),
      path.join(overridesDir(), 'z-conflict.yaml'),
    );
    const r = await runCli(['rules', 'lint', '--model', 'german-credit', ...dirs()]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stdout).toMatch(
      /z-conflict\.yaml:9:3 OVERRIDE_CONFLICT 'small-loans-approved' \(good\) and 'young-renters-declined'/,
    );
    expect(r.stdout).toMatch(/^ {2}example: \{"checking_status":/m);
    expect(r.stdout).toMatch(/rules lint: 5 overrides .* 1 error\(s\)/);
  });

  it('--json: the same problems and findings as data, the same exit codes', async () => {
    fs.copyFileSync(
      path.join(root, 'test', 'fixtures', 'overrides', 'lint', 'override-conflict.yaml'),
      path.join(overridesDir(), 'z-conflict.yaml'),
    );
    const r = await runCli(['rules', 'lint', '--model', 'german-credit', '--json', ...dirs()]);
    expect(r.code).toBe(EXIT.usage);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.judgedOn).toMatchObject({ records: 550, source: 'split' });
    expect(out.findings.map((f: { code: string; ids: string[] }) => [f.code, f.ids[0]])).toEqual([
      ['OVERRIDE_DEAD', 'minors-declined'],
      // age < 18: below every training applicant's age.
      ['VALUE_OUT_OF_RANGE', 'minors-declined'],
      ['OVERRIDE_DEAD', 'guarantor-education'],
      // small-loans-approved (credit_amount < 1500 → good, priority 60) now covers it.
      ['OVERRIDE_SHADOWED', 'guarantor-education'],
      ['OVERRIDE_CONFLICT', 'small-loans-approved'],
    ]);
    fs.writeFileSync(
      path.join(overridesDir(), 'a-bad.yaml'),
      '- id: x\n  when: {}\n  then: { class: bad }\n',
    );
    const bad = JSON.parse(
      (await runCli(['rules', 'lint', '--model', 'german-credit', '--json', ...dirs()])).stdout,
    );
    expect(bad.problems.map((p: { code: string; line: number }) => [p.code, p.line])).toEqual([
      ['EMPTY_WHEN', 2],
    ]);
  });

  it('the shipped overrides: warnings only (dead on the training data), exit 0', async () => {
    const r = await runCli(['rules', 'lint', '--model', 'german-credit', ...dirs()]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/credit-policy\.yaml:3:3 OVERRIDE_DEAD 'minors-declined'/);
    expect(r.stdout).toMatch(
      /0 error\(s\), \d+ warning\(s\); judged on 550 records \(training split\)/,
    );
  });

  describe('suspicious values', () => {
    const POLICY = [
      '- id: young-large-loans-declined',
      '  when:',
      "    age: { '<': 30 }",
      "    credit_amount: { '>': 8.000 }",
      '  then: { class: bad }',
      '  priority: 120',
      '',
    ].join('\n');

    it("'8.000' is a LOCALE_NUMBER warning at FILE:LINE:COLUMN of the number; warnings only, exit 0", async () => {
      const file = path.join(overridesDir(), 'young.yaml');
      fs.writeFileSync(file, POLICY);
      const r = await runCli(['rules', 'lint', '--model', 'german-credit', ...dirs()]);
      expect(r.code).toBe(EXIT.ok);
      // Line 4, column 27: where `8.000` starts.
      expect(r.stdout).toMatch(new RegExp(`^${file}:4:27 LOCALE_NUMBER .*8000`, 'm'));
      expect(r.stdout).toMatch(/0 error\(s\), \d+ warning\(s\)/);
    });

    it('--json: the warning as a finding with its code, severity, place and override', async () => {
      const file = path.join(overridesDir(), 'young.yaml');
      fs.writeFileSync(file, POLICY);
      const r = await runCli(['rules', 'lint', '--model', 'german-credit', '--json', ...dirs()]);
      expect(r.code).toBe(EXIT.ok);
      const found = (
        JSON.parse(r.stdout) as { findings: Record<string, unknown>[] }
      ).findings.filter((f) => f.file === file);
      expect(found).toEqual([
        expect.objectContaining({
          code: 'LOCALE_NUMBER',
          severity: 'warning',
          line: 4,
          column: 27,
          field: 'credit_amount',
          ids: ['young-large-loans-declined'],
        }),
      ]);
    });
  });
});

describe('neurules explain with overrides and counterfactuals', () => {
  it('an override decision shows the override, its reason, the distilled answer and counterfactuals', async () => {
    const record = {
      checking_status: 'no checking',
      duration: 48,
      credit_history: 'existing paid',
      purpose: 'used car',
      credit_amount: 18000,
      savings_status: '>=1000',
      employment: '>=7',
      installment_commitment: 2,
      personal_status: 'male single',
      other_parties: 'none',
      residence_since: 4,
      property_magnitude: 'real estate',
      age: 45,
      other_payment_plans: 'none',
      housing: 'own',
      existing_credits: 1,
      job: 'skilled',
      num_dependents: 1,
      own_telephone: 'yes',
      foreign_worker: 'yes',
    };
    const args = ['explain', '--model', 'german-credit', '--backend', 'cpu', ...dirs()];
    const text = await runCli([...args, '--record', JSON.stringify(record)]);
    expect(text.code).toBe(EXIT.ok);
    expect(text.stdout).toMatch(
      /decision: bad {2}\(override exposure-limit: Exposure limit for long, large loans\)/,
    );
    expect(text.stdout).toMatch(/without overrides: good {2}\(rule R\d+/);
    expect(text.stdout).toMatch(
      /counterfactuals .*\n {2}1\. (duration 48 → 36|credit_amount 18000 → 15000)/,
    );
    const json = JSON.parse(
      (await runCli([...args, '--record', JSON.stringify(record), '--json'])).stdout,
    );
    expect(json.override).toMatchObject({ id: 'exposure-limit', distilled: { class: 'good' } });
    expect(json.counterfactuals[0].class).toBe('good');
    // Age is immutable in the committed schema: no counterfactual changes it.
    for (const c of json.counterfactuals)
      for (const x of c.changes) expect(x.feature).not.toBe('age');
  });
});

describe('neurules audit', () => {
  it('writes HTML, Markdown and JSON reports whose figures agree with each other', async () => {
    const out = (ext: string) => path.join(dir, `report.${ext}`);
    const args = ['audit', '--model', 'german-credit', '--backend', 'cpu', ...dirs()];
    const json = await runCli([...args, '--out', out('json')]);
    expect(json.code).toBe(EXIT.ok);
    expect(json.stderr).toMatch(/fidelity 0\.\d{3} \(95% CI 0\.\d{3}–0\.\d{3}\)/);
    const report = JSON.parse(fs.readFileSync(out('json'), 'utf8')) as AuditReport;
    expect(report.format).toBe('neurules.audit');
    expect(report.data.records).toBe(300);
    const f = report.quality.fidelity;
    expect(f.low).toBeLessThan(f.value);
    expect(f.high).toBeGreaterThan(f.value);
    expect(report.rules.reduce((s, r) => s + r.hits, 0)).toBe(300);
    expect(report.overrides.items.map((o) => o.id)).toEqual([
      'minors-declined',
      'exposure-limit',
      'guarantor-education',
    ]);
    expect((await runCli([...args, '--out', out('html')])).code).toBe(EXIT.ok);
    expect((await runCli([...args, '--out', out('md')])).code).toBe(EXIT.ok);
    const html = fs.readFileSync(out('html'), 'utf8');
    const md = fs.readFileSync(out('md'), 'utf8');
    const shown = `${f.value.toFixed(3)} (95% CI ${f.low.toFixed(3)}–${f.high.toFixed(3)}`;
    expect(html).toContain(shown);
    expect(md).toContain(shown);
    expect(html).toContain('<svg id="tree"');
  });

  it('with --log: drift per rule from the decision log; bad lines are counted, not fatal', async () => {
    const model = await plainReport();
    const hash = model.model.ruleSetHash;
    // A log where one rule takes 80% of the decisions: far above its training share.
    const top = model.rules.find((r) => r.source === 'distilled' && r.hitShare < 0.5)!;
    const other = model.rules.find((r) => r.source === 'distilled' && r.id !== top.id)!;
    const lines: Parameters<typeof writeDecisionLog>[1] = [];
    for (let i = 0; i < 200; i++) {
      const time = new Date(Date.UTC(2026, 10, 1) + i * 3600_000).toISOString();
      const rule = i % 5 === 0 ? other : top;
      lines.push({ time, ruleSet: hash, ruleId: rule.id, class: rule.class });
    }
    lines.push('{"time": "broken');
    lines.push({ time: new Date().toISOString(), ruleSet: 'another', ruleId: 'R01', class: 'bad' });
    const log = path.join(dir, 'decisions.jsonl');
    writeDecisionLog(log, lines);
    const out = path.join(dir, 'drift.json');
    const r = await audit('--log', log, '--out', out);
    expect(r.code).toBe(EXIT.ok);
    const drift = (JSON.parse(fs.readFileSync(out, 'utf8')) as AuditReport).drift!;
    expect(drift.decisions).toBe(200);
    expect([drift.skipped, drift.unreadable, drift.otherRuleSets]).toEqual([2, 1, 1]);
    expect(drift.warnings).toEqual([
      expect.stringMatching(/^1 decision\(s\) made by other rule sets/),
      '1 unreadable line(s) (first at line 201) left out',
    ]);
    expect(drift.buckets.reduce((s, b) => s + b.total, 0)).toBe(200);
    const topRow = drift.rules.find((x) => x.id === top.id)!;
    expect(topRow.logShare).toBeCloseTo(0.8, 6);
    expect(topRow.drifted).toBe(true);
    expect(topRow.z).toBeGreaterThan(3);
  });

  it('a log with no decision of this rule set is NO_DECISIONS; a short one flags no drift', async () => {
    const log = path.join(dir, 'decisions.jsonl');
    const withLog = (out: string) => audit('--log', log, '--out', path.join(dir, out));
    fs.writeFileSync(log, 'not json\n{"time": 1}\n');
    const bad = await withLog('bad.json');
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/NO_DECISIONS .*2 unreadable line\(s\) \(first at line 1\)/);
    expect(fs.existsSync(path.join(dir, 'bad.json'))).toBe(false);

    const report = await plainReport();
    const rule = report.rules.find((r) => r.id === 'exposure-limit')!;
    const time = new Date().toISOString();
    writeDecisionLog(log, [
      { time, ruleSet: report.model.ruleSetHash, ruleId: rule.id, class: rule.class },
    ]);
    expect((await withLog('short.json')).code).toBe(EXIT.ok);
    const drift = (JSON.parse(fs.readFileSync(path.join(dir, 'short.json'), 'utf8')) as AuditReport)
      .drift!;
    expect(drift.rules.some((r) => r.drifted)).toBe(false);
    expect(drift.warnings[0]).toMatch(
      /^only 1 decision\(s\) of this rule set: too few to judge drift/,
    );
  });
});

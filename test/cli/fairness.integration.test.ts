import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/main';
import type { AuditReport } from '../../src/audit/types';
import type { Schema } from '../../src/data/types';
import { loadModel } from '../../src/artifacts/model-store';
import { runCli } from '../helpers/run-cli';
import { copyGermanCredit } from '../helpers/german-credit';

const root = path.join(__dirname, '..', '..');
let dir: string;
const dirs = () => [
  '--models-dir',
  path.join(dir, 'models'),
  '--rules-dir',
  path.join(dir, 'rules'),
];

/** `neurules audit` of the copied German credit model (cpu backend) with extra options. */
const audit = (...options: string[]) =>
  runCli(['audit', '--model', 'german-credit', '--backend', 'cpu', ...options, ...dirs()]);

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-fairness-'));
  copyGermanCredit(dir);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('neurules audit --protected', () => {
  it('--fail-on-disparity: writes the report, then exits 1 naming each group below the ratio', async () => {
    const out = path.join(dir, 'fair.txt');
    const r = await audit(
      '--protected',
      'age,personal_status',
      '--bands',
      'age=25,35,50',
      '--fail-on-disparity',
      '0.99',
      '--format',
      'json',
      '--out',
      out,
    );
    expect(r.code).toBe(EXIT.failure);
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as AuditReport;
    const fair = report.fairness!;
    expect(fair.from).toBe('option');
    expect(fair.favourable).toBeNull();
    expect(fair.checked).toEqual(['bad', 'good']);
    expect(fair.features.map((f) => [f.name, f.grouping])).toEqual([
      ['age', 'bands'],
      ['personal_status', 'levels'],
    ]);
    const [age, status] = fair.features;
    expect(age!.groups.map((g) => g.name)).toEqual(['< 25', '25 to < 35', '35 to < 50', '≥ 50']);
    expect(status!.groups.map((g) => g.name)).toEqual([
      'male single',
      'female div/dep/mar',
      'male div/sep',
      'male mar/wid',
    ]);
    // Every evaluated record is in one group of each feature; the groups' decisions are the rules'.
    for (const f of fair.features) {
      expect(f.groups.reduce((s, g) => s + g.records, 0)).toBe(300);
      const decided = f.groups.reduce((s, g) => s + g.decided.good!, 0);
      expect(decided).toBe(report.quality.confusion.rules.reduce((s, row) => s + row[1]!, 0));
      expect(Math.max(...f.groups.map((g) => g.ratios.good!))).toBe(1);
    }
    // age is read by the minors-declined override; personal_status by nothing.
    expect(age!.readBy.overrides).toEqual(['minors-declined']);
    expect(status!.readBy).toEqual({ rules: [], overrides: [] });
    // One stderr line per ratio below 0.99: feature, group, class and ratio.
    const below = fair.features.flatMap((f) =>
      f.groups.flatMap((g) =>
        fair.checked.filter((c) => g.ratios[c]! < 0.99).map((c) => [f.name, g.name, c]),
      ),
    );
    expect(below.length).toBeGreaterThan(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('disparity: '));
    expect(
      lines.map((l) =>
        /^disparity: (\S+) '(.+)', class (\w+): ratio 0\.\d{3} below 0\.99 \(\d+ record\(s\)\)$/
          .exec(l)!
          .slice(1),
      ),
    ).toEqual(below);
    const low = fair.lowest!;
    expect(r.stderr).toContain(
      `; fairness: 2 protected feature(s), lowest ratio ${low.ratio.toFixed(3)} (${low.feature} ${low.group}, ${low.class})`,
    );
  });

  it('--favourable checks that class only; no group below the ratio is exit 0', async () => {
    const out = path.join(dir, 'fair.json');
    const r = await audit(
      '--protected',
      'age,personal_status',
      '--favourable',
      'good',
      '--fail-on-disparity',
      '0.8',
      '--out',
      out,
    );
    expect(r.stderr).not.toContain('disparity:');
    expect(r.code).toBe(EXIT.ok);
    const fair = (JSON.parse(fs.readFileSync(out, 'utf8')) as AuditReport).fairness!;
    expect(fair.checked).toEqual(['good']);
    expect(fair.lowest!.class).toBe('good');
    expect(fair.lowest!.ratio).toBeGreaterThanOrEqual(0.8);
    // Quartile bands by default, the first named from the youngest audited age.
    const age = fair.features[0]!;
    expect(age.grouping).toBe('quartiles');
    expect(age.cuts).toHaveLength(3);
    expect(age.groups[0]!.name).toMatch(/^\d+ to < \d+(\.\d+)?$/);
  });

  it('bad fairness options are coded errors naming the option, before anything is written', async () => {
    const out = path.join(dir, 'never.json');
    const cases: [string[], RegExp][] = [
      [['--protected', 'agee'], /^error UNKNOWN_FEATURE \[--protected\] .*did you mean 'age'\?/m],
      [['--protected', 'nosuch'], /^error UNKNOWN_FEATURE \[--protected\] .*found 'nosuch'/m],
      [
        ['--protected', 'age', '--bands', 'age=30,20'],
        /^error INVALID_BANDS \[--bands\] .*increasing/m,
      ],
      [['--protected', 'age', '--bands', 'purpose=1'], /^error INVALID_BANDS \[--bands\] /m],
      [
        ['--protected', 'age', '--favourable', 'goood'],
        /^error INVALID_ARGUMENT \[--favourable\] .*did you mean 'good'\?/m,
      ],
      [
        ['--protected', 'age', '--fail-on-disparity', '1.5'],
        /^error INVALID_ARGUMENT \[--fail-on-disparity\] .*found 1\.5/m,
      ],
      [
        ['--protected', 'age', '--fail-on-disparity', 'most'],
        /^error INVALID_ARGUMENT \[--fail-on-disparity\] .*found 'most'/m,
      ],
      [
        ['--favourable', 'good'],
        /^error INVALID_ARGUMENT \[--favourable\] .*expected protected features/m,
      ],
      [
        ['--protected', 'age', '--favourable', 'good', '--favourable', 'bad'],
        /^error INVALID_ARGUMENT \[--favourable\] .*given twice/m,
      ],
      [
        ['--protected', 'age', '--fail-on-disparity', '0x1'],
        /^error INVALID_ARGUMENT \[--fail-on-disparity\] .*found '0x1'/m,
      ],
      [
        ['--protected', 'age', '--fail-on-disparity', '1e-400'],
        /^error INVALID_ARGUMENT \[--fail-on-disparity\] .*found '1e-400'/m,
      ],
      [
        ['--protected', 'age', '--bands', 'age=25,Infinity'],
        /^error INVALID_BANDS \[--bands\] .*found 'Infinity'/m,
      ],
    ];
    for (const [options, message] of cases) {
      const r = await audit(...options, '--out', out);
      expect([options, r.code]).toEqual([options, EXIT.usage]);
      expect(r.stderr).toMatch(message);
      expect(fs.existsSync(out)).toBe(false);
    }
  });
});

describe('neurules build --protected', () => {
  it('an unknown feature is UNKNOWN_FEATURE, as --immutable, before training', async () => {
    const r = await runCli([
      'build',
      '--data',
      path.join(root, 'data', 'german-credit.csv'),
      '--protected',
      'agee',
      '--backend',
      'cpu',
      ...dirs(),
      '--name',
      'other',
    ]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(
      /^error UNKNOWN_FEATURE \[agee\] protected mark: .*did you mean 'age'\?/m,
    );
    expect(r.stderr).not.toContain('training network');
    expect(fs.existsSync(path.join(dir, 'models', 'other'))).toBe(false);
  });

  it("marks the schema; audit then reports the schema's protected features", async () => {
    const build = await runCli([
      'build',
      '--data',
      path.join(root, 'data', 'iris.csv'),
      '--protected',
      'petal_width,sepal_length',
      '--backend',
      'cpu',
      '--selection',
      'holdout',
      '--epochs',
      '30',
      '--sampling',
      'none',
      '--teacher-shaping',
      'off',
      ...dirs(),
    ]);
    expect(build.code).toBe(EXIT.ok);
    const loc = {
      modelsDir: path.join(dir, 'models'),
      rulesDir: path.join(dir, 'rules'),
      name: 'iris',
    };
    const schema = JSON.parse(
      fs.readFileSync(path.join(loadModel(loc).dir, 'schema.json'), 'utf8'),
    ) as Schema;
    expect(schema.features.filter((f) => f.protected).map((f) => f.name)).toEqual([
      'sepal_length',
      'petal_width',
    ]);
    const out = path.join(dir, 'iris.json');
    const args = ['audit', '--model', 'iris', '--backend', 'cpu', ...dirs(), '--out', out];
    expect((await runCli(args)).code).toBe(EXIT.ok);
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as AuditReport;
    expect(report.fairness!.from).toBe('schema');
    expect(report.fairness!.features.map((f) => f.name)).toEqual(['sepal_length', 'petal_width']);
    expect(report.data.features.filter((f) => f.protected).map((f) => f.name)).toEqual([
      'sepal_length',
      'petal_width',
    ]);
    // --protected given overrides the marks.
    expect((await runCli([...args, '--protected', 'sepal_width'])).code).toBe(EXIT.ok);
    const given = JSON.parse(fs.readFileSync(out, 'utf8')) as AuditReport;
    expect(given.fairness!.from).toBe('option');
    expect(given.fairness!.features.map((f) => f.name)).toEqual(['sepal_width']);
  });
});

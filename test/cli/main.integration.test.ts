import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, reportError } from '../../src/cli/main';
import { runCli } from '../helpers/run-cli';
import { sink } from '../helpers/sink';
import { loadModel } from '../../src/artifacts/model-store';
import { GERMAN_CREDIT } from '../helpers/german-credit';

const run = runCli;

const root = path.join(__dirname, '..', '..');
const committed = [
  '--models-dir',
  path.join(root, 'models'),
  '--rules-dir',
  path.join(root, 'rules'),
];

describe('neurules CLI', () => {
  it('prints help and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/build.*predict.*explain/s);
  });

  it('a bad option value is a usage error (exit 2) naming the option', async () => {
    const r = await run(['build', '--data', 'x.csv', '--max-rules', 'zero']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('--max-rules');
  });

  it('a missing model is reported with its code and place, exit 2', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-cli-'));
    const r = await run(['predict', '--model', 'nope', '--input', 'x.csv', '--models-dir', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^error .*nope MODEL_NOT_FOUND /m);
  });

  it('explain needs exactly one of --record and --input', async () => {
    const r = await run(['explain', '--model', 'm']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('INVALID_ARGUMENT');
  });

  it('an unexpected error exits 1', () => {
    const err = sink();
    expect(reportError(new Error('boom'), err)).toBe(EXIT.failure);
    expect(err.text()).toContain('internal error');
  });

  it('build checks --monotone and --immutable (usage error, or the code with a did-you-mean)', async () => {
    const bad = await run(['build', '--data', 'x.csv', '--monotone', 'age=up']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('--monotone');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-cli-'));
    const r = await run([
      'build',
      '--data',
      path.join(root, 'data', 'german-credit.csv'),
      '--immutable',
      'agee,foreign_worker',
      '--backend',
      'cpu',
      '--models-dir',
      path.join(dir, 'models'),
      '--rules-dir',
      path.join(dir, 'rules'),
    ]);
    const written = fs.existsSync(path.join(dir, 'models'));
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^error UNKNOWN_FEATURE \[agee\] .*did you mean 'age'\?/m);
    expect(written).toBe(false);
  });

  it('adds a hint in its own words (flags) after a library error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-cli-'));
    const r = await run(['predict', '--model', 'nope', '--input', 'x.csv', '--models-dir', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.stderr).toMatch(/^hint: build it with `neurules build/m);
    const lost = await run(['explain', '--model', 'german-credit', ...committed]);
    expect(lost.stderr).toMatch(/^error INVALID_ARGUMENT \[record\]/m);
    expect(lost.stderr).toMatch(
      /^hint: give --record JSON, --input FILE with --row N, or --log FILE with --line N$/m,
    );
  });
});

describe('neurules rules impact (the committed German credit model and its three overrides)', () => {
  const { metrics } = loadModel(GERMAN_CREDIT);
  const ids = ['minors-declined', 'exposure-limit', 'guarantor-education'];

  it('--json: one item per override in hit-policy order; the items add up to the totals', async () => {
    const r = await run([
      'rules',
      'impact',
      '--model',
      'german-credit',
      '--json',
      '--backend',
      'cpu',
      ...committed,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.ok);
    const impact = JSON.parse(r.stdout);
    expect(impact.data.source).toBe('split');
    expect(impact.records).toBe(metrics.testRows);
    expect(impact.items.map((i: { id: string }) => i.id)).toEqual(ids);
    // The rebuilt held-out split is the build's: the rules-only and merged figures (which
    // do not depend on the network's backend) are the ones the build wrote.
    expect(impact.accuracyWithout).toBe(metrics.rulesAccuracy);
    expect(impact.accuracyWith).toBe(metrics.overrides!.rulesAccuracy);
    expect(impact.changed).toBe(metrics.overrides!.changed);
    const sum = (key: string) =>
      impact.items.reduce((s: number, i: Record<string, number>) => s + i[key]!, 0);
    expect(sum('changed')).toBe(impact.changed);
    expect(sum('accuracyDelta')).toBeCloseTo(impact.accuracyWith - impact.accuracyWithout, 12);
    expect(sum('fidelityDelta')).toBeCloseTo(impact.fidelityWith - impact.fidelityWithout, 12);
    for (const item of impact.items) {
      expect(item.changed).toBeLessThanOrEqual(item.fires);
      expect(item.file).toMatch(/credit-policy\.yaml$/);
    }
    expect(impact.items.map((i: Record<string, number>) => [i.fires, i.changed])).toEqual([
      [0, 0],
      [1, 1],
      [0, 0],
    ]);
  });

  it('prints a row per override and the totals', async () => {
    const r = await run([
      'rules',
      'impact',
      '--model',
      'german-credit',
      '--backend',
      'cpu',
      ...committed,
    ]);
    expect(r.code).toBe(EXIT.ok);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toContain('held-out test split (300 of 1000 rows) of data/german-credit.csv');
    for (const id of ids)
      expect(r.stdout).toMatch(new RegExp(`^${id} +(bad|good) +\\d+ +\\d+ `, 'm'));
    const a = (metrics.rulesAccuracy as number).toFixed(3);
    const b = (metrics.overrides!.rulesAccuracy as number).toFixed(3);
    expect(r.stdout).toContain(`accuracy without / with overrides: ${a} → ${b}`);
    expect(r.stdout).toMatch(/^fidelity without \/ with overrides: 0\.\d{3} → 0\.\d{3}$/m);
    expect(r.stdout).toContain(
      `decisions changed: ${metrics.overrides!.changed} of 300 held-out records`,
    );
  });

  it('a missing --data file is reported with its code, exit 2', async () => {
    const r = await run([
      'rules',
      'impact',
      '--model',
      'german-credit',
      '--data',
      'nope.csv',
      ...committed,
    ]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^error nope\.csv FILE_NOT_FOUND /m);
  });
});

describe('neurules export --format sql', () => {
  it('writes the query to --output atomically, for the table and dialect given', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-export-'));
    try {
      const out = path.join(dir, 'decide.sql');
      const r = await runCli([
        'export',
        '--model',
        'german-credit',
        '--format',
        'sql',
        '--dialect',
        'postgres',
        '--table',
        'loan applications',
        '--output',
        out,
        ...committed,
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      const sql = fs.readFileSync(out, 'utf8');
      expect(sql).toMatch(
        /^-- neurules: model 'german-credit', 11 rules in hit order, dialect postgres\n/,
      );
      expect(sql).toContain('FROM "loan applications" AS neurules_src');
      expect(fs.readdirSync(dir)).toEqual(['decide.sql']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['--format', 'xml'], '--format'],
    [['--format', 'sql', '--dialect', 'oracle'], '--dialect'],
  ])('%j is a usage error listing the valid values', async (extra, flag) => {
    const r = await runCli(['export', '--model', 'german-credit', ...extra, ...committed]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).toMatch(/Allowed choices are/);
    // Coded as every other error, the option as its place.
    expect(r.stderr).toMatch(
      new RegExp(`^error INVALID_ARGUMENT \\[${flag}\\] option '${flag} `, 'm'),
    );
  });

  it('--dialect with the ml-cart format is INVALID_ARGUMENT naming dialect', async () => {
    const r = await runCli([
      'export',
      '--model',
      'german-credit',
      '--dialect',
      'sqlite',
      ...committed,
    ]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^error INVALID_ARGUMENT \[dialect\] /m);
  });
});

describe('neurules export --format dmn', () => {
  it('prints the decision table of the merged rule set, hit policy FIRST', async () => {
    const r = await runCli(['export', '--model', 'german-credit', '--format', 'dmn', ...committed]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<definitions /);
    expect(r.stdout).toMatch(/<decisionTable id="[^"]+" hitPolicy="FIRST">/);
    // The three overrides and the eight distilled rules, one row each (each region is one box).
    expect(r.stdout.match(/<rule id=/g)).toHaveLength(11);
  });
});

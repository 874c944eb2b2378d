import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/main';
import type { ModelManifest } from '../../src/artifacts/types';
import { runCli } from '../helpers/run-cli';
import { loadModel } from '../../src/artifacts/model-store';
import { readHistory } from '../../src/artifacts/rule-archive';

const IRIS = path.join(__dirname, '..', '..', 'data', 'iris.csv');

/**
 * `neurules build` of iris on the cpu backend into a fresh directory, with `extra` options.
 * Iris is small enough for cross-validation by default (five networks and their shaping
 * judged per fold); these tests are about other options, so they choose on a validation
 * split unless `extra` says otherwise (the cross-validation tests below), and train a
 * small network: 30 epochs (iris learns in fewer), since none of them is about its accuracy.
 */
async function build(extra: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-build-'));
  const dirs = ['--models-dir', path.join(dir, 'models'), '--rules-dir', path.join(dir, 'rules')];
  const selection = extra.includes('--selection') ? [] : ['--selection', 'holdout'];
  const epochs = extra.includes('--epochs') ? [] : ['--epochs', '30'];
  try {
    const r = await runCli([
      'build',
      '--data',
      IRIS,
      '--backend',
      'cpu',
      ...dirs,
      ...selection,
      ...epochs,
      ...extra,
    ]);
    const loc = {
      modelsDir: path.join(dir, 'models'),
      rulesDir: path.join(dir, 'rules'),
      name: 'iris',
    };
    const model = r.code === EXIT.ok ? loadModel(loc) : undefined;
    const manifest: ModelManifest | undefined = model?.manifest;
    return {
      ...r,
      manifest,
      metrics: model?.metrics,
      history: readHistory(loc).entries,
      written: fs.existsSync(path.join(dir, 'models', 'iris')),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('neurules build: the learner, sampling and simplification options', () => {
  it('--learner ml-cart distils with ml-cart on the real records', async () => {
    const r = await build(['--learner', 'ml-cart']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toMatch(/distilled: \d+ rules \(learner ml-cart, sampling none/);
    expect(r.manifest?.distill).toMatchObject({ learner: 'ml-cart', sampling: 'none' });
    // The rule set the build made current is in the archive, with its held-out figures.
    expect(r.history).toEqual([
      expect.objectContaining({
        made: 'build',
        generation: r.manifest?.generation,
        figures: expect.objectContaining({
          records: r.metrics?.testRows,
          fidelity: r.metrics?.fidelity,
          accuracy: r.metrics?.rulesAccuracy,
        }),
      }),
    ]);
  });

  it('--sampling perturb --samples N draws exactly N synthetic records', async () => {
    const r = await build(['--sampling', 'perturb', '--samples', '600']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toContain('distill: sampling 600 synthetic records');
    expect(r.manifest?.distill).toMatchObject({ learner: 'neurules', sampling: 'perturb' });
    expect(r.manifest?.distill.samples).toBe(600);
    expect(new Set(r.manifest?.distill.candidates.map((c) => c.sampling))).toEqual(
      new Set(['perturb']),
    );
  });

  it('--no-simplify keeps the pruned tree: no simplification step, every leaf a rule', async () => {
    const r = await build(['--sampling', 'none', '--no-simplify']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).not.toContain('simplifying the rules');
    const d = r.manifest!.distill;
    expect(d.leaves).toBe(d.leavesBeforeSimplify);
    const simplified = await build(['--sampling', 'none']);
    expect(simplified.stderr).toContain('simplifying the rules');
  });

  it.each([
    [['--learner', 'ml-cart', '--sampling', 'nodes'], 'sampling'],
    [['--sampling', 'none', '--samples', '100'], 'samples'],
    [['--learner', 'ml-cart', '--samples', '100'], 'samples'],
  ])('%j is refused before training, with nothing written', async (extra, field) => {
    const r = await build(extra);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(new RegExp(`^error INVALID_ARGUMENT \\[${field}\\] `, 'm'));
    expect(r.stderr).not.toContain('training network');
    expect(r.written).toBe(false);
  });

  it.each([
    [['--learner', 'c4.5'], '--learner'],
    [['--sampling', 'random'], '--sampling'],
    [['--samples', '0'], '--samples'],
    [['--teacher-shaping', 'maybe'], '--teacher-shaping'],
  ])('a bad value of %j is a usage error naming %s', async (extra, flag) => {
    const r = await build(extra);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain(flag);
    expect(r.written).toBe(false);
  });
});

describe('neurules build: every class of the network', () => {
  it('warns when --max-rules is below the classes the network answers, naming the class left out', async () => {
    const r = await build(['--max-rules', '2', '--teacher-shaping', 'off', '--sampling', 'none']);
    expect(r.code).toBe(EXIT.ok);
    const m = r.stderr.match(
      /^warning: the network answers 3 classes but --max-rules allows 2 rules: no rule can decide '(\w+)'$/m,
    );
    expect(m).not.toBeNull();
    expect(r.manifest!.distill.classesWithoutRule).toEqual([m![1]]);
    const decided = new Set(r.manifest!.distill.candidates.map((c) => c.leaves));
    expect(Math.max(...decided)).toBeLessThanOrEqual(2);
    // Balanced fidelity and the class the rules follow least are in the metrics table.
    expect(r.stdout).toMatch(/ balanced fidelity \(mean over classes\) +\| 0\.\d{3}/);
    expect(r.stdout).toContain(`least followed class '${m![1]}'`);
    expect(r.metrics!.fidelityPerClass![m![1]!]!.agree).toBe(0);
    expect(r.metrics!.teacherShaping).toMatchObject({ mode: 'off', used: false });
  });

  it('--teacher-shaping auto (the default) records the figures it decided on in metrics.json', async () => {
    const r = await build(['--sampling', 'none']);
    expect(r.code).toBe(EXIT.ok);
    const s = r.metrics!.teacherShaping!;
    expect(s.mode).toBe('auto');
    expect(s.after).toBeDefined();
    // Kept exactly when accuracy held within 0.005 and balanced fidelity rose.
    expect(s.used).toBe(
      s.after!.validationAccuracy >= s.before.validationAccuracy - 0.005 &&
        s.after!.validationBalancedFidelity > s.before.validationBalancedFidelity,
    );
    expect(r.stderr).toContain(`teacher shaping ${s.used ? 'kept' : 'not kept'}: `);
    expect(r.stdout).toMatch(new RegExp(` teacher shaping +\\| ${s.used ? 'kept' : 'not kept'}`));
  });
});

/** MONK-1's definition (Thrun et al. 1991): class 1 when a1 = a2 or a5 = 1. */
function monk1(a: number[]): boolean {
  return a[0] === a[1] || a[4] === 1;
}

/** Every one of MONK's 432 points, as CSV rows `v1,…,yes|no` (levels read as categories). */
function monkRows(): string[] {
  const levels = [3, 3, 2, 3, 4, 2];
  const rows: string[] = [];
  const point = (i: number, a: number[]): void => {
    if (i === levels.length) {
      rows.push(`${a.map((x) => `v${x}`).join(',')},${monk1(a) ? 'yes' : 'no'}`);
      return;
    }
    for (let x = 1; x <= levels[i]!; x++) point(i + 1, [...a, x]);
  };
  point(0, []);
  return rows;
}

describe('neurules build: small data and a separate test file (issue 20)', () => {
  const header = 'a1,a2,a3,a4,a5,a6,class';
  let dir: string;
  let train: string;
  let test: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-monk-'));
    const all = monkRows();
    // A fixed sample of 124 of the 432 points trains (37 is prime to 432: i ↦ 37i is a shuffle).
    const sample = all.filter((_, i) => (i * 37) % 432 < 124);
    train = path.join(dir, 'monk1-train.csv');
    test = path.join(dir, 'monk1-test.csv');
    fs.writeFileSync(train, [header, ...sample].join('\n') + '\n');
    fs.writeFileSync(test, [header, ...all].join('\n') + '\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const monk = (extra: string[]) =>
    runCli([
      'build',
      '--data',
      train,
      '--backend',
      'cpu',
      '--models-dir',
      path.join(dir, 'models'),
      '--rules-dir',
      path.join(dir, 'rules'),
      '--teacher-shaping',
      'off',
      ...extra,
    ]);

  it('--test: every row of --data trains, chosen by cross-validation, measured on the test file', async () => {
    const r = await monk(['--test', test, '--epochs', '20']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toMatch(
      /^data: 124 rows, 6 features, 2 classes; split train\/validation\/test 124\/0\/432$/m,
    );
    expect(r.stderr).toMatch(/^distill: cross-validation: fold 5 of 5 /m);
    expect(r.stderr).toMatch(
      /^distill: cross-validation chose \d+ epochs \(held-out accuracy 0\.\d{3}\)$/m,
    );
    expect(r.stdout).toMatch(
      / network trained on every training row +\| 124 rows, \d+ epochs, L2 0\.002? \(5-fold cross-validation\)/,
    );
    expect(r.stdout).toMatch(
      / recall of 'yes' \(network \/ rules\) +\| \d\.\d{3} \/ \d\.\d{3} \(216 rows\)/,
    );
    const loc = {
      modelsDir: path.join(dir, 'models'),
      rulesDir: path.join(dir, 'rules'),
      name: 'monk1-train',
    };
    const model = loadModel(loc);
    expect(model.metrics.testRows).toBe(432);
    expect(model.metrics.refit).toMatchObject({ rows: 124, selection: 'kfold', folds: 5 });
    // The L2 penalty was chosen with the epochs, among the two candidates.
    expect([0.02, 0.002]).toContain(model.metrics.refit!.l2);
    expect(model.manifest.data.split).toEqual({ testFraction: 0, validationFraction: 0 });
    expect(model.manifest.data.test).toMatchObject({ file: 'monk1-test.csv', rows: 432 });
    // The audit measures on the same test file, read again and checked.
    const audit = await runCli([
      'audit',
      '--model',
      'monk1-train',
      '--models-dir',
      loc.modelsDir,
      '--rules-dir',
      loc.rulesDir,
      '--out',
      path.join(dir, 'audit.json'),
      '--format',
      'json',
    ]);
    expect(audit.code).toBe(EXIT.ok);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'audit.json'), 'utf8'));
    expect(JSON.stringify(report)).toContain('test file');
  });

  it('--test with other columns is SCHEMA_MISMATCH naming them, before training', async () => {
    const other = path.join(dir, 'other.csv');
    fs.writeFileSync(other, 'a1,a2,a3,a4,a5,extra,class\nv1,v1,v1,v1,v1,x,yes\n');
    const r = await monk(['--test', other]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(
      /^error .*other\.csv:1 SCHEMA_MISMATCH .*missing 'a6'.*not in the training file 'extra'/m,
    );
    expect(r.stderr).not.toContain('training network');
  });

  it('--test with a class the training file lacks is one coded error listing it', async () => {
    const other = path.join(dir, 'unseen.csv');
    fs.writeFileSync(
      other,
      `${header}\nv1,v1,v1,v1,v1,v1,maybe\nv1,v2,v1,v1,v1,v1,yes\nv1,v2,v1,v1,v1,v1,maybe\n`,
    );
    const r = await monk(['--test', other]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(
      /^error .*unseen\.csv:2:7 UNKNOWN_CATEGORY .*'maybe' \(2 rows, first on line 2\)/m,
    );
    expect(r.stderr).not.toContain('training network');
  });

  it('says when a class has fewer rows than folds, and uses fewer folds', async () => {
    // Three 'yes' rows only: three folds.
    const rare = path.join(dir, 'rare.csv');
    const rows = monkRows();
    const yes = rows.filter((r) => r.endsWith(',yes')).slice(0, 3);
    const no = rows.filter((r) => r.endsWith(',no')).slice(0, 40);
    fs.writeFileSync(rare, [header, ...yes, ...no].join('\n') + '\n');
    const r = await runCli([
      'build',
      '--data',
      rare,
      '--backend',
      'cpu',
      '--models-dir',
      path.join(dir, 'models'),
      '--rules-dir',
      path.join(dir, 'rules'),
      '--teacher-shaping',
      'off',
      '--epochs',
      '20',
      '--selection',
      'kfold',
      '--test',
      test,
    ]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toMatch(/cross-validation: 3 folds instead of 5: class 'yes' has 3 rows/);
    expect(r.stderr).toMatch(/^distill: cross-validation: fold 3 of 3 /m);
  });

  it('warns, naming it, when the network never predicts a class the held-out rows have', async () => {
    // 'rare' is 5% of the rows and independent of the inputs: unweighted, the network
    // answers 'common' everywhere.
    const noise = path.join(dir, 'noise.csv');
    const rows = ['x,y,label'];
    for (let i = 0; i < 400; i++)
      rows.push(`${(i * 7919) % 97},${(i * 104729) % 89},${i % 20 === 0 ? 'rare' : 'common'}`);
    fs.writeFileSync(noise, rows.join('\n') + '\n');
    const r = await runCli([
      'build',
      '--data',
      noise,
      '--backend',
      'cpu',
      '--models-dir',
      path.join(dir, 'models'),
      '--rules-dir',
      path.join(dir, 'rules'),
      '--teacher-shaping',
      'off',
      '--class-weights',
      'none',
      '--epochs',
      '20',
    ]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toMatch(/^warning: the network never predicts 'rare' \(6 held-out rows\)$/m);
    expect(r.stdout).toMatch(
      / recall of 'rare' \(network \/ rules\) +\| 0\.000 \/ \d\.\d{3} \(6 rows\)/,
    );
  });

  it('refuses --selection kfold with --refit off, and --folds with --selection holdout', async () => {
    const a = await monk(['--selection', 'kfold', '--refit', 'off']);
    expect(a.code).toBe(EXIT.usage);
    expect(a.stderr).toMatch(/^error INVALID_ARGUMENT \[selection\] /m);
    const b = await monk(['--selection', 'holdout', '--folds', '3']);
    expect(b.code).toBe(EXIT.usage);
    expect(b.stderr).toMatch(/^error INVALID_ARGUMENT \[folds\] /m);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/main';
import type { ModelManifest } from '../../src/artifacts/types';
import { runCli } from '../helpers/run-cli';
import { loadModel } from '../../src/artifacts/model-store';

const IRIS = path.join(__dirname, '..', '..', 'data', 'iris.csv');

/** `neurules build` of iris on the cpu backend into a fresh directory, with `extra` options. */
async function build(extra: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-build-'));
  const dirs = ['--models-dir', path.join(dir, 'models'), '--rules-dir', path.join(dir, 'rules')];
  try {
    const r = await runCli(['build', '--data', IRIS, '--backend', 'cpu', ...dirs, ...extra]);
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

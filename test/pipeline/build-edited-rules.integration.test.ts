import { readHistory } from '../../src/artifacts/rule-archive';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, modelPaths } from '../../src/artifacts/model-store';
import type { ModelLocation } from '../../src/artifacts/types';
import { EXIT } from '../../src/cli/main';
import { buildModel, type BuildOptions, type BuildProgress } from '../../src/pipeline/build-model';
import { runCli } from '../helpers/run-cli';

/**
 * `build` over a distilled rule file holding a hand edit that was not accepted: refused
 * (RULES_MODIFIED) before training and at the commit, unless --discard-edits, which keeps
 * the edited file beside the new one.
 */

const IRIS = path.join(__dirname, '..', '..', 'data', 'iris.csv');
/** The smallest build that is still a real one: a tiny network, one distillation. */
const SMALL: Partial<BuildOptions> = {
  backend: 'cpu',
  training: { hidden: [8], epochs: 5, patience: 5 },
  distill: { sampling: 'none' },
  teacherShaping: 'off',
};

let base: string;
let dir: string;
let loc: ModelLocation;
beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-edits-base-'));
  await buildModel({
    ...SMALL,
    data: IRIS,
    modelsDir: path.join(base, 'models'),
    rulesDir: path.join(base, 'rules'),
  });
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-edits-'));
  fs.cpSync(base, dir, { recursive: true });
  loc = { modelsDir: path.join(dir, 'models'), rulesDir: path.join(dir, 'rules'), name: 'iris' };
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const dirArgs = (): string[] => ['--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
const codes = (stderr: string): string[] =>
  [...stderr.matchAll(/^error (?:\S+ )?([A-Z_]+) /gm)].map((m) => m[1]!);
const generation = (): string => loadModel(loc, { allowEditedRules: true }).manifest.generation!;

/** Edit the rule file as a person would: move R01's first threshold. Returns the new text. */
function editRules(): string {
  const file = modelPaths(loc).rules;
  const ruleSet = JSON.parse(fs.readFileSync(file, 'utf8'));
  const first = JSON.stringify(ruleSet.rules[0].conditions).match(/"value":(-?[\d.]+)/);
  expect(first).not.toBeNull();
  const text = JSON.stringify(ruleSet, null, 2).replace(
    `"value": ${first![1]}`,
    `"value": ${Number(first![1]) + 0.05}`,
  );
  fs.writeFileSync(file, text);
  expect(() => loadModel(loc)).toThrow(expect.objectContaining({ code: 'RULES_MODIFIED' }));
  return text;
}

/** The files beside the rule file that keep a replaced edit. */
const keptCopies = (): string[] =>
  fs.readdirSync(modelPaths(loc).rulesDir).filter((e) => e.startsWith('distilled.rules.json.'));

describe('build over a hand-edited rule file', () => {
  it('is refused with RULES_MODIFIED before training, leaving the edit and the model as they were', async () => {
    const text = editRules();
    const before = generation();
    const stages: BuildProgress['stage'][] = [];
    const e = await buildModel({
      ...SMALL,
      data: IRIS,
      ...loc,
      onProgress: (p) => stages.push(p.stage),
    }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'RULES_MODIFIED', file: modelPaths(loc).rules });
    expect(stages).toEqual([]); // not even the data was read
    expect(fs.readFileSync(modelPaths(loc).rules, 'utf8')).toBe(text);
    expect(generation()).toBe(before);
    expect(keptCopies()).toEqual([]);
  });

  it('the CLI says RULES_MODIFIED (exit 2) with a hint naming rules accept and --discard-edits', async () => {
    editRules();
    const r = await runCli(['build', '--data', IRIS, '--backend', 'cpu', ...dirArgs()]);
    expect(r.code).toBe(EXIT.usage);
    expect(codes(r.stderr)).toEqual(['RULES_MODIFIED']);
    expect(r.stderr).toContain(modelPaths(loc).rules);
    expect(r.stderr).toMatch(/^hint: .*rules accept.*--discard-edits/m);
    expect(r.stderr).not.toContain('training');
  });

  it('an edit saved while the build runs is refused at the commit, and kept on disk', async () => {
    const before = generation();
    let text = '';
    const e = await buildModel({
      ...SMALL,
      data: IRIS,
      ...loc,
      afterSaveStep: (step) => {
        if (step === 'write rules temp') text = editRules();
      },
    }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'RULES_MODIFIED', file: modelPaths(loc).rules });
    expect(fs.readFileSync(modelPaths(loc).rules, 'utf8')).toBe(text);
    // The old model is still the one the rule file names, and the refused one is gone.
    expect(generation()).toBe(before);
    expect(fs.readdirSync(modelPaths(loc).dir)).toEqual([before]);
    // The archive holds the first build's rule set only.
    expect(fs.readdirSync(modelPaths(loc).rulesDir).sort()).toEqual([
      'archive',
      'distilled.rules.json',
    ]);
    expect(readHistory(loc).entries.map((e) => e.generation)).toEqual([before]);
  });

  it('--discard-edits builds, keeps the edited file beside the new one and says so', async () => {
    const text = editRules();
    const r = await runCli([
      'build',
      '--data',
      IRIS,
      '--backend',
      'cpu',
      '--sampling',
      'none',
      '--teacher-shaping',
      'off',
      '--discard-edits',
      ...dirArgs(),
    ]);
    expect(r.code).toBe(EXIT.ok);
    const m = loadModel(loc); // the new rules are the committed ones
    const copy = path.join(
      modelPaths(loc).rulesDir,
      `distilled.rules.json.edited-${m.manifest.generation}`,
    );
    expect(keptCopies()).toEqual([path.basename(copy)]);
    expect(fs.readFileSync(copy, 'utf8')).toBe(text);
    expect(r.stderr).toMatch(
      new RegExp(`^warning: .*kept it as ${copy.replace(/[.]/g, '\\.')}$`, 'm'),
    );
    // A whole CLI build (network, distillation, audit): ~105 s alone on a 2-core machine,
    // more beside a browser test; the project's 120 s default is too tight for it.
  }, 300_000);

  it('a build over committed rules keeps no copy and says nothing of it', async () => {
    const result = await buildModel({ ...SMALL, data: IRIS, ...loc });
    expect(result.keptEditedRules).toBeUndefined();
    expect(keptCopies()).toEqual([]);
  });
});

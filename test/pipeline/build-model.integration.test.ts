import { Engine } from 'json-rules-engine';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatMetricsTable } from '../../src/audit/metrics';
import { runCli } from '../helpers/run-cli';
import type { Schema } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { isNeurulesError } from '../../src/errors';
import { leavesOf, predictTree, leafOf } from '../../src/distill/predict-tree';
import { buildModel, type BuildOptions, type BuildResult } from '../../src/pipeline/build-model';
import { openModel } from '../../src/pipeline/open-model';
import { loadModel, modelPaths } from '../../src/artifacts/model-store';
import { lockModel } from '../../src/artifacts/model-lock';
import type { RuleSet } from '../../src/rules/types';

const root = path.join(__dirname, '..', '..');
let dir: string;
/** The CLI's directory options for the model built in `dir`. */
const dirArgs = () => [
  '--models-dir',
  path.join(dir, 'models'),
  '--rules-dir',
  path.join(dir, 'rules'),
];
let result: BuildResult;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-build-'));
  result = await buildModel({
    data: path.join(root, 'data', 'iris.csv'),
    modelsDir: path.join(dir, 'models'),
    rulesDir: path.join(dir, 'rules'),
    seed: 3,
    backend: 'cpu',
    training: { hidden: [16], epochs: 60, patience: 15, learningRate: 0.01 },
  });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('buildModel on iris (end to end)', () => {
  it('writes the model and rule set with the metrics', () => {
    const modelDir = loadModel({
      modelsDir: path.join(dir, 'models'),
      rulesDir: path.join(dir, 'rules'),
      name: 'iris',
    }).dir;
    for (const f of ['manifest.json', 'schema.json', 'tree.json', 'metrics.json']) {
      expect(fs.existsSync(path.join(modelDir, f))).toBe(true);
    }
    const metrics = JSON.parse(fs.readFileSync(path.join(modelDir, 'metrics.json'), 'utf8'));
    for (const key of [
      'teacherAccuracy',
      'rulesAccuracy',
      'fidelity',
      'ruleCount',
      'meanConditions',
    ]) {
      expect(typeof metrics[key]).toBe('number');
    }
    expect(result.metrics.fidelity).toBeGreaterThanOrEqual(0.9);
    expect(result.metrics.teacherAccuracy).toBeGreaterThanOrEqual(0.85);
    expect(result.metrics.ruleCount).toBeLessThanOrEqual(16);
    expect(fs.readdirSync(path.join(dir, 'models', 'iris'))).toEqual([path.basename(modelDir)]);
  });

  it('rules decide exactly like the tree on every test record', async () => {
    const model = await openModel({
      modelsDir: path.join(dir, 'models'),
      rulesDir: path.join(dir, 'rules'),
      name: 'iris',
    });
    const ruleIds = new Map(
      leavesOf(model.tree).map((leaf, i) => [leaf.id, model.ruleSet.rules[i]!.name]),
    );
    for (const record of result.test.records) {
      const decision = await model.engine.decide(record);
      expect(decision.class).toBe(model.tree.classes[predictTree(model.tree, record)]);
      expect(decision.ruleId).toBe(ruleIds.get(leafOf(model.tree, record).id));
    }
  });

  it('a plain json-rules-engine Engine on the written file agrees with `neurules predict`', async () => {
    const rulesFile = path.join(dir, 'rules', 'iris', 'distilled.rules.json');
    const ruleSet = JSON.parse(fs.readFileSync(rulesFile, 'utf8')) as RuleSet;
    const engine = new Engine(ruleSet.rules);
    const out = path.join(dir, 'predictions.jsonl');
    const { stderr } = await runCli([
      'predict',
      '--model',
      'iris',
      '--input',
      path.join(root, 'data', 'iris.csv'),
      '--output',
      out,
      ...dirArgs(),
    ]);
    expect(stderr).toMatch(/predicted 150 records .*accuracy 0\.\d+ on 150 labelled records/);
    const predictions = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(predictions).toHaveLength(150);
    const csv = fs
      .readFileSync(path.join(root, 'data', 'iris.csv'), 'utf8')
      .trim()
      .split('\n');
    const header = csv[0]!.split(',');
    for (let i = 0; i < csv.length - 1; i++) {
      const cells = csv[i + 1]!.split(',');
      const facts: Record<string, number> = {};
      header.slice(0, -1).forEach((h, j) => (facts[h] = Number(cells[j])));
      const { events } = await engine.run(facts);
      expect(events).toHaveLength(1);
      expect(events[0]!.params!.ruleId).toBe(predictions[i].ruleId);
      expect(events[0]!.params!.class).toBe(predictions[i].class);
    }
  });

  it('explain names the rule, its conditions with the record values, and the network', async () => {
    const { stdout } = await runCli([
      'explain',
      '--model',
      'iris',
      '--input',
      path.join(root, 'data', 'iris.csv'),
      '--row',
      '1',
      '--json',
      '--backend',
      'cpu',
      ...dirArgs(),
    ]);
    const e = JSON.parse(stdout);
    expect(e.record.petal_length).toBe(1.4);
    expect(e.decision.class).toBe('setosa');
    expect(e.rule.conditions.length).toBeGreaterThan(0);
    for (const c of e.rule.conditions) expect(c.holds).toBe(true);
    expect(e.network.class).toBe('setosa');
    expect(e.network.agrees).toBe(true);
  });

  it('`neurules export --format ml-cart` writes a model ml-cart loads and that decides like the rules', async () => {
    const { DecisionTreeClassifier } = await import('ml-cart');
    const out = path.join(dir, 'iris.ml-cart.json');
    await runCli(['export', '--model', 'iris', '--output', out, ...dirArgs()]);
    const cart = DecisionTreeClassifier.load(JSON.parse(fs.readFileSync(out, 'utf8')));
    const names = result.schema.features.map((f) => f.name);
    const predicted = cart.predict(
      result.test.records.map((r) => names.map((n) => r[n] as number)),
    );
    expect(predicted).toEqual(result.test.records.map((r) => predictTree(result.tree, r)));
  });
});

describe('buildModel with overrides and feature marks', () => {
  let other: string;
  const locOf = (d: string) => ({
    modelsDir: path.join(d, 'models'),
    rulesDir: path.join(d, 'rules'),
  });
  const writeOverrides = (d: string, text: string) => {
    const overrides = path.join(d, 'rules', 'iris', 'overrides');
    fs.mkdirSync(overrides, { recursive: true });
    fs.writeFileSync(path.join(overrides, 'policy.yaml'), text);
  };
  /** The coded error of a build that must fail before anything is written. */
  const buildError = async (d: string, extra: Partial<BuildOptions>) => {
    try {
      await buildModel({
        data: path.join(root, 'data', 'iris.csv'),
        ...locOf(d),
        backend: 'cpu',
        training: { hidden: [4], epochs: 2 },
        ...extra,
      });
    } catch (e) {
      if (!isNeurulesError(e)) throw e;
      expect(fs.existsSync(path.join(d, 'models', 'iris'))).toBe(false);
      expect(fs.existsSync(path.join(d, 'rules', 'iris', 'distilled.rules.json'))).toBe(false);
      return e;
    }
    throw new Error('expected the build to fail');
  };
  let marked: BuildResult;

  beforeAll(async () => {
    other = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-build-overrides-'));
    // Short petals are setosa; this override calls them versicolor.
    writeOverrides(
      other,
      [
        '- id: short-petals-versicolor',
        '  when:',
        '    petal_length: { "<": 1.5 }',
        '  then: { class: versicolor }',
        '  priority: 10',
      ].join('\n'),
    );
    marked = await buildModel({
      data: path.join(root, 'data', 'iris.csv'),
      ...locOf(other),
      seed: 3,
      backend: 'cpu',
      training: { hidden: [16], epochs: 60, patience: 15, learningRate: 0.01 },
      immutable: ['sepal_width'],
      monotone: { petal_length: 'increasing', petal_width: 'decreasing' },
      protected: ['sepal_length', 'sepal_width'],
    });
  });

  afterAll(() => fs.rmSync(other, { recursive: true, force: true }));

  it('distils the same rules as without overrides or marks', () => {
    expect(marked.ruleSet).toEqual(result.ruleSet);
    expect(marked.metrics.rulesAccuracy).toBe(result.metrics.rulesAccuracy);
    expect(marked.metrics.fidelity).toBe(result.metrics.fidelity);
    expect(result.metrics.overrides).toBeUndefined();
  });

  it('measures the merged rule set on the test split', async () => {
    const o = marked.metrics.overrides!;
    expect(o.count).toBe(1);
    const model = await openModel({ ...locOf(other), name: 'iris' });
    const classes = model.schema.classes;
    const distilled = compileRuleSet(model.distilled);
    const merged = compileRuleSet(model.ruleSet);
    let changed = 0;
    let correct = 0;
    marked.test.records.forEach((r, i) => {
      const m = merged.decide(r).class;
      if (m !== distilled.decide(r).class) changed++;
      if (m === classes[marked.test.labels[i]!]) correct++;
    });
    expect(changed).toBeGreaterThan(0);
    expect(o.changed).toBe(changed);
    expect(o.rulesAccuracy).toBeCloseTo(correct / marked.test.records.length, 12);
    expect(o.rulesAccuracy).toBeLessThan(marked.metrics.rulesAccuracy);
    const written = JSON.parse(
      fs.readFileSync(
        path.join(loadModel({ ...locOf(other), name: 'iris' }).dir, 'metrics.json'),
        'utf8',
      ),
    );
    expect(written.overrides).toEqual(o);
    const table = formatMetricsTable(marked.metrics);
    expect(table).toMatch(/rules \+ 1 overrides accuracy \(test\) +\| \d\.\d{3}/);
    expect(table).toMatch(/fidelity with overrides \(test\) +\| \d\.\d{3}/);
    expect(table).toContain(`decisions changed by overrides`);
    expect(table).toContain(`| ${changed} of ${marked.test.records.length}`);
    expect(formatMetricsTable(result.metrics)).not.toContain('overrides');
  });

  it('writes the immutable, monotone and protected marks into schema.json', () => {
    const schema = JSON.parse(
      fs.readFileSync(
        path.join(loadModel({ ...locOf(other), name: 'iris' }).dir, 'schema.json'),
        'utf8',
      ),
    ) as Schema;
    const marks = schema.features.map((f) => [
      f.name,
      f.immutable ?? false,
      f.type === 'numeric' ? (f.monotone ?? null) : null,
      f.protected ?? false,
    ]);
    expect(marks).toEqual([
      ['sepal_length', false, null, true],
      ['sepal_width', true, null, true],
      ['petal_length', false, 'increasing', false],
      ['petal_width', false, 'decreasing', false],
    ]);
    expect(marked.schema).toEqual(schema);
  });

  it('a bad override file fails the build before anything is written', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-build-bad-'));
    try {
      writeOverrides(
        d,
        ['- id: x', '  when:', '    petal_lenght: { "<": 1 }', '  then: { class: setosa }'].join(
          '\n',
        ),
      );
      const e = await buildError(d, {});
      expect(e.code).toBe('UNKNOWN_FEATURE');
      expect(e.file).toBe(path.join(d, 'rules', 'iris', 'overrides', 'policy.yaml'));
      expect(e.line).toBe(3);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('refuses unknown features and monotone categorical features, with every problem', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-build-marks-'));
    try {
      const e = await buildError(d, {
        immutable: ['sepal_lenght'],
        monotone: { petal_widht: 'increasing' },
      });
      expect(e.issues.map((i) => [i.code, i.field])).toEqual([
        ['UNKNOWN_FEATURE', 'sepal_lenght'],
        ['UNKNOWN_FEATURE', 'petal_widht'],
      ]);
      expect(e.issues[0]!.message).toContain("did you mean 'sepal_length'?");
      const credit = await buildError(d, {
        data: path.join(root, 'data', 'german-credit.csv'),
        monotone: { purpose: 'increasing' },
      });
      expect([credit.code, credit.field]).toEqual(['INVALID_ARGUMENT', 'purpose']);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('refuses a models or rules folder that is a file, and a second build, before reading or training', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-build-dirs-'));
    try {
      const file = path.join(d, 'file');
      fs.writeFileSync(file, '');
      const stages: string[] = [];
      const onProgress = (p: { stage: string }) => stages.push(p.stage);
      for (const dirs of [{ modelsDir: file }, { rulesDir: file }]) {
        const e = await buildModel({
          data: path.join(root, 'data', 'iris.csv'),
          ...locOf(d),
          ...dirs,
          onProgress,
        }).catch((x: unknown) => x);
        expect(e).toMatchObject({ code: 'NOT_A_DIRECTORY', file });
      }
      const lock = lockModel(modelPaths({ ...locOf(d), name: 'iris' }).dir, 'build');
      try {
        const e = await buildModel({
          data: path.join(root, 'data', 'iris.csv'),
          ...locOf(d),
          onProgress,
        }).catch((x: unknown) => x);
        expect(e).toMatchObject({ code: 'MODEL_LOCKED', file: lock.file });
      } finally {
        lock.release();
      }
      expect(stages).toEqual([]);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

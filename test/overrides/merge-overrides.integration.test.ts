import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRecords } from '../../src/data/read-records';
import { isNeurulesError } from '../../src/errors';
import { openModel } from '../../src/pipeline/open-model';
import { createApp } from '../../src/server/create-app';
import { copyGermanCredit } from '../helpers/german-credit';
import { EXIT } from '../../src/cli/main';
import { runCli } from '../helpers/run-cli';

const root = path.join(__dirname, '..', '..');
let dir: string;
const loc = () => ({
  modelsDir: path.join(dir, 'models'),
  rulesDir: path.join(dir, 'rules'),
  name: 'german-credit',
});
const overridesDir = () => path.join(dir, 'rules', 'german-credit', 'overrides');

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-overrides-'));
  copyGermanCredit(dir);
  // Start from no overrides: the shipped ones are tested on their own below.
  fs.rmSync(overridesDir(), { recursive: true, force: true });
  fs.mkdirSync(overridesDir(), { recursive: true });
  fs.writeFileSync(
    path.join(overridesDir(), 'a-policy.yaml'),
    [
      '- id: young-declined',
      '  when:',
      '    age: { "<": 21 }',
      '  then: { class: bad }',
      '  priority: 100',
      '  reason: policy',
      '- id: long-loans-declined',
      '  when:',
      '    duration: { ">=": 60 }',
      '  then: { class: bad }',
      '  priority: 50',
      '- id: rich-accepted',
      '  when:',
      '    savings_status: { in: [">=1000"] }',
      '  then: { class: good }',
      '  priority: 50',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(overridesDir(), 'b-more.yaml'),
    [
      '- id: rich-long-good',
      '  when:',
      '    duration: { ">=": 60 }',
      '  then: { class: good }',
      '  priority: 50',
    ].join('\n'),
  );
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('overrides above the distilled rules', () => {
  it('follow the hit policy, and json-rules-engine and the compiled evaluator agree on every record', async () => {
    const model = await openModel(loc());
    expect(model.overrides.map((o) => o.id)).toEqual([
      'young-declined',
      'long-loans-declined',
      'rich-accepted',
      'rich-long-good',
    ]);
    const { records } = readRecords(path.join(root, 'data', 'german-credit.csv'), model.schema);
    const variants = records.flatMap((r, i) => [
      r,
      { ...r, age: 18 + (i % 10) },
      { ...r, duration: 40 + (i % 30) },
    ]);
    for (const record of variants) {
      const plain = await model.engine.decide(record);
      const compiled = model.compiled!.decide(record);
      expect(compiled).toEqual(plain);
      const age = record.age as number;
      const duration = record.duration as number;
      // The first matching override by priority, then file and position, decides.
      const expected =
        age < 21
          ? 'young-declined'
          : duration >= 60
            ? 'long-loans-declined'
            : record.savings_status === '>=1000'
              ? 'rich-accepted'
              : undefined;
      if (expected) expect([plain.ruleId, plain.source]).toEqual([expected, 'override']);
      else expect(plain.source).toBe('distilled');
    }
  });

  it('a bad override file stops the load, with every problem and its place', async () => {
    fs.writeFileSync(
      path.join(overridesDir(), 'c-bad.yaml'),
      '- id: young-declined\n  when:\n    ag: { "<": 21 }\n  then: { class: bad }\n',
    );
    try {
      await openModel(loc());
      throw new Error('expected an error');
    } catch (e) {
      if (!isNeurulesError(e)) throw e;
      // The entry is bad and its id is taken (a-policy.yaml): both are reported at once.
      expect(e.issues.map((i) => [i.code, path.basename(i.file ?? ''), i.line])).toEqual([
        ['UNKNOWN_FEATURE', 'c-bad.yaml', 3],
        ['DUPLICATE_ID', 'c-bad.yaml', 1],
      ]);
    }
  });

  it('ids used twice across files are refused', async () => {
    fs.writeFileSync(
      path.join(overridesDir(), 'c-dup.yaml'),
      '- id: young-declined\n  when:\n    age: { "<": 18 }\n  then: { class: bad }\n',
    );
    await expect(openModel(loc())).rejects.toMatchObject({ code: 'DUPLICATE_ID', line: 1 });
  });

  it('a service reload with a bad override file keeps the old set serving', async () => {
    const app = await createApp({
      model: 'german-credit',
      modelsDir: loc().modelsDir,
      rulesDir: loc().rulesDir,
      network: false,
    });
    const before = app.ruleSetHash();
    fs.writeFileSync(
      path.join(overridesDir(), 'c-bad.yaml'),
      '- id: x\n  when: {}\n  then: { class: bad }\n',
    );
    const result = await app.reload();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]).toMatchObject({ code: 'EMPTY_WHEN', line: 2 });
    expect(app.ruleSetHash()).toBe(before);
    await app.close();
  });
});

describe('neurules rules test', () => {
  it('runs every example; a failing one is reported and exits 2', async () => {
    fs.copyFileSync(
      path.join(root, 'rules', 'german-credit', 'overrides', 'credit-policy.yaml'),
      path.join(overridesDir(), 'c.yaml'),
    );
    fs.rmSync(path.join(overridesDir(), 'a-policy.yaml'));
    fs.rmSync(path.join(overridesDir(), 'b-more.yaml'));
    const run = () =>
      runCli([
        'rules',
        'test',
        '--model',
        'german-credit',
        '--models-dir',
        loc().modelsDir,
        '--rules-dir',
        loc().rulesDir,
      ]);
    const passing = await run();
    expect(passing.code).toBe(EXIT.ok);
    expect(passing.stdout + passing.stderr).toContain(
      'rules test: 3 passed, 0 failed (3 overrides)',
    );
    const file = path.join(overridesDir(), 'c.yaml');
    fs.writeFileSync(
      file,
      fs.readFileSync(file, 'utf8').replace('      expect: bad\n', '      expect: good\n'),
    );
    const failing = await run();
    expect(failing.code).toBe(EXIT.usage);
    expect(failing.stdout + failing.stderr).toMatch(
      /FAIL {2}minors-declined .*c\.yaml:12 {2}expected good, got bad/,
    );
  });
});

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lockModel } from '../../src/artifacts/model-lock';
import {
  checkRulesReplaceable,
  inspectRulesFile,
  loadModel,
  modelPaths,
  saveModel,
  type SaveStep,
} from '../../src/artifacts/model-store';
import type { ModelLocation } from '../../src/artifacts/types';
import { catchError } from '../data/catch-error';
import { germanCreditArtifacts, openedTag } from '../helpers/model-artifacts';

const ROOT = path.join(__dirname, '..', '..');

/** Every step of `saveModel`, in order (the commit is the rename of the rule file). */
const STEPS: SaveStep[] = [
  'clean',
  'write schema.json',
  'write tree.json',
  'write metrics.json',
  'write rules copy',
  'write teacher',
  'write manifest.json',
  'rename generation',
  'write rules temp',
  'commit',
  'prune',
];
const COMMIT = STEPS.indexOf('commit');

let dir: string;
let loc: ModelLocation;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-store-'));
  loc = { modelsDir: path.join(dir, 'models'), rulesDir: path.join(dir, 'rules'), name: 'gc' };
  await saveModel(loc, germanCreditArtifacts(1));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Everything in `MODELS_DIR/NAME` and `RULES_DIR/NAME`, relative names, sorted. */
function leftovers(): string[] {
  const p = modelPaths(loc);
  return [
    ...fs.readdirSync(p.dir).map((e) => `models/${e}`),
    ...fs.readdirSync(p.rulesDir).map((e) => `rules/${e}`),
    ...fs.readdirSync(loc.modelsDir).map((e) => `modelsDir/${e}`),
  ].sort();
}

/** The layout of a committed model: one or two generations, the rule file, nothing else. */
function expectClean(generations: number): void {
  const entries = leftovers();
  expect(entries.filter((e) => /^models\/\d{8}T\d{6}Z-[0-9a-f]{6}$/.test(e))).toHaveLength(
    generations,
  );
  expect(entries.filter((e) => !/^models\/\d{8}T/.test(e))).toEqual([
    'modelsDir/gc',
    'rules/distilled.rules.json',
  ]);
}

describe('saveModel and loadModel', () => {
  it('commits a generation folder whose manifest hashes every file, and the rules that name it', () => {
    const m = loadModel(loc);
    expect(m.ruleSet.generation).toBe(path.basename(m.dir));
    expect(m.manifest.generation).toBe(m.ruleSet.generation);
    expect(Object.keys(m.manifest.files!).sort()).toEqual(
      [
        'metrics.json',
        m.manifest.rulesFile!,
        'schema.json',
        'teacher/model.json',
        'teacher/teacher.json',
        'teacher/weights.bin',
        'tree.json',
      ].sort(),
    );
    expect(openedTag(loc)).toBe(1);
    expectClean(1);
  });

  it('keeps the new and the previous generation, and no more', async () => {
    await saveModel(loc, germanCreditArtifacts(2));
    await saveModel(loc, germanCreditArtifacts(3));
    expect(openedTag(loc)).toBe(3);
    expectClean(2);
  });

  it('refuses a model file changed after the build (MODEL_FILE_MODIFIED, naming the file)', () => {
    const m = loadModel(loc);
    const tree = path.join(m.dir, 'tree.json');
    fs.writeFileSync(
      tree,
      fs.readFileSync(tree, 'utf8').replace('"threshold": ', '"threshold": 1'),
    );
    const e = catchError(() => loadModel(loc));
    expect(e).toMatchObject({ code: 'MODEL_FILE_MODIFIED', file: tree, field: 'files.tree.json' });
    const weights = path.join(m.dir, 'teacher', 'weights.bin');
    fs.writeFileSync(tree, fs.readFileSync(path.join(m.dir, m.manifest.rulesFile!)));
    fs.rmSync(weights);
    expect(catchError(() => loadModel(loc))).toMatchObject({ code: expect.any(String) });
  });

  it('refuses a hand-edited rule file (RULES_MODIFIED, naming both hashes and the rule)', () => {
    const m = loadModel(loc);
    const edited = structuredClone(m.ruleSet);
    const rule = edited.rules[2]!;
    rule.event.params.class = 'foo';
    fs.writeFileSync(m.rulesFile, JSON.stringify(edited));
    const e = catchError(() => loadModel(loc));
    expect(e).toMatchObject({ code: 'RULES_MODIFIED', file: m.rulesFile });
    expect(e.message).toContain(m.manifest.rulesHash.slice(0, 12));
    expect(e.message).toContain(rule.name);
    // The rules committed with the model are still there to compare with.
    expect(
      loadModel(loc, { allowEditedRules: true }).committedRules!.rules[2]!.event.params.class,
    ).not.toBe('foo');
  });

  it('refuses a rule file naming a generation that is not a plain folder name', () => {
    const m = loadModel(loc);
    fs.writeFileSync(m.rulesFile, JSON.stringify({ ...m.ruleSet, generation: '../../x' }));
    expect(catchError(() => loadModel(loc))).toMatchObject({
      code: 'INVALID_ARTIFACT',
      field: 'generation',
    });
  });

  it.each(['../elsewhere/x', '/abs', '..', '.hidden', 'a/b', ''])(
    'refuses the model name %j (INVALID_ARGUMENT on field model)',
    (name) => {
      expect(catchError(() => loadModel({ ...loc, name }))).toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'model',
      });
    },
  );

  it('says NOT_A_DIRECTORY when the models folder is a file, and MODEL_NOT_FOUND naming the models there', () => {
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, '');
    expect(catchError(() => loadModel({ ...loc, modelsDir: file }))).toMatchObject({
      code: 'NOT_A_DIRECTORY',
      file,
    });
    const e = catchError(() => loadModel({ ...loc, name: 'other' }));
    expect(e).toMatchObject({ code: 'MODEL_NOT_FOUND', field: 'model' });
    expect(e.message).toContain('gc');
  });
});

describe('the lock', () => {
  it('refuses a second save while the lock is held (MODEL_LOCKED naming the lock file)', async () => {
    const lock = lockModel(modelPaths(loc).dir, 'build');
    try {
      const e = await saveModel(loc, germanCreditArtifacts(2)).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'MODEL_LOCKED', file: lock.file });
    } finally {
      lock.release();
    }
    expect(openedTag(loc)).toBe(1);
  });

  it('takes over the lock of a process that died', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const pid = Number(String(dead.stdout));
    fs.writeFileSync(
      modelPaths(loc).lock,
      JSON.stringify({ pid, host: os.hostname(), startedAt: 'then', purpose: 'build' }),
    );
    await saveModel(loc, germanCreditArtifacts(2));
    expect(openedTag(loc)).toBe(2);
    expect(fs.existsSync(modelPaths(loc).lock)).toBe(false);
  });
});

describe('fault injection at every step of a save', () => {
  it.each(STEPS.map((s, i) => [i, s] as const))(
    'a failure after step %i (%s) leaves the old model whole, or the new one once committed',
    async (k, step) => {
      const e = await saveModel(loc, germanCreditArtifacts(2), {
        afterStep: (s) => {
          if (s === step) throw new Error(`injected after ${s}`);
        },
      }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(Error);
      expect(openedTag(loc)).toBe(k >= COMMIT ? 2 : 1);
      // The next save finds no leftovers of the failed one.
      await saveModel(loc, germanCreditArtifacts(3));
      expect(openedTag(loc)).toBe(3);
      expectClean(2);
    },
  );

  // A real process killed (SIGKILL) after each step: nothing in-process cleans up. It runs
  // the built library (`dist/`, made by `npm install`'s prepare script).
  const store = path.join(ROOT, 'dist', 'artifacts', 'model-store.js');
  (fs.existsSync(store) ? it.each : it.skip.each)(STEPS.map((s, i) => [i, s] as const))(
    'a process killed after step %i (%s) leaves the old model or the new one, never a mix, and the next save cleans up',
    async (k, step) => {
      // germanCreditArtifacts(2, loc), in plain JavaScript.
      const script = `
        const fs = require('node:fs'), path = require('node:path');
        const { loadModel, saveModel } = require(${JSON.stringify(store)});
        const loc = ${JSON.stringify(loc)};
        const m = loadModel(loc);
        const { generation, files, rulesFile, ...manifest } = m.manifest;
        const ruleSet = { ...m.ruleSet, version: 1, rules: m.ruleSet.rules.map((r) =>
          ({ ...r, event: { ...r.event, params: { ...r.event.params, support: 2 } } })) };
        delete ruleSet.generation;
        saveModel(loc, {
          manifest: { ...manifest, version: 1, createdAt: 'tag-2' },
          schema: m.schema, tree: m.tree, metrics: m.metrics, ruleSet,
          saveTeacher: async (dir) => {
            fs.mkdirSync(dir, { recursive: true });
            for (const f of fs.readdirSync(m.teacherDir))
              fs.copyFileSync(path.join(m.teacherDir, f), path.join(dir, f));
          },
        }, {
          afterStep: (s) => { if (s === ${JSON.stringify(step)}) process.kill(process.pid, 'SIGKILL'); },
        });`;
      const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      expect(child.signal).toBe('SIGKILL');
      expect(openedTag(loc)).toBe(k >= COMMIT ? 2 : 1);
      await saveModel(loc, germanCreditArtifacts(3));
      expect(openedTag(loc)).toBe(3);
      expectClean(2);
    },
  );
});

describe('the rule file a save replaces', () => {
  /** Change R03's first threshold in the rule file on disk, as a person editing it would. */
  function editRules(): string {
    const file = modelPaths(loc).rules;
    const rules = JSON.parse(fs.readFileSync(file, 'utf8'));
    rules.rules[2].conditions.all[0].value = 1234;
    const text = JSON.stringify(rules, null, 2);
    fs.writeFileSync(file, text);
    return text;
  }
  const kept = (): string[] =>
    fs.readdirSync(modelPaths(loc).rulesDir).filter((e) => e.startsWith('distilled.rules.json.'));

  it('inspectRulesFile tells committed rules, an edit, a file it cannot check, and no file', () => {
    expect(inspectRulesFile(loc).kind).toBe('committed');
    editRules();
    const edited = inspectRulesFile(loc);
    expect(edited.kind).toBe('edited');
    expect(edited.kind === 'edited' && edited.error).toMatchObject({
      code: 'RULES_MODIFIED',
      file: modelPaths(loc).rules,
    });
    expect(catchError(() => checkRulesReplaceable(loc)).code).toBe('RULES_MODIFIED');
    expect(checkRulesReplaceable(loc, { discardEdits: true }).kind).toBe('edited');
    fs.writeFileSync(modelPaths(loc).rules, '{ "format": "neurules.rules", '); // half an edit
    expect(inspectRulesFile(loc).kind).toBe('unchecked');
    fs.rmSync(modelPaths(loc).rules);
    expect(inspectRulesFile(loc).kind).toBe('absent');
  });

  it('a hand edit that was not accepted is refused (RULES_MODIFIED) before anything is written', async () => {
    const text = editRules();
    let steps = 0;
    const e = await saveModel(loc, germanCreditArtifacts(2), { afterStep: () => steps++ }).catch(
      (x: unknown) => x,
    );
    expect(e).toMatchObject({ code: 'RULES_MODIFIED', file: modelPaths(loc).rules });
    expect(steps).toBe(0);
    expect(fs.readFileSync(modelPaths(loc).rules, 'utf8')).toBe(text);
  });

  it('an edit saved while the model is written is refused at the commit, and stays on disk', async () => {
    let text = '';
    const e = await saveModel(loc, germanCreditArtifacts(2), {
      afterStep: (s) => {
        if (s === 'write rules temp') text = editRules();
      },
    }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'RULES_MODIFIED', file: modelPaths(loc).rules });
    expect(fs.readFileSync(modelPaths(loc).rules, 'utf8')).toBe(text);
    // Nothing of the refused save is left: one generation, the edited rule file.
    expect(loadModel(loc, { allowEditedRules: true }).manifest.createdAt).toBe('tag-1');
    expectClean(1);
  });

  it('discardEdits replaces an edit and keeps it beside the new rule file, named by the generation', async () => {
    const text = editRules();
    const saved = await saveModel(loc, germanCreditArtifacts(2), { discardEdits: true });
    expect(openedTag(loc)).toBe(2);
    expect(saved.keptEditedRules).toBe(
      path.join(modelPaths(loc).rulesDir, `distilled.rules.json.edited-${saved.generation}`),
    );
    expect(fs.readFileSync(saved.keptEditedRules!, 'utf8')).toBe(text);
    expect(kept()).toEqual([path.basename(saved.keptEditedRules!)]);
  });

  it('a rule file it cannot check is kept when replaced, even without discardEdits', async () => {
    const text = '{ "format": "neurules.rules", "rules": [ half an edit';
    fs.writeFileSync(modelPaths(loc).rules, text);
    const saved = await saveModel(loc, germanCreditArtifacts(2));
    expect(openedTag(loc)).toBe(2);
    expect(fs.readFileSync(saved.keptEditedRules!, 'utf8')).toBe(text);
  });

  it('committed rules are replaced without a copy', async () => {
    const saved = await saveModel(loc, germanCreditArtifacts(2));
    expect(saved.keptEditedRules).toBeUndefined();
    expect(kept()).toEqual([]);
  });

  it('a failure after the copy is made removes the copy and leaves the edit in place', async () => {
    const text = editRules();
    const rulesDir = modelPaths(loc).rulesDir;
    // The new rules' temporary file taken away: the copy is made, then the commit's
    // rename fails (ENOENT).
    const e = await saveModel(loc, germanCreditArtifacts(2), {
      discardEdits: true,
      afterStep: (s) => {
        if (s !== 'write rules temp') return;
        for (const f of fs.readdirSync(rulesDir))
          if (f.endsWith('.tmp')) fs.rmSync(path.join(rulesDir, f));
      },
    }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'WRITE_FAILED' });
    expect(fs.readFileSync(modelPaths(loc).rules, 'utf8')).toBe(text);
    expect(kept()).toEqual([]);
    expect(fs.readdirSync(rulesDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('expectRulesFile: the file must hold exactly the bytes checked (FILE_CHANGED otherwise), and is not kept', async () => {
    const text = editRules();
    const checked = loadModel(loc, { allowEditedRules: true }).rulesFileSha256;
    let later = '';
    const e = await saveModel(loc, germanCreditArtifacts(2), {
      expectRulesFile: checked,
      afterStep: (s) => {
        if (s === 'write rules temp') {
          later = text.replace('1234', '4321');
          fs.writeFileSync(modelPaths(loc).rules, later);
        }
      },
    }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'FILE_CHANGED', file: modelPaths(loc).rules });
    expect(fs.readFileSync(modelPaths(loc).rules, 'utf8')).toBe(later);
    expectClean(1);
    // Unchanged, the checked file is replaced, and not kept: it is what is committed.
    const now = loadModel(loc, { allowEditedRules: true }).rulesFileSha256;
    const saved = await saveModel(loc, germanCreditArtifacts(2), { expectRulesFile: now });
    expect(saved.keptEditedRules).toBeUndefined();
    expect(openedTag(loc)).toBe(2);
  });
});

describe('the single-folder layout of earlier versions', () => {
  it('opens, and the next save replaces it with a generation and removes the old files', async () => {
    const m = loadModel(loc);
    const legacy: ModelLocation = { ...loc, name: 'legacy' };
    const p = modelPaths(legacy);
    fs.mkdirSync(p.rulesDir, { recursive: true });
    fs.cpSync(m.dir, p.dir, { recursive: true });
    fs.rmSync(path.join(p.dir, m.manifest.rulesFile!));
    const { generation: _g, files: _f, rulesFile: _r, ...manifest } = m.manifest;
    fs.writeFileSync(
      path.join(p.dir, 'manifest.json'),
      JSON.stringify({ ...manifest, version: 1 }),
    );
    const { generation: _rg, ...rules } = m.ruleSet;
    fs.writeFileSync(p.rules, JSON.stringify({ ...rules, version: 1 }));
    expect(openedTag(legacy)).toBe(1);
    await saveModel(legacy, germanCreditArtifacts(2));
    expect(openedTag(legacy)).toBe(2);
    expect(fs.readdirSync(p.dir).filter((e) => !/^\d{8}T/.test(e))).toEqual([]);
  });
});

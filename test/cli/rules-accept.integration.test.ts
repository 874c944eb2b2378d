import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lockModel } from '../../src/artifacts/model-lock';
import { loadModel, modelPaths, saveModel } from '../../src/artifacts/model-store';
import type { ModelLocation } from '../../src/artifacts/types';
import { EXIT, reportError } from '../../src/cli/main';
import type { RulesAcceptEntry } from '../../src/artifacts/changes-log';
import { acceptRules } from '../../src/pipeline/accept-rules';
import { openStudio } from '../../src/studio/session';
import type { RuleSet } from '../../src/rules/types';
import { copyGermanCredit, GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';
import { germanCreditArtifacts } from '../helpers/model-artifacts';
import { runCli } from '../helpers/run-cli';
import { sink } from '../helpers/sink';
import { createApp } from '../../src/server/create-app';
import { applicant } from '../server/applicant';

let dir: string;
let loc: ModelLocation;
let dirs: string[];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-accept-'));
  loc = copyGermanCredit(dir, GERMAN_CREDIT_FROZEN);
  dirs = ['--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const rulesFile = (): string => modelPaths(loc).rules;
const readRules = (): RuleSet => JSON.parse(fs.readFileSync(rulesFile(), 'utf8')) as RuleSet;

/** Set every `duration` threshold of value `from` to `to`, in the rules named (all if none). */
function editDuration(from: number, to: number, only?: string[]): void {
  const ruleSet = readRules();
  const visit = (c: Record<string, unknown>): void => {
    for (const k of ['all', 'any'] as const) {
      if (Array.isArray(c[k])) (c[k] as Record<string, unknown>[]).forEach(visit);
    }
    if (c.fact === 'duration' && c.value === from) c.value = to;
  };
  for (const r of ruleSet.rules) {
    if (!only || only.includes(r.name)) visit(r.conditions as unknown as Record<string, unknown>);
  }
  fs.writeFileSync(rulesFile(), JSON.stringify(ruleSet, null, 2));
}

const lastCode = (stderr: string): string[] =>
  [...stderr.matchAll(/^error (?:\S+ )?([A-Z_]+) /gm)].map((m) => m[1]!);

describe('an edited distilled rule file', () => {
  it.each([
    ['predict', ['predict', '--model', 'german-credit', '--input', 'data/german-credit.csv']],
    [
      'explain',
      ['explain', '--model', 'german-credit', '--input', 'data/german-credit.csv', '--row', '2'],
    ],
    ['audit', ['audit', '--model', 'german-credit', '--out', 'OUT.md']],
    ['rules lint', ['rules', 'lint', '--model', 'german-credit']],
    ['rules impact', ['rules', 'impact', '--model', 'german-credit']],
    ['rules test', ['rules', 'test', '--model', 'german-credit']],
    ['export', ['export', '--model', 'german-credit', '--output', 'OUT.json']],
  ])('stops %s with RULES_MODIFIED (exit 2) and a hint to accept it', async (_name, args) => {
    editDuration(40, 36);
    const argv = args.map((a) => (a.startsWith('OUT') ? path.join(dir, a) : a));
    const r = await runCli([...argv, ...dirs]);
    expect(r.code).toBe(EXIT.usage);
    expect(lastCode(r.stderr)).toContain('RULES_MODIFIED');
    expect(r.stderr).toContain(rulesFile());
    expect(r.stderr).toMatch(/^hint: .*rules accept/m);
  });

  it('a rule deciding a class the model does not have is refused by rules accept, naming the rule', async () => {
    const ruleSet = readRules();
    ruleSet.rules[1]!.event.params.class = 'foo';
    fs.writeFileSync(rulesFile(), JSON.stringify(ruleSet));
    const r = await runCli(['rules', 'accept', '--model', 'german-credit', ...dirs]);
    expect(r.code).toBe(EXIT.usage);
    expect(lastCode(r.stderr)).toEqual(['RULE_UNKNOWN_CLASS']);
    expect(r.stderr).toContain("'R02'");
    expect(fs.existsSync(modelPaths(loc).changes)).toBe(false);
  });
});

describe('event params that the consumers read', () => {
  /** The issue's example: params no consumer can use, apart from class and ruleId. */
  const breakParams = (ruleSet: RuleSet): void => {
    const params = ruleSet.rules[3]!.event.params as unknown as Record<string, unknown>;
    params.confidence = 'high';
    params.probabilities = { bad: -7, evil: 2 };
  };
  const places = (stderr: string): string[] =>
    [...stderr.matchAll(/^error \S+ ([A-Z_]+) \[(rules\[\d+\] \(rule '\w+'\) \S+)\] /gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );

  it('rules accept refuses them, naming each place, and records nothing', async () => {
    const ruleSet = readRules();
    breakParams(ruleSet);
    const text = JSON.stringify(ruleSet, null, 2);
    fs.writeFileSync(rulesFile(), text);
    const r = await runCli(['rules', 'accept', '--model', 'german-credit', ...dirs]);
    expect(r.code).toBe(EXIT.usage);
    expect(places(r.stderr)).toEqual([
      "RULE_INVALID_PARAMS rules[3] (rule 'R04') event.params.probabilities.bad",
      "RULE_UNKNOWN_CLASS rules[3] (rule 'R04') event.params.probabilities.evil",
      "RULE_INVALID_PARAMS rules[3] (rule 'R04') event.params.probabilities",
      "RULE_INVALID_PARAMS rules[3] (rule 'R04') event.params.confidence",
    ]);
    expect(r.stderr).not.toMatch(/internal error|TypeError/);
    expect(fs.existsSync(modelPaths(loc).changes)).toBe(false);
    expect(fs.readFileSync(rulesFile(), 'utf8')).toBe(text);
  });

  describe('committed with the model (as an earlier neurules accepted them)', () => {
    beforeEach(async () => {
      // saveModel commits what it is given (build and accept verify before it): the
      // rule file and the manifest's hash agree, so only the verification of the params
      // stands between these rules and the commands.
      const artifacts = germanCreditArtifacts(7, loc);
      breakParams(artifacts.ruleSet);
      await saveModel(loc, artifacts);
    });

    it.each([
      ['predict', ['predict', '--model', 'german-credit', '--input', 'data/german-credit.csv']],
      [
        'explain',
        ['explain', '--model', 'german-credit', '--input', 'data/german-credit.csv', '--row', '2'],
      ],
      ['export', ['export', '--model', 'german-credit', '--format', 'dmn']],
    ])('stop %s with RULE_INVALID_PARAMS (exit 2), not a TypeError', async (_name, args) => {
      const r = await runCli([...args, ...dirs]);
      expect(r.code).toBe(EXIT.usage);
      expect(r.stdout).toBe('');
      expect(places(r.stderr)).toContain(
        "RULE_INVALID_PARAMS rules[3] (rule 'R04') event.params.confidence",
      );
      expect(r.stderr).toContain(rulesFile());
      expect(r.stderr).not.toMatch(/internal error|TypeError/);
    });

    it('stop the studio from opening', async () => {
      await expect(openStudio(loc)).rejects.toMatchObject({
        code: 'RULE_INVALID_PARAMS',
        field: "rules[3] (rule 'R04') event.params.probabilities.bad",
      });
    });

    it('stop the service from starting', async () => {
      const started = createApp({
        model: 'german-credit',
        modelsDir: loc.modelsDir,
        rulesDir: loc.rulesDir,
        network: false,
      });
      await expect(started).rejects.toMatchObject({
        code: 'RULE_INVALID_PARAMS',
        field: "rules[3] (rule 'R04') event.params.probabilities.bad",
        file: rulesFile(),
      });
    });
  });
});

describe('the service', () => {
  it('refuses a reload of a hand-edited rule file (422 RULES_MODIFIED) and keeps serving the rules it had', async () => {
    const app = await createApp({
      model: 'german-credit',
      modelsDir: loc.modelsDir,
      rulesDir: loc.rulesDir,
      network: false,
      adminToken: 'secret',
    });
    try {
      const before = app.ruleSetHash();
      const ruleSet = readRules();
      for (const r of ruleSet.rules) r.event.params.class = 'foo';
      fs.writeFileSync(rulesFile(), JSON.stringify(ruleSet));
      const reload = await app.inject({
        method: 'POST',
        url: '/v1/admin/reload',
        headers: { authorization: 'Bearer secret' },
      });
      expect(reload.statusCode).toBe(422);
      expect(reload.json().issues[0]).toMatchObject({ code: 'RULES_MODIFIED', file: rulesFile() });
      expect(app.ruleSetHash()).toBe(before);
      const answer = await app.inject({ method: 'POST', url: '/v1/predict', payload: applicant });
      expect(answer.statusCode).toBe(200);
      expect(answer.json().class).toMatch(/^(good|bad)$/);
    } finally {
      await app.close();
    }
  });
});

describe('neurules rules accept', () => {
  it('records a consistent edit: verified, partition checked, impact shown, logged, and then opened as the model', async () => {
    const before = loadModel(loc);
    editDuration(40, 30);
    const r = await runCli(['rules', 'accept', '--model', 'german-credit', '--json', ...dirs]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.ok);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({
      edited: true,
      accepted: true,
      from: before.manifest.rulesHash,
      changes: { changed: ['R03', 'R04', 'R05'], added: [], removed: [], reordered: false },
    });
    expect(result.impact.records).toBe(300);
    expect(result.impact.changed).toBeGreaterThan(0);
    const after = loadModel(loc);
    expect(after.rulesHash).toBe(result.to);
    expect(after.manifest.rulesHash).toBe(result.to);
    expect(after.manifest.generation).toBe(result.generation);
    expect(after.manifest.generation).not.toBe(before.manifest.generation);
    expect(after.metrics.rulesAccuracy).toBe(result.impact.accuracy.after);
    expect(after.metrics.fidelity).toBe(result.impact.fidelity.after);
    const log = fs
      .readFileSync(modelPaths(loc).changes, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RulesAcceptEntry);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      from: result.from,
      to: result.to,
      generation: result.generation,
    });
    const predicted = await runCli([
      'predict',
      '--model',
      'german-credit',
      '--input',
      'data/german-credit.csv',
      '--output',
      path.join(dir, 'p.jsonl'),
      ...dirs,
    ]);
    expect(predicted.code).toBe(EXIT.ok);
    // Nothing left to accept.
    const again = await runCli(['rules', 'accept', '--model', 'german-credit', '--json', ...dirs]);
    expect(JSON.parse(again.stdout)).toMatchObject({ edited: false, accepted: false });
  });

  it('refuses an edit that leaves records no rule decides (RULES_GAP with an example record), recording nothing', async () => {
    editDuration(40, 44, ['R05']);
    const r = await runCli(['rules', 'accept', '--model', 'german-credit', ...dirs]);
    expect(r.code).toBe(EXIT.usage);
    expect(lastCode(r.stderr)).toContain('RULES_GAP');
    expect(r.stderr).toMatch(/duration/);
    expect(fs.existsSync(modelPaths(loc).changes)).toBe(false);
    expect(() => loadModel(loc)).toThrow(expect.objectContaining({ code: 'RULES_MODIFIED' }));
  });

  it('refuses an edit that sends records to two rules (RULES_OVERLAP naming both)', async () => {
    editDuration(40, 36, ['R05']);
    const r = await runCli(['rules', 'accept', '--model', 'german-credit', ...dirs]);
    expect(r.code).toBe(EXIT.usage);
    expect(lastCode(r.stderr)).toContain('RULES_OVERLAP');
    expect(r.stderr).toContain('R05');
  });

  it('--dry-run checks and measures, and records nothing', async () => {
    editDuration(40, 36);
    const r = await runCli(['rules', 'accept', '--model', 'german-credit', '--dry-run', ...dirs]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/changed +\d+ of 300 decisions/);
    expect(r.stdout).toMatch(/dry run/);
    expect(fs.existsSync(modelPaths(loc).changes)).toBe(false);
    expect(() => loadModel(loc)).toThrow(expect.objectContaining({ code: 'RULES_MODIFIED' }));
  });

  it('refuses an edit saved while it runs (FILE_CHANGED) and keeps that edit on disk, to be accepted in turn', async () => {
    const before = loadModel(loc);
    editDuration(40, 30);
    let later = '';
    const e = await acceptRules(loc, {
      backend: 'cpu',
      // Between the verification and the commit's rename: the window a lost update needs.
      afterSaveStep: (step) => {
        if (step !== 'write rules temp') return;
        editDuration(30, 32);
        later = fs.readFileSync(rulesFile(), 'utf8');
      },
    }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'FILE_CHANGED', file: rulesFile() });
    expect(fs.readFileSync(rulesFile(), 'utf8')).toBe(later);
    expect(fs.existsSync(modelPaths(loc).changes)).toBe(false);
    const now = loadModel(loc, { allowEditedRules: true });
    expect(now.manifest.generation).toBe(before.manifest.generation);
    expect(fs.readdirSync(modelPaths(loc).dir)).toEqual([before.manifest.generation]);
    // The CLI says what to do next.
    const err = sink();
    expect(reportError(e, err, { name: 'rules accept', options: [] })).toBe(EXIT.usage);
    expect(err.text()).toMatch(/^error \S+ FILE_CHANGED /m);
    expect(err.text()).toMatch(/^hint: .*rules accept/m);
    // The newer edit is the one accepted next.
    const r = await runCli(['rules', 'accept', '--model', 'german-credit', '--json', ...dirs]);
    expect(r.code).toBe(EXIT.ok);
    expect(JSON.parse(r.stdout).to).toBe(now.rulesHash);
    expect(loadModel(loc).rulesHash).toBe(now.rulesHash);
  });

  it('is refused while a build holds the model (MODEL_LOCKED)', async () => {
    editDuration(40, 36);
    const lock = lockModel(modelPaths(loc).dir, 'build');
    try {
      const r = await runCli(['rules', 'accept', '--model', 'german-credit', ...dirs]);
      expect(r.code).toBe(EXIT.usage);
      expect(lastCode(r.stderr)).toEqual(['MODEL_LOCKED']);
    } finally {
      lock.release();
    }
  });
});

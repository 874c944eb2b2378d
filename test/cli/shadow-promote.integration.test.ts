import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readChanges, type RulesPromoteEntry } from '../../src/artifacts/changes-log';
import { lockModel } from '../../src/artifacts/model-lock';
import { loadModel, modelPaths } from '../../src/artifacts/model-store';
import { readHistory } from '../../src/artifacts/rule-archive';
import type { ModelLocation } from '../../src/artifacts/types';
import type { AuditReport } from '../../src/audit/types';
import { EXIT } from '../../src/cli/main';
import { commitDistilledRules } from '../../src/pipeline/commit-distilled-rules';
import { createApp } from '../../src/server/create-app';
import {
  archiveWithSchema,
  copyAsModel,
  decideWith,
  writeOverride,
  youngOverride,
} from '../helpers/challenger-model';
import { copyGermanCredit } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';
import { applicant } from '../server/applicant';

const older = { ...applicant, age: 61, checking_status: 'no checking' };

let dir: string;
let champion: ModelLocation;
let challenger: ModelLocation;
let dirs: string[];
let championHash: string;
let challengerHash: string;
/** The rule that decides the applicant, whose class the challenger flips. */
let flipped: string;
const log = () => path.join(dir, 'decisions.jsonl');

/** `neurules rules promote --model german-credit ARGS...` on the copied model. */
const promote = (...args: string[]) =>
  runCli(['rules', 'promote', '--model', 'german-credit', ...dirs, ...args]);

const codesOf = (stderr: string): string[] =>
  [...stderr.matchAll(/^error (?:\S+ )?([A-Z_]+) /gm)].map((m) => m[1]!);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-promote-'));
  champion = copyGermanCredit(dir);
  dirs = ['--models-dir', champion.modelsDir, '--rules-dir', champion.rulesDir];
  challenger = copyAsModel(champion, 'challenger');
  // The challenger: the champion's distilled rules with one rule's class flipped, committed
  // as a generation of its own (same network, same schema), and the same overrides.
  const c = await decideWith(champion, applicant);
  championHash = c.hash;
  flipped = c.decision.ruleId;
  const m = loadModel(challenger);
  const other = m.schema.classes.find((k) => k !== c.decision.class)!;
  const rules = structuredClone(m.ruleSet);
  const rule = rules.rules.find((r) => r.name === flipped)!;
  rule.event.params.class = other;
  const lock = lockModel(modelPaths(challenger).dir, 'test');
  try {
    await commitDistilledRules(challenger, m, rules, m.metrics, { lock });
  } finally {
    lock.release();
  }
  challengerHash = (await decideWith(challenger, applicant)).hash;
  expect(challengerHash).not.toBe(championHash);

  // Decisions served with the challenger in the shadow, logged.
  const app = await createApp({
    model: champion.name,
    modelsDir: champion.modelsDir,
    rulesDir: champion.rulesDir,
    network: false,
    shadow: 'challenger',
    decisionLog: { file: log() },
  });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/predict',
        payload: [applicant, older],
        headers: { 'x-request-id': `req-${i}` },
      });
      expect(r.statusCode).toBe(200);
    }
  } finally {
    await app.close();
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('audit and replay of a log with shadow fields', () => {
  it('the audit reports agreement by class and the disagreements; lines without shadow apart', async () => {
    const lines = fs.readFileSync(log(), 'utf8').trim().split('\n');
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    const { shadow: _s, ...plain } = first;
    const file = path.join(dir, 'audited.jsonl');
    fs.writeFileSync(
      file,
      [
        ...lines,
        JSON.stringify({ ...plain, requestId: 'no-shadow' }),
        JSON.stringify({ ...first, requestId: 'failed', shadow: { error: 'it broke' } }),
        JSON.stringify({ ...first, shadow: { class: 'good' } }), // no rule, no rule set
        JSON.stringify({ ...first, shadow: 'good' }),
      ].join('\n') + '\n',
    );
    const out = path.join(dir, 'audit.json');
    const r = await runCli([
      'audit',
      '--model',
      'german-credit',
      ...dirs,
      '--log',
      file,
      '--out',
      out,
    ]);
    expect(r.code).toBe(EXIT.ok);
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as AuditReport;
    const s = report.shadow!;
    expect(s.decisions).toBe(6);
    expect(s.errors).toBe(1);
    expect(s.withoutShadow).toBe(1);
    expect(report.drift!.unreadable).toBe(2);
    expect(s.challengers).toEqual([{ ruleSet: challengerHash, decisions: 6 }]);
    expect(s.disagreementCount).toBe(3);
    expect(s.agreed).toBe(3);
    expect(s.agreement).toBeCloseTo(0.5, 10);
    expect(s.disagreements.map((d) => [d.line, d.requestId, d.champion.ruleId])).toEqual([
      [1, 'req-0', flipped],
      [3, 'req-1', flipped],
      [5, 'req-2', flipped],
    ]);
    expect(s.byClass.reduce((n, p) => n + p.count, 0)).toBe(6);
    expect(r.stderr).toMatch(/challenger: 6 decisions, agreement 0\.500, 3 disagreement/);
    const md = path.join(dir, 'audit.md');
    expect(
      (await runCli(['audit', '--model', 'german-credit', ...dirs, '--log', file, '--out', md]))
        .code,
    ).toBe(EXIT.ok);
    expect(fs.readFileSync(md, 'utf8')).toContain('## Champion and challenger');
  });

  it('replay replays the champion of a log with shadow fields', async () => {
    const r = await runCli([
      'replay',
      '--model',
      'german-credit',
      ...dirs,
      '--log',
      log(),
      '--json',
    ]);
    expect(r.code).toBe(EXIT.ok);
    expect(JSON.parse(r.stdout)).toMatchObject({ reproduced: 6 });
  });
});

describe('serve --shadow at the command line', () => {
  it('refuses a challenger of another schema before listening, naming the features', async () => {
    const m = await decideWith(challenger, applicant);
    const rules = structuredClone(m.model.ruleSet);
    rules.rules.at(-1)!.event.params.support += 7;
    const hash = archiveWithSchema(champion, rules, m.model.schema, (s) => ({
      ...s,
      features: s.features.filter((f) => f.name !== 'own_telephone'),
    }));
    const r = await runCli([
      'serve',
      '--model',
      'german-credit',
      ...dirs,
      '--no-network',
      '--port',
      '0',
      '--shadow',
      hash.slice(0, 16),
    ]);
    expect(r.code).toBe(EXIT.usage);
    expect(codesOf(r.stderr)).toEqual(['CHALLENGER_SCHEMA_MISMATCH']);
    expect(r.stderr).toContain('shadow.features.own_telephone');
    const p = await promote('--from', hash);
    expect(p.code).toBe(EXIT.usage);
    expect(codesOf(p.stderr)).toEqual(['CHALLENGER_SCHEMA_MISMATCH']);
    fs.rmSync(path.join(champion.rulesDir, 'german-credit', 'archive', `${hash}.json`));
  });
});

describe('rules promote', () => {
  it("refuses a challenger whose overrides are not the model's files, committing nothing", async () => {
    const other = copyAsModel(challenger, 'challenger-young');
    writeOverride(other, 'young.yaml', youngOverride('good'));
    const rules = fs.readFileSync(modelPaths(champion).rules);
    const r = await promote('--from', 'challenger-young');
    expect(r.code).toBe(EXIT.usage);
    expect(codesOf(r.stderr)).toEqual(['PROMOTE_OVERRIDES_DIFFER']);
    expect(r.stderr).toContain('overrides.young-challenger');
    expect(fs.readFileSync(modelPaths(champion).rules)).toEqual(rules);
    expect(fs.existsSync(modelPaths(champion).changes)).toBe(false);
  });

  it('refuses an unknown challenger at field from', async () => {
    const r = await promote('--from', 'nope', '--json');
    expect(r.code).toBe(EXIT.usage);
    expect(codesOf(r.stderr)).toEqual(['RULE_SET_NOT_FOUND']);
  });

  it("commits the challenger's rules: the service then serves the challenger's hash", async () => {
    const dry = await promote('--from', 'challenger', '--dry-run', '--json');
    expect(dry.code).toBe(EXIT.ok);
    expect(JSON.parse(dry.stdout)).toMatchObject({ changed: true, committed: false });
    expect((await decideWith(champion, applicant)).hash).toBe(championHash);

    const r = await promote(
      '--from',
      'challenger',
      '--reason',
      'three requests in shadow',
      '--json',
    );
    expect(r.code).toBe(EXIT.ok);
    const result = JSON.parse(r.stdout) as {
      after: string;
      before: string;
      changes: { changed: string[] };
      generation: string;
    };
    expect(result).toMatchObject({ before: championHash, after: challengerHash, committed: true });
    expect(result.changes.changed).toEqual([flipped]);
    const app = await createApp({
      model: champion.name,
      modelsDir: champion.modelsDir,
      rulesDir: champion.rulesDir,
      network: false,
    });
    try {
      expect(app.ruleSetHash()).toBe(challengerHash);
    } finally {
      await app.close();
    }
    const change = readChanges(modelPaths(champion).changes).entries.at(-1) as RulesPromoteEntry;
    expect(change).toMatchObject({
      kind: 'rules promote',
      reason: 'three requests in shadow',
      promoted: { kind: 'model', model: 'challenger' },
      generation: result.generation,
      before: championHash,
      after: challengerHash,
    });
    expect(readHistory(champion).entries.at(-1)).toMatchObject({
      made: 'rules promote',
      hash: challengerHash,
      generation: result.generation,
    });
    const h = await runCli(['history', '--model', 'german-credit', ...dirs]);
    expect(h.code).toBe(EXIT.ok);
    expect(h.stdout).toContain('three requests in shadow');

    // Promoting it again changes nothing; promoting the old rule set back by its hash in
    // the archive is a rollback.
    const again = await promote('--from', 'challenger', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, committed: false });
    const back = await promote('--from', championHash.slice(0, 12), '--json');
    expect(back.code).toBe(EXIT.ok);
    expect(JSON.parse(back.stdout)).toMatchObject({
      promoted: { kind: 'archive', hash: championHash },
      after: championHash,
      committed: true,
    });
    expect((await decideWith(champion, applicant)).hash).toBe(championHash);
  });
});

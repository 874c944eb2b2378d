import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DecisionLogEntry } from '../../src/audit/decision-log';
import { modelPaths } from '../../src/artifacts/model-store';
import { recordRuleSet } from '../../src/artifacts/rule-archive';
import type { ModelLocation } from '../../src/artifacts/types';
import type { Decider } from '../../src/engine/types';
import { createApp, type AppOptions, type NeurulesApp } from '../../src/server/create-app';
import {
  archiveWithSchema,
  copyAsModel,
  decideWith,
  writeOverride,
  youngOverride,
} from '../helpers/challenger-model';
import { rejection } from '../helpers/fifo';
import { copyGermanCredit } from '../helpers/german-credit';
import { applicant } from './applicant';

const older = { ...applicant, age: 61, checking_status: 'no checking' };

let dir: string;
let champion: ModelLocation;
let challenger: ModelLocation;
/** The class the champion gives the applicant, and the other one the challenger gives. */
let championClass: string;
let otherClass: string;
let challengerHash: string;
const apps: NeurulesApp[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-shadow-'));
  champion = copyGermanCredit(dir);
  challenger = copyAsModel(champion, 'challenger');
  const c = await decideWith(champion, applicant);
  championClass = c.decision.class;
  otherClass = c.model.schema.classes.find((k) => k !== championClass)!;
  writeOverride(challenger, 'young.yaml', youngOverride(otherClass));
  challengerHash = (await decideWith(challenger, applicant)).hash;
});
afterAll(async () => {
  for (const app of apps) await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function serve(options: Partial<AppOptions> = {}): Promise<NeurulesApp> {
  const app = await createApp({
    model: champion.name,
    modelsDir: champion.modelsDir,
    rulesDir: champion.rulesDir,
    network: false,
    adminToken: 'secret',
    ...options,
  });
  apps.push(app);
  return app;
}

const predict = (app: NeurulesApp, payload: unknown, url = '/v1/predict') =>
  app.inject({
    method: 'POST',
    url,
    payload: payload as object,
    headers: { 'x-request-id': 'same-id' },
  });

const linesOf = (file: string): DecisionLogEntry[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as DecisionLogEntry);

/** The value of a Prometheus series with these labels, or 0 when absent. */
function series(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('serve --shadow MODEL', () => {
  it('answers exactly as without a challenger (status, headers, body)', async () => {
    const plain = await serve({ decisionLog: { file: path.join(dir, 'plain.jsonl') } });
    const shadowed = await serve({
      decisionLog: { file: path.join(dir, 'shadowed.jsonl') },
      shadow: 'challenger',
    });
    const requests: [unknown, string][] = [
      [applicant, '/v1/predict'],
      [[applicant, older], '/v1/predict'],
      [[applicant, older], '/v1/predict?explain=true'],
      [{ ...applicant, age: 'old' }, '/v1/predict'],
      [[], '/v1/predict'],
    ];
    for (const [payload, url] of requests) {
      const a = await predict(plain, payload, url);
      const b = await predict(shadowed, payload, url);
      expect(b.statusCode).toBe(a.statusCode);
      expect(b.body).toBe(a.body);
      const { date: _a, ...ha } = a.headers;
      const { date: _b, ...hb } = b.headers;
      expect(hb).toEqual(ha);
    }
    // Without a challenger, no series of one.
    expect((await plain.inject({ url: '/metrics' })).body).not.toContain('neurules_shadow');
    expect((await shadowed.inject({ url: '/metrics' })).body).toContain(
      'neurules_shadow_errors_total 0',
    );
  });

  it("logs the challenger's class, rule and rule set in each line, and counts them in /metrics", async () => {
    const file = path.join(dir, 'log.jsonl');
    const app = await serve({ decisionLog: { file }, shadow: 'challenger' });
    expect(app.shadowRuleSetHash()).toBe(challengerHash);
    const r = await predict(app, [applicant, older]);
    expect(r.statusCode).toBe(200);
    const answers = r.json<{ class: string; ruleId: string }[]>();
    expect(answers[0]!.class).toBe(championClass);
    const lines = linesOf(file);
    expect(lines).toHaveLength(2);
    expect(lines[0]!.class).toBe(championClass);
    expect(lines[0]!.shadow).toEqual({
      class: otherClass,
      ruleId: 'young-challenger',
      ruleSet: challengerHash,
    });
    // The older applicant is outside the challenger's override: both decide alike.
    expect(lines[1]!.shadow).toEqual({
      class: answers[1]!.class,
      ruleId: answers[1]!.ruleId,
      ruleSet: challengerHash,
    });
    const text = (await app.inject({ url: '/metrics' })).body;
    const disagree = `{champion="${championClass}",challenger="${otherClass}"}`;
    const agree = `{champion="${answers[1]!.class}",challenger="${answers[1]!.class}"}`;
    expect(series(text, 'neurules_shadow_decisions_total', disagree)).toBe(1);
    expect(series(text, 'neurules_shadow_decisions_total', agree)).toBe(1);
    expect(series(text, 'neurules_shadow_disagreements_total', disagree)).toBe(1);
    expect(series(text, 'neurules_shadow_disagreements_total', agree)).toBe(0);
    expect(series(text, 'neurules_shadow_errors_total')).toBe(0);
    const model = (await app.inject({ url: '/v1/model' })).json<{ shadow: unknown }>();
    expect(model.shadow).toEqual({
      ruleSet: challengerHash,
      from: { kind: 'model', model: 'challenger' },
    });
  });

  it('a challenger that fails on a record logs shadow.error, and the answer stands', async () => {
    const file = path.join(dir, 'failing.jsonl');
    let calls = 0;
    const failing = (d: Decider): Decider => ({
      decide(record) {
        calls++;
        // Fails on the first record of each batch only: the others are still decided.
        if (calls % 2 === 1) throw new Error('challenger broke\non two lines');
        return d.decide(record);
      },
    });
    const app = await serve({ decisionLog: { file }, shadow: 'challenger', wrapShadow: failing });
    const plain = await serve();
    const r = await predict(app, [applicant, older]);
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe((await predict(plain, [applicant, older])).body);
    const lines = linesOf(file);
    expect(lines[0]!.shadow).toEqual({ error: 'challenger broke' });
    expect(lines[1]!.shadow).toMatchObject({ ruleSet: challengerHash });
    const text = (await app.inject({ url: '/metrics' })).body;
    expect(series(text, 'neurules_shadow_errors_total')).toBe(1);
    // A rejected promise (an async decider) is the same.
    const rejecting = await serve({
      shadow: 'challenger',
      wrapShadow: () => ({ decide: () => Promise.reject(new Error('async failure')) }),
      decisionLog: { file: path.join(dir, 'rejecting.jsonl') },
    });
    expect((await predict(rejecting, applicant)).statusCode).toBe(200);
    // A thrown value that is not an Error, and one that cannot be turned into text.
    const odd = await serve({
      shadow: 'challenger',
      wrapShadow: () => ({
        decide: () => {
          throw Object.create(null);
        },
      }),
      decisionLog: { file: path.join(dir, 'odd.jsonl') },
    });
    expect((await predict(odd, [applicant, older])).statusCode).toBe(200);
    expect(linesOf(path.join(dir, 'odd.jsonl')).map((l) => l.shadow)).toEqual([
      { error: 'the challenger failed' },
      { error: 'the challenger failed' },
    ]);
    expect(linesOf(path.join(dir, 'rejecting.jsonl'))[0]!.shadow).toEqual({
      error: 'async failure',
    });
  });

  it('a reload reloads the challenger too; a challenger that no longer loads refuses the reload', async () => {
    const own = copyAsModel(challenger, 'reloaded');
    const app = await serve({ shadow: 'reloaded' });
    expect(app.shadowRuleSetHash()).toBe(challengerHash);
    fs.rmSync(path.join(modelPaths(own).overrides, 'young.yaml'));
    const r = await app.inject({
      method: 'POST',
      url: '/v1/admin/reload',
      headers: { authorization: 'Bearer secret' },
    });
    expect(r.statusCode).toBe(200);
    // Without its override the challenger is the champion's distilled rules and overrides.
    expect(app.shadowRuleSetHash()).toBe(app.ruleSetHash());
    writeOverride(own, 'broken.yaml', '- id: [\n');
    const refused = await app.reload();
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.issues[0]!.file).toContain('broken.yaml');
    expect(app.shadowRuleSetHash()).toBe(app.ruleSetHash());
  });
});

describe('serve --shadow HASH', () => {
  it("decides with a rule set of the model's archive by a 12-digit prefix", async () => {
    const merged = (await decideWith(challenger, applicant)).model;
    recordRuleSet(champion, { ruleSet: merged.ruleSet, schema: merged.schema, made: 'build' });
    const file = path.join(dir, 'by-hash.jsonl');
    const app = await serve({
      shadow: challengerHash.slice(0, 12).toUpperCase(),
      decisionLog: { file },
    });
    expect(app.shadowRuleSetHash()).toBe(challengerHash);
    expect((await predict(app, applicant)).statusCode).toBe(200);
    expect(linesOf(file)[0]!.shadow).toMatchObject({ class: otherClass, ruleSet: challengerHash });
  });

  it.each([
    ['a prefix of 11 digits', () => challengerHash.slice(0, 11)],
    ['a hash not in the archive', () => 'ab'.repeat(32)],
    ['a name of no model', () => 'no-such-model'],
    ['a path', () => '../german-credit'],
  ])('refuses %s with RULE_SET_NOT_FOUND at field shadow', async (_what, other) => {
    const e = await rejection(serve({ shadow: other() }));
    expect(e.code).toBe('RULE_SET_NOT_FOUND');
    expect(e.field).toBe('shadow');
  });

  it('refuses a name that is both a model and a hash prefix (INVALID_ARGUMENT at field shadow)', async () => {
    const both = challengerHash.slice(0, 12);
    copyAsModel(champion, both);
    const e = await rejection(serve({ shadow: both }));
    expect([e.code, e.field]).toEqual(['INVALID_ARGUMENT', 'shadow']);
    fs.rmSync(modelPaths({ ...champion, name: both }).dir, { recursive: true });
    fs.rmSync(modelPaths({ ...champion, name: both }).rulesDir, { recursive: true });
  });

  it('refuses a challenger of another schema at start, naming each differing feature', async () => {
    const merged = (await decideWith(challenger, applicant)).model;
    const rules = structuredClone(merged.ruleSet);
    rules.rules.at(-1)!.event.params.support += 1; // another hash than the live one
    const hash = archiveWithSchema(champion, rules, merged.schema, (s) => ({
      ...s,
      features: [
        ...s.features
          .filter((f) => f.name !== 'num_dependents')
          .map((f) =>
            f.name === 'housing' && f.type === 'categorical'
              ? { ...f, levels: [...f.levels, 'boat'] }
              : f.name === 'residence_since'
                ? { ...f, type: 'categorical' as const, levels: ['1'], open: false }
                : f,
          ),
        { ...s.features.find((f) => f.type === 'numeric')!, name: 'extra_feature' },
      ] as typeof s.features,
    }));
    const e = await rejection(serve({ shadow: hash }));
    expect(e.issues.map((i) => [i.code, i.field])).toEqual([
      ['CHALLENGER_SCHEMA_MISMATCH', 'shadow.features.residence_since'],
      ['CHALLENGER_SCHEMA_MISMATCH', 'shadow.features.housing'],
      ['CHALLENGER_SCHEMA_MISMATCH', 'shadow.features.num_dependents'],
      ['CHALLENGER_SCHEMA_MISMATCH', 'shadow.features.extra_feature'],
    ]);
  });
});

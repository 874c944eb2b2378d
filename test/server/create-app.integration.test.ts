import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildModel } from '../../src/pipeline/build-model';
import { createApp, type NeurulesApp } from '../../src/server/create-app';

const root = path.join(__dirname, '..', '..');
let dir: string;
let app: NeurulesApp;
const logFile = () => path.join(dir, 'decisions.jsonl');
const setosa = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
const virginica = { sepal_length: 6.9, sepal_width: 3.1, petal_length: 5.8, petal_width: 2.2 };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-server-'));
  await buildModel({
    data: path.join(root, 'data', 'iris.csv'),
    modelsDir: path.join(dir, 'models'),
    rulesDir: path.join(dir, 'rules'),
    seed: 3,
    backend: 'cpu',
    training: { hidden: [16], epochs: 40, patience: 10, learningRate: 0.01 },
  });
  app = await createApp({
    model: 'iris',
    modelsDir: path.join(dir, 'models'),
    rulesDir: path.join(dir, 'rules'),
    backend: 'cpu',
    adminToken: 'secret',
    bodyLimit: 64 * 1024,
    decisionLog: { file: logFile(), redact: ['sepal_width'] },
  });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('HTTP service', () => {
  it('GET /healthz, /v1/model and /v1/rules', async () => {
    const health = await app.inject({ url: '/healthz' });
    expect(health.statusCode).toBe(200);
    const model = (await app.inject({ url: '/v1/model' })).json();
    // The generation and the load time: what a rollout is watched by.
    expect(health.json()).toEqual({
      status: 'ok',
      model: 'iris',
      ruleSet: app.ruleSetHash(),
      generation: model.manifest.generation,
      loadedAt: model.loadedAt,
    });
    expect(model.manifest.generation).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(model.schema.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(typeof model.metrics.fidelity).toBe('number');
    const rules = await app.inject({ url: '/v1/rules' });
    expect(rules.json().format).toBe('neurules.rules');
    expect(rules.headers.etag).toBe(`"${app.ruleSetHash()}"`);
  });

  it('POST /v1/predict decides one record or an array, with the rule-set hash', async () => {
    const one = await app.inject({ method: 'POST', url: '/v1/predict', payload: setosa });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ class: 'setosa', ruleSet: app.ruleSetHash() });
    expect(one.json().ruleId).toMatch(/^R\d+$/);
    const many = await app.inject({
      method: 'POST',
      url: '/v1/predict',
      payload: [setosa, virginica],
    });
    expect(many.json().map((a: { class: string }) => a.class)).toEqual(['setosa', 'virginica']);
  });

  it('?explain=true adds the rule, its conditions and the network', async () => {
    const r = (
      await app.inject({ method: 'POST', url: '/v1/predict?explain=true', payload: virginica })
    ).json();
    expect(r.explanation.rule.text).toContain('→ virginica');
    expect(r.explanation.rule.conditions.every((c: { holds: boolean }) => c.holds)).toBe(true);
    expect(r.explanation.network.class).toBe('virginica');
    // Principal reasons and counterfactuals, each counterfactual checked by the service itself.
    expect(r.explanation.reasons.length).toBeGreaterThan(0);
    expect(r.explanation.counterfactuals.length).toBeGreaterThan(0);
    for (const c of r.explanation.counterfactuals as {
      changes: { feature: string; to: number }[];
      class: string;
    }[]) {
      const changed = { ...virginica } as Record<string, unknown>;
      for (const x of c.changes) changed[x.feature] = x.to;
      const again = (
        await app.inject({ method: 'POST', url: '/v1/predict', payload: changed })
      ).json();
      expect(again.class).toBe(c.class);
      expect(again.class).not.toBe('virginica');
    }
  });

  it('invalid records get a 400 listing every problem with its field', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/predict',
      payload: [setosa, { sepal_lenght: 5, sepal_width: 'wide', petal_length: 1.4 }],
    });
    expect(r.statusCode).toBe(400);
    const issues = r.json().issues as { code: string; field: string; index: number }[];
    expect(issues.map((i) => [i.index, i.code, i.field]).sort()).toEqual(
      [
        [1, 'UNKNOWN_FEATURE', 'sepal_lenght'],
        [1, 'WRONG_TYPE', 'sepal_width'],
        [1, 'MISSING_FEATURE', 'sepal_length'],
        [1, 'MISSING_FEATURE', 'petal_width'],
      ].sort(),
    );
  });

  it('malformed bodies are 4xx, never 500', async () => {
    const bad = [
      {
        payload: '{"sepal_length": ',
        headers: { 'content-type': 'application/json' },
        status: 400,
      },
      {
        payload: 'x'.repeat(70 * 1024),
        headers: { 'content-type': 'application/json' },
        status: 413,
      },
      { payload: 'hello', headers: { 'content-type': 'text/plain' }, status: 415 },
      { payload: '[]', headers: { 'content-type': 'application/json' }, status: 400 },
      { payload: '42', headers: { 'content-type': 'application/json' }, status: 400 },
    ];
    for (const b of bad) {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/predict',
        payload: b.payload,
        headers: b.headers,
      });
      expect([r.statusCode, r.json().error]).toEqual([b.status, expect.any(String)]);
    }
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (body) => {
        const r = await app.inject({
          method: 'POST',
          url: '/v1/predict',
          payload: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        });
        expect(r.statusCode).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });

  it('GET /metrics has request, latency and decision counters', async () => {
    const text = (await app.inject({ url: '/metrics' })).body;
    expect(text).toContain('neurules_requests_total{route="/v1/predict",status="200"}');
    expect(text).toContain('neurules_request_duration_seconds_bucket');
    expect(text).toMatch(/neurules_decisions_total\{rule="R\d+",class="setosa"\} \d+/);
  });

  it('reload needs the token, and a bad rule file is refused while the old set keeps serving', async () => {
    expect((await app.inject({ method: 'POST', url: '/v1/admin/reload' })).statusCode).toBe(401);
    const rulesFile = path.join(dir, 'rules', 'iris', 'distilled.rules.json');
    const good = fs.readFileSync(rulesFile, 'utf8');
    const before = app.ruleSetHash();
    const health = async () => (await app.inject({ url: '/healthz' })).json();
    const loaded = (await health()).loadedAt;
    fs.writeFileSync(rulesFile, '{"format": "neurules.rules", "version": 1, "rules": "oops"');
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/admin/reload',
      headers: { authorization: 'Bearer secret' },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().issues[0].code).toBe('INVALID_ARTIFACT');
    expect(app.ruleSetHash()).toBe(before);
    expect((await health()).loadedAt).toBe(loaded); // the old rules, loaded when they were
    expect(
      (await app.inject({ method: 'POST', url: '/v1/predict', payload: setosa })).json().class,
    ).toBe('setosa');
    fs.writeFileSync(rulesFile, good);
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/admin/reload',
      headers: { authorization: 'Bearer secret' },
    });
    expect(ok.json()).toEqual({ status: 'reloaded', ruleSet: before });
    // Loaded again: the same rules, a later load time.
    expect(Date.parse((await health()).loadedAt)).toBeGreaterThanOrEqual(Date.parse(loaded));
    expect((await health()).loadedAt).not.toBe(loaded);
  });

  it('writes one decision-log line per decision, redacted, flushed on close', async () => {
    const extra = await createApp({
      model: 'iris',
      modelsDir: path.join(dir, 'models'),
      rulesDir: path.join(dir, 'rules'),
      network: false,
      decisionLog: { file: path.join(dir, 'second.jsonl'), redact: ['petal_width'] },
    });
    await extra.inject({
      method: 'POST',
      url: '/v1/predict',
      payload: [setosa, virginica, setosa],
      headers: { 'x-request-id': 'req-7' },
    });
    await extra.close();
    const lines = fs
      .readFileSync(path.join(dir, 'second.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      requestId: 'req-7',
      class: 'setosa',
      ruleSet: extra.ruleSetHash(),
      inputs: { petal_width: '[redacted]', sepal_length: 5.1 },
    });
  });
});

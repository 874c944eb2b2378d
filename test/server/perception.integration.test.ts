import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Parcels } from '../../bench/tasks/parcels';
import type { DecisionLogEntry } from '../../src/audit/decision-log';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import type { PerceivedConcept } from '../../src/perception/perceived';
import type { BuildResult } from '../../src/pipeline/build-model';
import { createApp, type NeurulesApp } from '../../src/server/create-app';
import { buildParcels, readJsonLines } from '../helpers/perception-models';

// The service on a model with a perception concept (postcode=px_*): raw records in, what
// was perceived out, and a person's correction (`set`) taken in a wrapper.

let dir: string;
let app: NeurulesApp;
let parcels: Parcels;
let result: BuildResult;
const logFile = () => path.join(dir, 'decisions.jsonl');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-server-perception-'));
  const built = await buildParcels(dir, 300, { seed: 5 });
  ({ parcels, result } = built);
  app = await createApp({
    model: built.loc.name,
    modelsDir: built.loc.modelsDir,
    rulesDir: built.loc.rulesDir,
    backend: 'wasm',
    decisionLog: { file: logFile() },
  });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Parcel `i` as a raw record: its pixels, weight and service (and its label, if asked). */
function raw(i: number, label = false): Record<string, unknown> {
  const record: Record<string, unknown> = label
    ? { postcode: String(parcels.images.labels[i]) }
    : {};
  parcels.images.pixels[i]!.forEach((v, j) => (record[`px_${j}`] = v));
  record.weight = parcels.weights[i];
  record.service = parcels.services[i];
  return record;
}

type Raw = Record<string, unknown>;

const predict = (payload: unknown, query = '') =>
  app.inject({ method: 'POST', url: `/v1/predict${query}`, payload: payload as object });

/** What the rules decide on the facts `perceived` and parcel `i`'s ordinary columns. */
function decided(i: number, p: PerceivedConcept): string {
  return compileRuleSet(result.ruleSet).decide({
    postcode: p.value,
    postcode_confidence: p.confidence,
    weight: parcels.weights[i]!,
    service: parcels.services[i]!,
  }).class;
}

interface Answer {
  perceived: { postcode: PerceivedConcept };
  class: string;
  ruleId: string;
  ruleSet: string;
  explanation?: { perceived?: unknown; decision: { class: string } };
}

describe('POST /v1/predict on a model with a concept', () => {
  it('a raw record in: what was perceived comes out with the decision made on it', async () => {
    const r = await predict(raw(0));
    expect(r.statusCode).toBe(200);
    const answer = r.json<Answer>();
    expect(answer.perceived.postcode.value).toMatch(/^\d$/);
    expect(answer.perceived.postcode.confidence).toBeGreaterThan(0);
    expect(answer.perceived.postcode.perceivedAs).toBeUndefined();
    expect(answer).toMatchObject({ ruleSet: app.ruleSetHash() });
    expect(answer.class).toBe(decided(0, answer.perceived.postcode));
    // The label is optional and changes nothing.
    expect((await predict(raw(0, true))).json()).toEqual(answer);
  });

  it('an array of raw records: each answer with its own perception, as one at a time', async () => {
    const rows = [1, 2, 3, 4, 5];
    const r = await predict(rows.map((i) => raw(i)));
    expect(r.statusCode).toBe(200);
    const answers = r.json<Answer[]>();
    expect(answers).toHaveLength(rows.length);
    for (const [k, i] of rows.entries()) {
      expect(answers[k]).toEqual((await predict(raw(i))).json());
      expect(answers[k]!.class).toBe(decided(i, answers[k]!.perceived.postcode));
    }
    // Most postcodes are read right.
    const right = rows.filter(
      (i, k) => answers[k]!.perceived.postcode.value === String(parcels.images.labels[i]),
    );
    expect(right.length).toBeGreaterThanOrEqual(3);
  });

  it('?explain=true: the explanation carries what was perceived', async () => {
    const r = await predict(raw(6), '?explain=true');
    expect(r.statusCode).toBe(200);
    const answer = r.json<Answer>();
    expect(answer.explanation?.perceived).toEqual(answer.perceived);
    expect(answer.explanation?.decision.class).toBe(answer.class);
  });

  it('the set wrapper fixes the concept for one record or for every record of a batch', async () => {
    const plain = (await predict(raw(7))).json<Answer>();
    const one = await predict({ set: { postcode: '9' }, record: raw(7) });
    expect(one.statusCode).toBe(200);
    const fixed = one.json<Answer>();
    expect(fixed.perceived.postcode).toEqual({
      value: '9',
      confidence: 1,
      perceivedAs: {
        value: plain.perceived.postcode.value,
        confidence: plain.perceived.postcode.confidence,
      },
    });
    expect(fixed.class).toBe(decided(7, fixed.perceived.postcode));
    // A number is taken as the class it spells.
    expect((await predict({ set: { postcode: 9 }, record: raw(7) })).json()).toEqual(fixed);

    const many = await predict({ set: { postcode: '0' }, records: [raw(8), raw(9)] });
    expect(many.statusCode).toBe(200);
    const answers = many.json<Answer[]>();
    expect(answers).toHaveLength(2);
    answers.forEach((a, k) => {
      expect(a.perceived.postcode).toMatchObject({ value: '0', confidence: 1 });
      expect(a.class).toBe(decided(8 + k, a.perceived.postcode));
    });
    // With ?explain=true too.
    const explained = await predict({ set: { postcode: '9' }, record: raw(7) }, '?explain=true');
    expect(explained.json<Answer>().explanation?.perceived).toEqual(fixed.perceived);
  });

  it.each([
    ['an unknown value', { postcode: 'x' }, /'0', '1', '2'.*'9'/],
    ['an unknown concept', { zipcode: '3' }, /postcode/],
  ])('%s to set is 400 INVALID_RECORD naming what may be set', async (_what, set, listed) => {
    const r = await predict({ set, record: raw(0) });
    expect(r.statusCode).toBe(400);
    const body = r.json<{ error: string; message: string; issues: { field: string }[] }>();
    expect(body.error).toBe('INVALID_RECORD');
    expect(body.issues.map((i) => i.field)).toEqual(['set']);
    expect(body.message).toMatch(listed);
  });

  it.each([
    ['set an array', (r: Raw) => ({ set: ['postcode=3'], record: r }), 'set', /'set' as an object/],
    ['set null', (r: Raw) => ({ set: null, record: r }), 'set', /'set' as an object.*found null/],
    [
      'a class that is an object',
      (r: Raw) => ({ set: { postcode: { v: 3 } }, record: r }),
      'set.postcode',
      /as a string/,
    ],
    ['neither record nor records', () => ({ set: { postcode: '3' } }), 'record', /found neither/],
    [
      'both record and records',
      (r: Raw) => ({ set: { postcode: '3' }, record: r, records: [r] }),
      'records',
      /not both/,
    ],
    [
      'records not an array',
      (r: Raw) => ({ set: { postcode: '3' }, records: r }),
      'records',
      /an array of records, found an object/,
    ],
  ])(
    'a set wrapper with %s is 400 INVALID_RECORD saying what the wrapper must be',
    async (_what, body, field, said) => {
      const r = await predict(body(raw(0)));
      expect(r.statusCode).toBe(400);
      const answer = r.json<{ error: string; message: string; issues: { field: string }[] }>();
      expect(answer.error).toBe('INVALID_RECORD');
      expect(answer.message).toMatch(said);
      expect(answer.issues.map((i) => i.field)).toEqual([field]);
    },
  );

  it("a concept named in set is taken whole: 'postcode=3' is not the concept postcode", async () => {
    const r = await predict({ set: { 'postcode=3': '3' }, record: raw(0) });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ message: string }>().message).toContain(
      "'postcode=3' is not a concept of this model",
    );
    // A number is the class it writes.
    const ok = await predict({ set: { postcode: 3 }, record: raw(0) });
    expect(ok.json<Answer>().perceived.postcode).toMatchObject({ value: '3', confidence: 1 });
  });

  it('a batch with one bad pixel row is 400 INVALID_RECORD with that row index and column', async () => {
    const text = { ...raw(1), px_5: 'dark' };
    const r = await predict([raw(0), text, raw(2)]);
    expect(r.statusCode).toBe(400);
    const body = r.json<{ error: string; issues: { index: number; field: string }[] }>();
    expect(body.error).toBe('INVALID_RECORD');
    expect(body.issues.map((i) => [i.index, i.field])).toEqual([[1, 'px_5']]);

    // A null pixel is no number to perceive from: found by perception, at its row.
    const r2 = await predict([raw(0), { ...raw(1), px_3: null }]);
    expect(r2.statusCode).toBe(400);
    const body2 = r2.json<{ issues: { index: number; field: string; code: string }[] }>();
    expect(body2.issues.map((i) => [i.index, i.code, i.field])).toEqual([
      [1, 'INVALID_NUMBER', 'px_3'],
    ]);
  });

  it("a request's problems are answered together: a bad set, a record that does not parse, a pixel perception refuses", async () => {
    const { px_9: _gone, ...without } = raw(2);
    const r = await predict({
      set: { postcode: 'x' },
      records: [raw(0), { ...raw(1), px_3: null }, without, { ...raw(3), px_0: 'dark' }],
    });
    expect(r.statusCode).toBe(400);
    const body = r.json<{ issues: { index?: number; field: string; code: string }[] }>();
    expect(body.issues.map((i) => [i.index, i.code, i.field])).toEqual([
      [undefined, 'INVALID_ARGUMENT', 'set'],
      [1, 'INVALID_NUMBER', 'px_3'],
      [2, 'MISSING_FEATURE', 'px_9'],
      [3, 'WRONG_TYPE', 'px_0'],
    ]);
  });
});

describe('the decision log of a model with a concept', () => {
  /** The log lines of the request `id`. */
  const linesOf = (id: string) =>
    readJsonLines<DecisionLogEntry>(logFile()).filter((l) => l.requestId === id);

  const send = (payload: unknown, id: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/predict',
      payload: payload as object,
      headers: { 'x-request-id': id },
    });

  it('logs the facts the rules decided on as inputs, never the pixels', async () => {
    const r = await send([raw(10), raw(11)], 'log-inputs');
    expect(r.statusCode).toBe(200);
    const answers = r.json<Answer[]>();
    const lines = linesOf('log-inputs');
    expect(lines).toHaveLength(2);
    lines.forEach((line, k) => {
      expect(line.inputs).toEqual({
        postcode: answers[k]!.perceived.postcode.value,
        postcode_confidence: answers[k]!.perceived.postcode.confidence,
        weight: parcels.weights[10 + k],
        service: parcels.services[10 + k],
      });
      expect(line.class).toBe(answers[k]!.class);
    });
  });

  // BUG (src/audit/decision-log.ts, not this suite's to change): DecisionLog writes a line
  // of time, requestId, ruleSet, ruleId, class and inputs only, so the `perceived` the
  // service hands it (what was perceived, and what a person set) is dropped. `failing`
  // until it is written; then make this a plain `it`.
  it('logs what was perceived, and what a person set', async () => {
    const r = await send({ set: { postcode: '9' }, records: [raw(12)] }, 'log-perceived');
    expect(r.statusCode).toBe(200);
    const [answer] = r.json<Answer[]>();
    const [line] = linesOf('log-perceived');
    expect(line?.perceived).toEqual(answer!.perceived);
  });
});

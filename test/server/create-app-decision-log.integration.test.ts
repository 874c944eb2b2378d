import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DecisionLogEntry } from '../../src/audit/decision-log';
import type { NeurulesError } from '../../src/errors';
import { createApp, type NeurulesApp } from '../../src/server/create-app';
import { HAS_MKFIFO } from '../helpers/fifo';
import { fifoForWriters, releasedWriter } from '../helpers/fifo-writers';
import { fullDisk } from '../helpers/full-disk';
import { GERMAN_CREDIT } from '../helpers/german-credit';
import { applicant } from './applicant';

const record = applicant;
const older = { ...record, age: 61, checking_status: 'no checking' };

let dir: string;
const apps: NeurulesApp[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-decision-log-'));
});
afterAll(async () => {
  for (const app of apps) await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * The service on the committed model (read only), logging to `file` with `age` redacted
 * unless `redact` says otherwise; closed after the tests.
 */
async function serve(
  file: string,
  options: { onError?: (e: NeurulesError) => void; redact?: string[]; adminToken?: string } = {},
): Promise<NeurulesApp> {
  const { onError, redact = ['age'], adminToken } = options;
  const app = await createApp({
    model: GERMAN_CREDIT.name,
    modelsDir: GERMAN_CREDIT.modelsDir,
    rulesDir: GERMAN_CREDIT.rulesDir,
    network: false,
    ...(adminToken !== undefined && { adminToken }),
    decisionLog: { file, redact, ...(onError && { onError }) },
  });
  apps.push(app);
  return app;
}

const predict = (app: NeurulesApp, payload: object, id?: string) =>
  app.inject({
    method: 'POST',
    url: '/v1/predict',
    payload,
    ...(id !== undefined && { headers: { 'x-request-id': id } }),
  });

const linesOf = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as DecisionLogEntry);

describe('no decision without its log line', () => {
  it('a 200 is sent only once its lines are in the file (the app still open)', async () => {
    const file = path.join(dir, 'on-disk.jsonl');
    const app = await serve(file);
    // A slow disk: each write starts 50 ms late, so an answer that did not wait for its
    // write would find its line missing.
    const real = jest.requireActual<typeof fs>('node:fs');
    const write = real.write;
    const slow = jest.spyOn(real, 'write').mockImplementation(((...args: unknown[]) => {
      setTimeout(() => (write as (...a: unknown[]) => void)(...args), 50);
    }) as typeof fs.write);
    try {
      for (let i = 1; i <= 5; i++) {
        const r = await predict(app, i % 2 ? record : [record, older], `req-${i}`);
        expect(r.statusCode).toBe(200);
        const last = linesOf(file).filter((l) => l.requestId === `req-${i}`);
        expect(last).toHaveLength(i % 2 ? 1 : 2);
        expect(last[0]).toMatchObject({
          ruleSet: app.ruleSetHash(),
          inputs: { age: '[redacted]' },
        });
      }
      expect(slow).toHaveBeenCalled();
    } finally {
      slow.mockRestore();
    }
  });

  it('concurrent requests are written together, exactly one line per decision', async () => {
    const file = path.join(dir, 'batched.jsonl');
    const app = await serve(file);
    // The module object itself (`import * as` gives a read-only view of it).
    const write = jest.spyOn(jest.requireActual<typeof fs>('node:fs'), 'write');
    try {
      const sent = Array.from({ length: 120 }, (_, i) => ({
        id: `c-${i}`,
        body: i % 3 === 0 ? [record, older, record] : i % 2 ? record : older,
      }));
      const answers = await Promise.all(sent.map((s) => predict(app, s.body, s.id)));
      expect(answers.map((a) => a.statusCode)).toEqual(sent.map(() => 200));
      // Every line is on disk before its answer: no close, no flush needed.
      const lines = linesOf(file);
      const expected = sent.flatMap((s, i) => {
        const classes = ([] as { class: string }[]).concat(answers[i]!.json());
        return classes.map((c) => `${s.id} ${c.class}`);
      });
      expect(lines.map((l) => `${l.requestId} ${l.class}`).sort()).toEqual(expected.sort());
      // The lines of one request are written together.
      const ids = lines.map((l) => l.requestId);
      for (const s of sent.filter((x) => Array.isArray(x.body))) {
        const first = ids.indexOf(s.id);
        expect(ids.slice(first, first + 3)).toEqual([s.id, s.id, s.id]);
      }
      // Group commit: fewer writes than requests.
      const writes = write.mock.calls.length;
      expect(writes).toBeGreaterThan(0);
      expect(writes).toBeLessThan(sent.length);
    } finally {
      write.mockRestore();
    }
  });

  it('a log that cannot be written: 503 DECISION_LOG_FAILED from then on, counted, /healthz 503, reported once', async () => {
    const reported: NeurulesError[] = [];
    const file = path.join(dir, 'full-disk.jsonl');
    const app = await serve(file, { onError: (e) => reported.push(e) });
    const disk = fullDisk(file, 0);
    try {
      const first = await predict(app, record);
      expect([first.statusCode, first.json().error]).toEqual([503, 'DECISION_LOG_FAILED']);
      expect(first.headers['content-type']).toMatch(/^application\/problem\+json/);
      const later = await predict(app, [record, older]);
      expect([later.statusCode, later.json().error]).toEqual([503, 'DECISION_LOG_FAILED']);
      expect(reported.map((e) => [e.code, e.file])).toEqual([['DECISION_LOG_FAILED', file]]);

      const metrics = (await app.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/^neurules_decision_log_errors_total 2$/m);
      expect(metrics).not.toMatch(/^neurules_decisions_total\{/m); // none was answered

      const health = await app.inject({ url: '/healthz' });
      expect(health.statusCode).toBe(503);
      expect(health.json()).toMatchObject({
        error: 'DECISION_LOG_FAILED',
        status: 'unhealthy',
        ruleSet: app.ruleSetHash(),
      });
      // What does not decide still answers.
      expect((await app.inject({ url: '/v1/model' })).statusCode).toBe(200);
      expect(fs.readFileSync(file, 'utf8')).toBe('');
    } finally {
      disk.restore();
    }
  });

  it('a disk that fills mid-batch under concurrent requests: every line in the log is of a decision answered 200', async () => {
    const file = path.join(dir, 'filling.jsonl');
    const app = await serve(file, { onError: () => undefined });
    // Room for about 170 lines (of some 590 bytes): for some rounds of 60 concurrent
    // requests (100 decisions), not for all 8.
    const disk = fullDisk(file, 100_000);
    try {
      const sent: { id: string; body: object }[] = [];
      const answers: { id: string; status: number; classes: string[] }[] = [];
      for (let round = 0; round < 8; round++) {
        const batch = Array.from({ length: 60 }, (_, i) => ({
          id: `f-${round}-${i}`,
          body: i % 3 === 0 ? [record, older, record] : i % 2 ? record : older,
        }));
        sent.push(...batch);
        const rs = await Promise.all(batch.map((s) => predict(app, s.body, s.id)));
        rs.forEach((r, i) =>
          answers.push({
            id: batch[i]!.id,
            status: r.statusCode,
            classes: r.statusCode === 200 ? [r.json()].flat().map((a) => a.class) : [],
          }),
        );
      }
      const answered = answers.filter((a) => a.status === 200);
      expect(answered.length).toBeGreaterThan(0);
      expect(answers.some((a) => a.status === 503)).toBe(true);
      expect(disk.splitBatch()).toBe(true); // a batch was half written when the disk filled
      const text = fs.readFileSync(file, 'utf8');
      expect(text === '' || text.endsWith('\n')).toBe(true);
      expect(
        linesOf(file)
          .map((l) => `${l.requestId} ${l.class}`)
          .sort(),
      ).toEqual(answered.flatMap((a) => a.classes.map((c) => `${a.id} ${c}`)).sort());
    } finally {
      disk.restore();
    }
  });

  it('a log that cannot be opened fails createApp with DECISION_LOG_FAILED', async () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    await expect(serve(path.join(file, 'decisions.jsonl'))).rejects.toMatchObject({
      code: 'DECISION_LOG_FAILED',
    });
  });
});

describe('log rotation', () => {
  it('mv, reopen, rm amid concurrent requests: every answered decision is in the moved or the new file, once', async () => {
    const file = path.join(dir, 'rotated.jsonl');
    const app = await serve(file);
    const sent = Array.from({ length: 150 }, (_, i) => ({
      id: `rot-${i}`,
      body: i % 3 === 0 ? [record, older] : record,
    }));
    const answers: Promise<{ id: string; classes: string[]; status: number }>[] = [];
    let reopened: Promise<void> | undefined;
    for (const [i, s] of sent.entries()) {
      answers.push(
        predict(app, s.body, s.id).then((r) => ({
          id: s.id,
          status: r.statusCode,
          classes: [r.json()].flat().map((a: { class: string }) => a.class),
        })),
      );
      if (i === 70) {
        // logrotate: move the file away, then tell the service.
        fs.renameSync(file, `${file}.1`);
        reopened = app.reopenLog();
      }
      if (i % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    const done = await Promise.all(answers);
    await reopened;
    const moved = linesOf(`${file}.1`);
    fs.rmSync(`${file}.1`); // the rotation's last step: nothing is written to it any more
    expect(done.every((a) => a.status === 200)).toBe(true);
    const after = await predict(app, record, 'rot-after');
    expect(after.statusCode).toBe(200);
    const current = linesOf(file);
    expect(current.map((l) => l.requestId)).toContain('rot-after');
    expect(current.length).toBeGreaterThan(1);
    expect(
      [...moved, ...current]
        .filter((l) => l.requestId !== 'rot-after')
        .map((l) => `${l.requestId} ${l.class}`)
        .sort(),
    ).toEqual(done.flatMap((a) => a.classes.map((c) => `${a.id} ${c}`)).sort());
  });

  it('POST /v1/admin/reload reopens the log too (where there are no signals)', async () => {
    const file = path.join(dir, 'admin.jsonl');
    const app = await serve(file, { adminToken: 'secret', onError: () => undefined });
    const reload = () =>
      app.inject({
        method: 'POST',
        url: '/v1/admin/reload',
        headers: { authorization: 'Bearer secret' },
      });
    expect((await predict(app, record, 'before')).statusCode).toBe(200);
    fs.renameSync(file, `${file}.1`);
    const r = await reload();
    expect([r.statusCode, r.json().status]).toEqual([200, 'reloaded']);
    expect((await predict(app, record, 'after')).statusCode).toBe(200);
    expect(linesOf(`${file}.1`).map((l) => l.requestId)).toEqual(['before']);
    expect(linesOf(file).map((l) => l.requestId)).toEqual(['after']);
    // A path that cannot be opened any more: the log fails, and the route says so.
    fs.renameSync(file, `${file}.2`);
    fs.mkdirSync(file);
    const failed = await reload();
    expect([failed.statusCode, failed.json().error]).toEqual([503, 'DECISION_LOG_FAILED']);
    expect((await predict(app, record)).statusCode).toBe(503);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(503);
  });
});

describe('what the app refuses before it serves', () => {
  it('--redact names that are not features: UNKNOWN_FEATURE for each, with a did-you-mean; no log file made', async () => {
    const file = path.join(dir, 'never-made.jsonl');
    const error = await serve(file, { redact: ['Age', 'credit_amont', 'class', 'duration'] }).then(
      () => undefined,
      (e: NeurulesError) => e,
    );
    expect(error?.code).toBe('UNKNOWN_FEATURE');
    expect(error?.issues.map((i) => [i.code, i.field])).toEqual([
      ['UNKNOWN_FEATURE', 'Age'],
      ['UNKNOWN_FEATURE', 'credit_amont'],
      ['UNKNOWN_FEATURE', 'class'],
    ]);
    expect(error?.issues[0]!.message).toContain("'age'");
    expect(error?.issues[1]!.message).toContain("'credit_amount'");
    expect(fs.existsSync(file)).toBe(false);
  });

  it('a reload whose schema lost a feature to redact is refused, so it is never logged in clear', async () => {
    const openModel = jest.requireActual<typeof import('../../src/pipeline/open-model')>(
      '../../src/pipeline/open-model',
    );
    const file = path.join(dir, 'renamed.jsonl');
    const app = await serve(file);
    // The next files on disk name the feature 'Age'.
    const real = openModel.openModel;
    const renamed = jest.spyOn(openModel, 'openModel').mockImplementation(async (...args) => {
      const m = await real(...args);
      const features = m.schema.features.map((f) => (f.name === 'age' ? { ...f, name: 'Age' } : f));
      return { ...m, schema: { ...m.schema, features } };
    });
    try {
      const served = app.ruleSetHash();
      const r = await app.reload();
      expect(r.ok).toBe(false);
      expect(!r.ok && r.issues.map((i) => [i.code, i.field])).toEqual([['UNKNOWN_FEATURE', 'age']]);
      expect(app.ruleSetHash()).toBe(served);
      expect(renamed).toHaveBeenCalled();
    } finally {
      renamed.mockRestore();
    }
  });

  (HAS_MKFIFO ? it : it.skip)('a FIFO as the log: NOT_A_REGULAR_FILE, at once', async () => {
    const fifo = fifoForWriters(path.join(dir, 'log.fifo'));
    await expect(serve(fifo)).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE', file: fifo });
    expect(releasedWriter(fifo)).toBe(false);
  });
});

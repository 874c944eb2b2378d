import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DecisionLog, type DecisionLogEntry } from '../../src/audit/decision-log';
import type { NeurulesError } from '../../src/errors';
import { createApp, type NeurulesApp } from '../../src/server/create-app';
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

/** The service on the committed model (read only), logging to `file`. */
async function serve(file: string, onError?: (e: NeurulesError) => void): Promise<NeurulesApp> {
  const app = await createApp({
    model: GERMAN_CREDIT.name,
    modelsDir: GERMAN_CREDIT.modelsDir,
    rulesDir: GERMAN_CREDIT.rulesDir,
    network: false,
    decisionLog: { file, redact: ['age'], ...(onError && { onError }) },
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

  const onLinux = fs.existsSync('/dev/full') ? it : it.skip;
  onLinux(
    'a log that cannot be written: 503 DECISION_LOG_FAILED from then on, counted, /healthz 503, reported once',
    async () => {
      const reported: NeurulesError[] = [];
      const app = await serve('/dev/full', (e) => reported.push(e));
      const first = await predict(app, record);
      expect([first.statusCode, first.json().error]).toEqual([503, 'DECISION_LOG_FAILED']);
      expect(first.headers['content-type']).toMatch(/^application\/problem\+json/);
      const later = await predict(app, [record, older]);
      expect([later.statusCode, later.json().error]).toEqual([503, 'DECISION_LOG_FAILED']);
      expect(reported.map((e) => [e.code, e.file])).toEqual([['DECISION_LOG_FAILED', '/dev/full']]);

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
    },
  );

  it('a log that cannot be opened fails createApp with DECISION_LOG_FAILED', async () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    await expect(serve(path.join(file, 'decisions.jsonl'))).rejects.toMatchObject({
      code: 'DECISION_LOG_FAILED',
    });
  });
});

describe('DecisionLog', () => {
  const entry = (requestId: string): DecisionLogEntry => ({
    time: '2026-11-30T05:34:00.000Z',
    requestId,
    ruleSet: 'abc',
    ruleId: 'R01',
    class: 'good',
    inputs: { age: 30, city: 'Rome' },
  });

  it('writes whole lines in order, redacted, each append resolving once written', async () => {
    const file = path.join(dir, 'unit.jsonl');
    const log = new DecisionLog(file, ['city']);
    const appended = [log.append([entry('a'), entry('b')]), log.append([entry('c')])];
    await Promise.all(appended);
    expect(linesOf(file).map((l) => l.requestId)).toEqual(['a', 'b', 'c']);
    expect(linesOf(file)[0]).toEqual({ ...entry('a'), inputs: { age: 30, city: '[redacted]' } });
    await log.close();
    await expect(log.append([entry('d')])).rejects.toMatchObject({ code: 'DECISION_LOG_FAILED' });
  });

  onLinuxUnit('stays failed after a failed write, and reports it once', async () => {
    const reported: NeurulesError[] = [];
    const log = new DecisionLog('/dev/full', [], { onError: (e) => reported.push(e) });
    const both = [log.append([entry('a')]), log.append([entry('b')])];
    for (const p of both) await expect(p).rejects.toMatchObject({ code: 'DECISION_LOG_FAILED' });
    await expect(log.append([entry('c')])).rejects.toMatchObject({ code: 'DECISION_LOG_FAILED' });
    expect(log.failure?.code).toBe('DECISION_LOG_FAILED');
    expect(reported).toHaveLength(1);
    await log.close();
  });
});

function onLinuxUnit(name: string, fn: () => Promise<void>): void {
  (fs.existsSync('/dev/full') ? it : it.skip)(name, fn);
}

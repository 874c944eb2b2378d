import type { FastifyInstance } from 'fastify';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { modelPaths } from '../../src/artifacts/model-store';
import type { ModelLocation } from '../../src/artifacts/types';
import { loadOverrides } from '../../src/overrides/merge-overrides';
import { openStudio, type StudioSession } from '../../src/studio/session';
import { createStudioApp } from '../../src/server/studio-app';
import { copyGermanCredit, GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';
import { manyOverrides } from '../helpers/many-overrides';

/**
 * The studio under load: a check of a thousand overrides does not hold up other requests,
 * a check whose client has gone is stopped, and concurrent saves cannot both pass.
 */

const TOKEN = 'load-token-0123456789';
const HOST = '127.0.0.1:8090';
const auth = { host: HOST, authorization: `Bearer ${TOKEN}` };

let dir: string;
let loc: ModelLocation;
let studio: StudioSession;
let app: FastifyInstance;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-studio-load-'));
  loc = copyGermanCredit(dir, GERMAN_CREDIT_FROZEN);
  studio = await openStudio(loc, { backend: 'cpu' });
  app = createStudioApp(studio, { token: TOKEN, assets: dir });
  await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
  await studio.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

const big = [{ name: 'many.yaml', text: manyOverrides(1000) }];
/** Resolves once `spy` has been called with a check (a check handed to its thread). */
function posted(spy: jest.SpyInstance): Promise<void> {
  return new Promise((resolve) => {
    const poll = () =>
      spy.mock.calls.some(([job]) => job?.kind === 'check') ? resolve() : setImmediate(poll);
    poll();
  });
}
/** Resolves once `spy` has been called. */
function called(spy: jest.SpyInstance): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => (spy.mock.calls.length > 0 ? resolve() : setImmediate(poll));
    poll();
  });
}

it('while a check of 1,000 overrides runs, other requests are answered', async () => {
  const post = jest.spyOn(Worker.prototype, 'postMessage');
  let settled = false;
  const check = app
    .inject({ method: 'POST', url: '/api/check', payload: { files: big }, headers: auth })
    .finally(() => (settled = true));
  await posted(post);
  // The check is on its thread now: requests sent over HTTP one after the other until it
  // answers (inject alone would never give the thread's answer a turn of the event loop).
  const { port } = app.server.address() as { port: number };
  const answered: number[] = [];
  while (!settled) {
    const r = await fetch(`http://127.0.0.1:${port}/api/records?limit=1`, {
      headers: { authorization: auth.authorization },
    });
    expect(r.status).toBe(200);
    const { total } = (await r.json()) as { total: number };
    if (!settled) answered.push(total);
  }
  expect(answered.length).toBeGreaterThan(0);
  const result = (await check).json();
  expect(result.ok).toBe(true);
  expect(result.impact.overrides).toHaveLength(1003);
});

it('a check whose client goes away is stopped, and the next check is answered', async () => {
  const post = jest.spyOn(Worker.prototype, 'postMessage');
  const stop = jest.spyOn(Worker.prototype, 'terminate');
  const { port } = app.server.address() as { port: number };
  const body = JSON.stringify({ files: big.map((f) => ({ ...f, text: `${f.text}\n# gone\n` })) });
  const request = http.request({
    port,
    host: '127.0.0.1',
    method: 'POST',
    path: '/api/check',
    headers: {
      ...auth,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    },
  });
  request.on('error', () => undefined);
  request.end(body);
  await posted(post);
  // The page aborts its older check when it sends a newer one.
  request.destroy();
  await called(stop);
  const next = await app.inject({
    method: 'POST',
    url: '/api/check',
    payload: { files: [{ name: 'credit-policy.yaml', text: '' }] },
    headers: auth,
  });
  expect(next.statusCode).toBe(200);
  expect(next.json().impact.overrides).toEqual([]);
});

it('two concurrent saves that each add a file with the same override id: one is 200, the other 422 SAVE_BLOCKED with DUPLICATE_ID', async () => {
  const add = (name: string, age: number) =>
    app.inject({
      method: 'POST',
      url: '/api/save',
      headers: auth,
      payload: {
        files: [
          {
            name,
            text: `- id: same-id\n  when:\n    age: { '<': ${age} }\n  then: { class: bad }\n  priority: 95\n`,
            baseHash: null,
          },
        ],
        reason: `tab ${name}`,
      },
    });
  const [one, two] = await Promise.all([add('a.yaml', 20), add('b.yaml', 21)]);
  expect([one.statusCode, two.statusCode]).toEqual([200, 422]);
  expect(two.json().error).toBe('SAVE_BLOCKED');
  expect(two.json().issues.map((i: { code: string }) => i.code)).toEqual(['DUPLICATE_ID']);
  expect(fs.readdirSync(modelPaths(loc).overrides).sort()).toEqual([
    'a.yaml',
    'credit-policy.yaml',
  ]);
  expect(loadOverrides(modelPaths(loc).overrides, studio.model.schema)).toHaveLength(4);
});

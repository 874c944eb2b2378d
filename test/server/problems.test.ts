import Fastify, { type FastifyInstance } from 'fastify';
import type { LightMyRequestResponse } from 'fastify';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { NeurulesError } from '../../src/errors';
import { createApp, type NeurulesApp } from '../../src/server/create-app';
import { jsonBodiesPlugin } from '../../src/server/parse-json-body';
import { problemClientErrors, problemsPlugin } from '../../src/server/problems';
import { createStudioApp } from '../../src/server/studio-app';
import { openStudio, type StudioSession } from '../../src/studio/session';
import { copyGermanCredit, GERMAN_CREDIT } from '../helpers/german-credit';

/**
 * One problem+json plugin for both apps: the service and the studio answer errors with the
 * same body, `{ error, message, issues?, ...extensions }` (ProblemBody), never the studio's
 * old `code`, `detail` and `status` copies.
 */

const TOKEN = 'problems-token-0123456789';
const auth = { host: '127.0.0.1:8090', authorization: `Bearer ${TOKEN}` };
const LIMIT = 1024;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-problems-'));
let service: NeurulesApp;
let studio: StudioSession;
let studioApp: FastifyInstance;

beforeAll(async () => {
  [service, studio] = await Promise.all([
    createApp({
      model: GERMAN_CREDIT.name,
      modelsDir: GERMAN_CREDIT.modelsDir,
      rulesDir: GERMAN_CREDIT.rulesDir,
      network: false,
      bodyLimit: LIMIT,
    }),
    openStudio(copyGermanCredit(dir), { backend: 'cpu' }),
  ]);
  studioApp = createStudioApp(studio, { token: TOKEN, assets: dir, bodyLimit: LIMIT });
});
afterAll(async () => {
  await service?.close();
  await studioApp?.close();
  await studio?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Status, media type and body of a problem answer. */
function problemOf(r: LightMyRequestResponse) {
  expect(r.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  return { status: r.statusCode, body: r.json() as Record<string, unknown> };
}

/** The same request to the service (on `serviceUrl`) and to the studio (on `studioUrl`). */
async function both(
  method: 'GET' | 'POST',
  serviceUrl: string,
  studioUrl: string,
  payload?: string,
  contentType = 'application/json',
) {
  const request = (url: string, headers: Record<string, string>) => ({
    method,
    url,
    headers: { ...headers, ...(payload !== undefined && { 'content-type': contentType }) },
    ...(payload !== undefined && { payload }),
  });
  return {
    service: problemOf(await service.inject(request(serviceUrl, {}))),
    studio: problemOf(await studioApp.inject(request(studioUrl, auth))),
  };
}

describe('the service and the studio answer errors alike', () => {
  it('a NeurulesError: its code, message and place, nothing else', async () => {
    const proto = await both('POST', '/v1/predict', '/api/check', '{"__proto__":{"x":1}}');
    expect(proto.studio).toEqual(proto.service);
    expect(proto.service).toEqual({
      status: 400,
      body: { error: 'PROTOTYPE_KEY', message: expect.any(String), field: '__proto__' },
    });
    // One the studio's own route throws, by the same rule.
    const offset = problemOf(
      await studioApp.inject({ url: '/api/records?offset=-1', headers: auth }),
    );
    expect(offset).toEqual({
      status: 400,
      body: { error: 'INVALID_ARGUMENT', message: expect.any(String), field: 'offset' },
    });
  });

  it('a route that is not there: 404 NOT_FOUND, the query left out of the message', async () => {
    const missing = await both('GET', '/nowhere?token=x', '/nowhere?token=x');
    expect(missing.studio).toEqual(missing.service);
    expect(missing.service).toEqual({
      status: 404,
      body: { error: 'NOT_FOUND', message: 'no route GET /nowhere' },
    });
  });

  it("a malformed JSON body, and fastify's own client errors", async () => {
    const cases: [string, string, number, string][] = [
      ['{"files": [', 'application/json', 400, 'INVALID_JSON'],
      ['', 'application/json', 400, 'INVALID_JSON'],
      [`"${'x'.repeat(LIMIT)}"`, 'application/json', 413, 'BODY_TOO_LARGE'],
      ['hello', 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ];
    for (const [payload, type, status, error] of cases) {
      const r = await both('POST', '/v1/predict', '/api/check', payload, type);
      expect(r.studio).toEqual(r.service);
      expect(r.service).toEqual({ status, body: { error, message: expect.any(String) } });
    }
  });
});

describe('the problems plugin', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    await app.register(problemsPlugin);
    await app.register(jsonBodiesPlugin);
    // Encapsulated, as the apps' route plugins are: the handlers still reach it.
    await app.register(async (routes) => {
      routes.get('/one', async () => {
        throw new NeurulesError('FILE_CHANGED', 'changed on disk', { file: 'a.yaml' });
      });
      routes.get('/several', async () => {
        throw new NeurulesError('SAVE_BLOCKED', 'blocked', {}, [
          { code: 'UNKNOWN_FEATURE', message: 'no agee', file: 'a.yaml', line: 3, column: 5 },
        ]);
      });
      routes.get('/no-status', async () => {
        throw NeurulesError.fromIssues([
          { code: 'UNKNOWN_OPERATOR', message: 'no such operator', line: 2 },
          { code: 'UNKNOWN_FEATURE', message: 'no such feature', line: 4 },
        ]);
      });
      routes.get('/bug', async () => {
        throw new Error('secret detail of a bug');
      });
    });
  });
  afterAll(() => app.close());

  it('a coded error: its status, its place, and issues only when they say more than itself', async () => {
    expect(problemOf(await app.inject({ url: '/one' }))).toEqual({
      status: 409,
      body: { error: 'FILE_CHANGED', message: 'changed on disk', file: 'a.yaml' },
    });
    expect(problemOf(await app.inject({ url: '/several' }))).toEqual({
      status: 422,
      body: {
        error: 'SAVE_BLOCKED',
        message: 'blocked',
        issues: [
          { code: 'UNKNOWN_FEATURE', message: 'no agee', file: 'a.yaml', line: 3, column: 5 },
        ],
      },
    });
    const noStatus = problemOf(await app.inject({ url: '/no-status' }));
    expect(noStatus.status).toBe(400);
    expect(noStatus.body).toMatchObject({ error: 'UNKNOWN_OPERATOR', line: 2 });
    expect((noStatus.body.issues as unknown[]).length).toBe(2);
  });

  it('anything else is 500 INTERNAL, with nothing of the error in the body', async () => {
    expect(problemOf(await app.inject({ url: '/bug' }))).toEqual({
      status: 500,
      body: { error: 'INTERNAL', message: 'internal error' },
    });
  });

  it('a request Node cannot read is a problem document on the socket, then closed', async () => {
    const server = Fastify({ clientErrorHandler: problemClientErrors() });
    await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = server.server.address() as net.AddressInfo;
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write('NOT HTTP\r\n\r\n'));
        let text = '';
        socket.on('data', (d) => (text += String(d)));
        socket.on('error', reject);
        socket.on('close', () => resolve(text));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toMatch(/content-type: application\/problem\+json/i);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
        error: 'INVALID_JSON',
        message: 'the request is not valid HTTP',
      });
    } finally {
      await server.close();
    }
  });
});

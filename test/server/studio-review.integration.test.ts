import type { FastifyInstance } from 'fastify';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readChanges } from '../../src/artifacts/changes-log';
import { modelPaths } from '../../src/artifacts/model-store';
import type { ModelLocation } from '../../src/artifacts/types';
import { sha256 } from '../../src/studio/check';
import { openStudio, type StudioSession } from '../../src/studio/session';
import { createStudioApp } from '../../src/server/studio-app';
import { copyGermanCredit, GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';

/**
 * The studio's routes for revert and four-eyes review: behind the same token and Host/Origin
 * checks as every route, every bad input a problem+json with a code and its place.
 */

const TOKEN = 'test-token-review-0123';
const HOST = '127.0.0.1:8090';
const POLICY = 'credit-policy.yaml';

let dir: string;
let loc: ModelLocation;
let studio: StudioSession;
let app: FastifyInstance;
let policyFile: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-studio-review-'));
  loc = copyGermanCredit(dir, GERMAN_CREDIT_FROZEN);
  policyFile = path.join(modelPaths(loc).overrides, POLICY);
  studio = await openStudio(loc, { backend: 'cpu', review: true });
  app = createStudioApp(studio, { token: TOKEN, assets: dir });
});
afterAll(async () => {
  await app?.close();
  await studio?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const auth = { host: HOST, authorization: `Bearer ${TOKEN}` };
const post = (url: string, payload: unknown, headers: Record<string, string> = auth) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers });
/** Status, code and place of an answer. */
const problem = (r: { statusCode: number; json(): Record<string, unknown> }) => {
  const body = r.json();
  return {
    status: r.statusCode,
    error: body.error,
    ...(body.field !== undefined && { field: body.field }),
    ...(body.file !== undefined && { file: body.file }),
  };
};
const policyEdit = (from: string, to: string) => {
  const text = fs.readFileSync(policyFile, 'utf8');
  return [{ name: POLICY, text: text.replace(from, to), baseHash: sha256(text) }];
};

const routes: [method: 'GET' | 'POST', url: string][] = [
  ['GET', '/api/proposals'],
  ['POST', '/api/proposals'],
  ['POST', '/api/proposals/20261207-000000-abcdef/approve'],
  ['POST', '/api/proposals/20261207-000000-abcdef/reject'],
  ['POST', '/api/proposals/20261207-000000-abcdef/rebase'],
  ['POST', '/api/revert'],
];

describe('the review routes: access', () => {
  it.each(routes)('%s %s without the token is 401 UNAUTHORIZED', async (method, url) => {
    const r = await app.inject({
      method,
      url,
      headers: { host: HOST },
      ...(method === 'POST' && { payload: {} }),
    });
    expect(problem(r)).toEqual({ status: 401, error: 'UNAUTHORIZED' });
  });

  it.each(routes)('%s %s from a foreign Origin is 403 FORBIDDEN', async (method, url) => {
    const headers = { ...auth, origin: 'http://evil.example' };
    const r = await app.inject({
      method,
      url,
      headers,
      ...(method === 'POST' && { payload: {} }),
    });
    expect(problem(r)).toEqual({ status: 403, error: 'FORBIDDEN' });
  });
});

describe('the review routes: bad input', () => {
  it('each bad request is a problem with its code and place', async () => {
    const files = policyEdit('priority: 100', 'priority: 101');
    expect(problem(await post('/api/save', { files, reason: 'x', author: 'Ana' }))).toEqual({
      status: 409,
      error: 'REVIEW_REQUIRED',
      field: 'files',
    });
    expect(problem(await post('/api/proposals', { files, reason: 'x' }))).toEqual({
      status: 400,
      error: 'AUTHOR_REQUIRED',
      field: 'author',
    });
    expect(problem(await post('/api/proposals', { files, reason: 'x', author: 7 }))).toEqual({
      status: 400,
      error: 'INVALID_ARGUMENT',
      field: 'author',
    });
    expect(
      problem(await post('/api/proposals', { files, reason: 'x', author: 'A\u0000' })),
    ).toEqual({ status: 400, error: 'INVALID_ARGUMENT', field: 'author' });
    expect(problem(await post('/api/proposals', { files, author: 'Ana' }))).toEqual({
      status: 400,
      error: 'INVALID_ARGUMENT',
      field: 'reason',
    });
    expect(problem(await post('/api/revert', { reason: 'x', author: 'Ana' }))).toEqual({
      status: 400,
      error: 'INVALID_ARGUMENT',
      field: 'entry',
    });
    expect(problem(await post('/api/revert', { entry: 3, reason: 'x', author: 'Ana' }))).toEqual({
      status: 400,
      error: 'INVALID_ARGUMENT',
      field: 'entry',
    });
    expect(problem(await post('/api/proposals/..%2Fx/approve', { author: 'Bo' }))).toEqual({
      status: 404,
      error: 'PROPOSAL_NOT_FOUND',
      field: 'id',
    });
    expect(
      problem(await post('/api/proposals/20261207-000000-abcdef/merge', { author: 'Bo' })),
    ).toEqual({ status: 404, error: 'NOT_FOUND', field: 'action' });
    expect(problem(await post('/api/proposals/20261207-000000-abcdef/approve', []))).toEqual({
      status: 400,
      error: 'INVALID_ARGUMENT',
      field: 'body',
    });
    expect(fs.existsSync(path.join(modelPaths(loc).rulesDir, 'proposals'))).toBe(false);
  });
});

describe('the review routes: a proposal through to approval', () => {
  it('proposed by Ana, refused to Ana (403 SELF_APPROVAL), approved by Bo, closed after', async () => {
    const files = policyEdit('priority: 100', 'priority: 101');
    const made = await post('/api/proposals', { files, reason: 'minors first', author: 'Ana' });
    expect(made.statusCode).toBe(200);
    const { id } = made.json();
    const list = await app.inject({ method: 'GET', url: '/api/proposals', headers: auth });
    expect(list.json().proposals).toEqual([
      expect.objectContaining({ id, status: 'pending', author: 'Ana' }),
    ]);
    expect(problem(await post(`/api/proposals/${id}/approve`, { author: 'Ana' }))).toEqual({
      status: 403,
      error: 'SELF_APPROVAL',
      field: 'author',
    });
    const approved = await post(`/api/proposals/${id}/approve`, { author: 'Bo' });
    expect(approved.statusCode).toBe(200);
    expect(approved.json().entry).toEqual(
      expect.objectContaining({ author: 'Ana', approvedBy: 'Bo', proposal: id }),
    );
    expect(fs.readFileSync(policyFile, 'utf8')).toBe(files[0]!.text);
    expect(
      problem(await post(`/api/proposals/${id}/reject`, { author: 'Bo', reason: 'late' })),
    ).toEqual({ status: 409, error: 'PROPOSAL_CLOSED', field: 'id' });
    expect(readChanges(modelPaths(loc).changes).entries).toHaveLength(1);
  });

  it('a proposal made on a file that changed since is 409 PROPOSAL_STALE naming it', async () => {
    const files = policyEdit('priority: 80', 'priority: 81');
    const { id } = (await post('/api/proposals', { files, reason: 'one', author: 'Ana' })).json();
    const other = policyEdit('priority: 50', 'priority: 51');
    const { id: first } = (
      await post('/api/proposals', { files: other, reason: 'two', author: 'Cy' })
    ).json();
    expect((await post(`/api/proposals/${first}/approve`, { author: 'Bo' })).statusCode).toBe(200);
    expect(problem(await post(`/api/proposals/${id}/approve`, { author: 'Bo' }))).toEqual({
      status: 409,
      error: 'PROPOSAL_STALE',
      file: policyFile,
    });
    const rebased = await post(`/api/proposals/${id}/rebase`, {});
    expect(rebased.statusCode).toBe(200);
    expect((await post(`/api/proposals/${id}/approve`, { author: 'Bo' })).statusCode).toBe(200);
  });
});

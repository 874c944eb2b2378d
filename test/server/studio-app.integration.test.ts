import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { modelPaths } from '../../src/artifacts/model-store';
import type { ModelLocation } from '../../src/artifacts/types';
import { measureImpact } from '../../src/pipeline/measure-impact';
import { openStudio, type StudioSession } from '../../src/studio/session';
import { createStudioApp, studioCookieName } from '../../src/server/studio-app';
import { copyGermanCredit, GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';

const TOKEN = 'test-token-0123456789';
const HOST = '127.0.0.1:8090';

let dir: string;
let loc: ModelLocation;
let studio: StudioSession;
let app: FastifyInstance;
let policy: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-studio-'));
  loc = copyGermanCredit(dir, GERMAN_CREDIT_FROZEN);
  policy = fs.readFileSync(path.join(modelPaths(loc).overrides, 'credit-policy.yaml'), 'utf8');
  studio = await openStudio(loc, { backend: 'cpu' });
  const assets = path.join(dir, 'assets');
  fs.mkdirSync(assets);
  fs.writeFileSync(path.join(assets, 'index.html'), '<!doctype html><title>studio</title>');
  app = createStudioApp(studio, { token: TOKEN, assets });
});
afterAll(async () => {
  await app.close();
  await studio.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const auth = { host: HOST, authorization: `Bearer ${TOKEN}` };
const post = (url: string, payload: unknown, headers: Record<string, string> = auth) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers });
const file = (text: string, name = 'credit-policy.yaml') => ({ name, text });
/** `neurules rules lint` on the studio's model. */
const rulesLint = () =>
  runCli([
    'rules',
    'lint',
    '--model',
    'german-credit',
    '--models-dir',
    loc.modelsDir,
    '--rules-dir',
    loc.rulesDir,
  ]);
const misspelt = "- id: young\n  when:\n    agee: { '<': 21 }\n  then: { class: bad }\n";

describe('the studio: access', () => {
  it('refuses a request without the token, or with another (401 UNAUTHORIZED)', async () => {
    for (const headers of [{ host: HOST }, { host: HOST, authorization: 'Bearer nope' }]) {
      const r = await app.inject({ method: 'GET', url: '/api/model', headers });
      expect(r.statusCode).toBe(401);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.json().error).toBe('UNAUTHORIZED');
    }
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin (403 FORBIDDEN)', async () => {
    const host = await app.inject({
      method: 'GET',
      url: '/api/model',
      headers: { ...auth, host: 'evil.example:8090' },
    });
    expect([host.statusCode, host.json().error]).toEqual([403, 'FORBIDDEN']);
    const origin = await app.inject({
      method: 'GET',
      url: '/api/model',
      headers: { ...auth, origin: 'http://evil.example' },
    });
    expect([origin.statusCode, origin.json().error]).toEqual([403, 'FORBIDDEN']);
    const same = await app.inject({
      method: 'GET',
      url: '/api/model',
      headers: { ...auth, origin: `http://${HOST}` },
    });
    expect(same.statusCode).toBe(200);
  });

  it('the first URL sets an HttpOnly cookie that carries the token from then on', async () => {
    const page = await app.inject({
      method: 'GET',
      url: `/?token=${TOKEN}`,
      headers: { host: HOST },
    });
    expect(page.statusCode).toBe(200);
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const api = await app.inject({
      method: 'GET',
      url: '/api/model',
      headers: { host: HOST, cookie: cookie.split(';')[0]! },
    });
    expect(api.statusCode).toBe(200);
    // The token in a URL counts for the page only, not for the API.
    const viaQuery = await app.inject({
      method: 'GET',
      url: `/api/model?token=${TOKEN}`,
      headers: { host: HOST },
    });
    expect(viaQuery.statusCode).toBe(401);
  });

  /** The page with `?token=` sent with `cookie`: its status, and the cookie it sets. */
  const open = async (on: FastifyInstance, token: string, cookie?: string) => {
    const r = await on.inject({
      method: 'GET',
      url: `/?token=${encodeURIComponent(token)}`,
      headers: { host: HOST, ...(cookie !== undefined && { cookie }) },
    });
    return { status: r.statusCode, cookie: r.headers['set-cookie'] as string | undefined };
  };
  const modelWith = async (on: FastifyInstance, cookie: string) =>
    (await on.inject({ method: 'GET', url: '/api/model', headers: { host: HOST, cookie } }))
      .statusCode;

  it("each studio has a cookie of its own: another studio's, or a restarted one's, is not read, and the printed address still opens the page", async () => {
    // A second studio on another port, or this one restarted: a new token. The browser
    // sends every cookie of the host to both, since cookies are not kept per port.
    const second = createStudioApp(studio, {
      token: 'second-token-9876543210',
      assets: path.join(dir, 'assets'),
    });
    try {
      const first = await open(app, TOKEN);
      const other = await open(second, 'second-token-9876543210', first.cookie!.split(';')[0]);
      expect(other.status).toBe(200);
      const [name1] = first.cookie!.split('=');
      const [name2] = other.cookie!.split('=');
      expect(name1).toBe(studioCookieName(TOKEN));
      expect(name2).toBe(studioCookieName('second-token-9876543210'));
      expect(name1).not.toBe(name2);
      // The jar holds both cookies; each studio takes its own and ignores the other.
      const jar = `${first.cookie!.split(';')[0]}; ${other.cookie!.split(';')[0]}`;
      expect(await modelWith(app, jar)).toBe(200);
      expect(await modelWith(second, jar)).toBe(200);
      expect(await modelWith(second, first.cookie!.split(';')[0]!)).toBe(401);
      expect(await modelWith(app, other.cookie!.split(';')[0]!)).toBe(401);
    } finally {
      await second.close();
    }
  });

  it('the token in the address wins over a stale cookie of the same name, and resets it', async () => {
    const stale = `${studioCookieName(TOKEN)}=an-old-token; neurules_studio=older-still`;
    const page = await open(app, TOKEN, stale);
    expect(page.status).toBe(200);
    expect(page.cookie).toMatch(new RegExp(`^${studioCookieName(TOKEN)}=${TOKEN};`));
    expect(await modelWith(app, page.cookie!.split(';')[0]!)).toBe(200);
    // A wrong token in the address is refused, whatever the cookie.
    const wrong = await open(app, 'not-the-token', page.cookie!.split(';')[0]);
    expect([wrong.status, wrong.cookie]).toEqual([401, undefined]);
  });

  it.each([
    ['neurules_studio=%'],
    [`${studioCookieName(TOKEN)}=%`],
    [`${studioCookieName(TOKEN)}=%E0%A4%A`],
  ])('a malformed cookie %j is 401 UNAUTHORIZED, not an internal error', async (cookie) => {
    const r = await app.inject({
      method: 'GET',
      url: '/api/model',
      headers: { host: HOST, cookie },
    });
    expect([r.statusCode, r.json().error]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('any Cookie header without the token is 401; with it, among any other cookies, 200', async () => {
    const name = studioCookieName(TOKEN);
    // Pieces a cookie header is made of, the awkward ones often.
    const piece = fc.oneof(
      fc.constantFrom(
        '%',
        '%%',
        '%zz',
        '%E0%A4%A',
        '=',
        ';',
        ' ',
        '"',
        ',',
        '\\',
        name,
        'neurules_studio',
        TOKEN.slice(0, 5),
      ),
      fc.string({ maxLength: 6 }).map((t) => t.replace(/[^\x20-\x7e]/g, '')),
    );
    const header = fc.array(piece, { maxLength: 12 }).map((p) => p.join(''));
    await fc.assert(
      fc.asyncProperty(header, async (cookie) => {
        fc.pre(!cookie.includes(TOKEN));
        const r = await app.inject({
          method: 'GET',
          url: '/api/model',
          headers: { host: HOST, cookie },
        });
        expect([r.statusCode, r.json().error]).toEqual([401, 'UNAUTHORIZED']);
        const ok = await app.inject({
          method: 'GET',
          url: '/api/records?limit=1',
          headers: { host: HOST, cookie: `${cookie}; ${name}=${TOKEN}` },
        });
        expect(ok.statusCode).toBe(200);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the studio: the model and live checks', () => {
  it('describes the model: distilled rules as sentences, the overrides in hit order, the files', async () => {
    const r = (await app.inject({ method: 'GET', url: '/api/model', headers: auth })).json();
    expect(r.distilled).toHaveLength(8);
    expect(r.distilled[0].sentence).toMatch(/→ (good|bad)$/);
    expect(r.overrides.map((o: { id: string }) => o.id)).toEqual([
      'minors-declined',
      'exposure-limit',
      'guarantor-education',
    ]);
    expect(r.treeSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(r.operators.categorical).toContain('in');
    expect(r.operators.categorical).not.toContain('<');
    expect(r.operators.numeric).toContain('between');
    expect(r.files).toEqual([
      { name: 'credit-policy.yaml', text: policy, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
  });

  it('lists a misspelt feature as UNKNOWN_FEATURE at its line and column', async () => {
    const r = (await post('/api/check', { files: [file(misspelt)] })).json();
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      expect.objectContaining({
        code: 'UNKNOWN_FEATURE',
        file: 'credit-policy.yaml',
        line: 3,
        column: 5,
        severity: 'error',
      }),
    ]);
    expect(r.lintLines[0]).toMatch(/credit-policy\.yaml:3:5 UNKNOWN_FEATURE /);
    expect(r.impact).toBeNull();
  });

  it('gives exactly the lines `neurules rules lint` prints, and the numbers of `neurules rules impact`', async () => {
    const r = (await post('/api/check', { files: [file(policy)] })).json();
    expect(r.ok).toBe(true);
    const lint = await rulesLint();
    expect(r.lintLines).toEqual(lint.stdout.trimEnd().split('\n'));
    const impact = await measureImpact(loc, { backend: 'cpu' });
    // Against the distilled rules alone, as `rules impact`; the headline's baseline is the saved files.
    expect(r.impact).toMatchObject({
      records: impact.records,
      distilled: {
        changed: impact.changed,
        quality: { accuracy: impact.accuracyWithout, fidelity: impact.fidelityWithout },
      },
      after: { accuracy: impact.accuracyWith, fidelity: impact.fidelityWith },
    });
    expect(r.impact.changed).toBe(0);
    expect(r.impact.before).toEqual(r.impact.after);
    expect(r.examples.map((e: { pass: boolean }) => e.pass)).toEqual([true, true, true]);
    // The saved files against themselves: nothing changes.
    expect(r.impact.changedRecords).toEqual([]);
    expect(r.regions).toEqual([]);
  });

  it('shows the held-out records and the regions an edit moves, saved → edited', async () => {
    const edited = policy.replace("age: { '<': 18 }", "age: { '<': 25 }");
    const r = (await post('/api/check', { files: [file(edited)] })).json();
    expect(r.ok).toBe(true);
    expect(r.impact.changedRecords.length).toBeGreaterThan(0);
    for (const c of r.impact.changedRecords) expect([c.from, c.to]).toEqual(['good', 'bad']);
    expect(r.regions.length).toBeGreaterThan(0);
    for (const g of r.regions) {
      expect([g.from, g.to]).toEqual(['good', 'bad']);
      expect(g.conditions).toMatch(/18 ≤ age < 25/);
    }
    const first = r.impact.changedRecords[0];
    const explained = (
      await post('/api/explain', { files: [file(edited)], index: first.index })
    ).json();
    expect(explained.explanation.decision).toMatchObject({
      class: 'bad',
      ruleId: 'minors-declined',
    });
    expect(explained.text.join('\n')).toContain('minors-declined');
  });

  it('pages through the held-out records with their labels', async () => {
    const r = (
      await app.inject({ method: 'GET', url: '/api/records?offset=298&limit=10', headers: auth })
    ).json();
    expect(r.total).toBe(300);
    expect(r.records.map((x: { index: number }) => x.index)).toEqual([298, 299]);
    expect(['good', 'bad']).toContain(r.records[0].label);
    const bad = await app.inject({ method: 'GET', url: '/api/records?offset=-1', headers: auth });
    expect([bad.statusCode, bad.json().error]).toEqual([400, 'INVALID_ARGUMENT']);
  });

  it.each([['../x.yaml'], ['a/b.yaml'], ['x.txt'], ['.hidden.yaml']])(
    'refuses the file name %j (400 INVALID_FILE_NAME)',
    async (name) => {
      const r = await post('/api/check', { files: [file('', name)] });
      expect([r.statusCode, r.json().error]).toEqual([400, 'INVALID_FILE_NAME']);
    },
  );

  it('answers a bad body with a coded problem and keeps serving', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/api/check',
      payload: '{"files": [',
      headers: { ...auth, 'content-type': 'application/json' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('INVALID_JSON');
    const missing = await post('/api/check', { files: 'x' });
    expect([missing.statusCode, missing.json().error]).toEqual([400, 'INVALID_ARGUMENT']);
    expect((await app.inject({ method: 'GET', url: '/api/model', headers: auth })).statusCode).toBe(
      200,
    );
  });
});

describe('the studio: saving', () => {
  const hashOf = async (): Promise<string> =>
    (await app.inject({ method: 'GET', url: '/api/model', headers: auth })).json().files[0].hash;

  it('refuses a save with errors (422 SAVE_BLOCKED) or without a reason, writing nothing', async () => {
    const baseHash = await hashOf();
    const blocked = await post('/api/save', {
      files: [{ ...file(misspelt), baseHash }],
      reason: 'try',
    });
    expect([blocked.statusCode, blocked.json().error]).toEqual([422, 'SAVE_BLOCKED']);
    expect(blocked.json().issues[0].code).toBe('UNKNOWN_FEATURE');
    const conflict = `${policy}\n- id: teens-good\n  when:\n    age: { '<': 18 }\n  then: { class: good }\n  priority: 100\n`;
    const conflicting = await post('/api/save', {
      files: [{ ...file(conflict), baseHash }],
      reason: 'try',
    });
    expect([conflicting.statusCode, conflicting.json().error]).toEqual([422, 'SAVE_BLOCKED']);
    expect(conflicting.json().issues[0].code).toBe('OVERRIDE_CONFLICT');
    const noReason = await post('/api/save', {
      files: [{ ...file(policy), baseHash }],
      reason: ' ',
    });
    expect([noReason.statusCode, noReason.json().error]).toEqual([400, 'INVALID_ARGUMENT']);
    expect(
      fs.readFileSync(path.join(modelPaths(loc).overrides, 'credit-policy.yaml'), 'utf8'),
    ).toBe(policy);
  });

  it('refuses a save over a file changed on disk since it was loaded (409 FILE_CHANGED)', async () => {
    const baseHash = await hashOf();
    const onDisk = path.join(modelPaths(loc).overrides, 'credit-policy.yaml');
    fs.writeFileSync(onDisk, policy + '\n# edited elsewhere\n');
    try {
      const r = await post('/api/save', {
        files: [{ ...file(policy.replace("'<': 18", "'<': 19")), baseHash }],
        reason: 'raise the age',
      });
      expect([r.statusCode, r.json().error]).toEqual([409, 'FILE_CHANGED']);
      expect(fs.readFileSync(onDisk, 'utf8')).toBe(policy + '\n# edited elsewhere\n');
    } finally {
      fs.writeFileSync(onDisk, policy);
    }
  });

  it('saves: the file equals the text, rules lint passes, changes.jsonl has the entry with its diff', async () => {
    const baseHash = await hashOf();
    const edited = policy.replace("age: { '<': 18 }", "age: { '<': 19 }");
    const added =
      "- id: young-long\n  when:\n    age: { '<': 20 }\n    duration: { '>': 48 }\n  then: { class: bad }\n  priority: 90\n";
    const r = await post('/api/save', {
      files: [
        { ...file(edited), baseHash },
        { name: 'young.yaml', text: added, baseHash: null },
      ],
      reason: 'minimum age 19; young applicants with long loans',
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().saved).toEqual(['credit-policy.yaml', 'young.yaml']);
    const overrides = modelPaths(loc).overrides;
    expect(fs.readFileSync(path.join(overrides, 'credit-policy.yaml'), 'utf8')).toBe(edited);
    expect(fs.readFileSync(path.join(overrides, 'young.yaml'), 'utf8')).toBe(added);
    const lint = await rulesLint();
    expect(lint.code).toBe(0);
    const entries = fs
      .readFileSync(modelPaths(loc).changes, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      kind: 'overrides',
      reason: 'minimum age 19; young applicants with long loans',
      files: ['credit-policy.yaml', 'young.yaml'],
    });
    expect(entries[0].before).not.toBe(entries[0].after);
    expect(entries[0].diff).toContain("-    age: { '<': 18 }");
    expect(entries[0].diff).toContain("+    age: { '<': 19 }");
    const history = (
      await app.inject({ method: 'GET', url: '/api/history', headers: auth })
    ).json();
    expect(history).toEqual({ entries, unreadable: [] });
    expect(entries[0].v).toBe(1);
  });
});

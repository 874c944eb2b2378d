import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Schema } from '../../src/data/types';
import {
  loadOverrides,
  loadOverridesAsync,
  safeLoadOverrides,
  safeLoadOverridesAsync,
} from '../../src/overrides/merge-overrides';
import { OVERRIDE_LIMITS } from '../../src/overrides/parse-overrides';
import { lintModelOverrides } from '../../src/pipeline/lint-model-overrides';
import { openModel } from '../../src/pipeline/open-model';
import { createApp } from '../../src/server/create-app';
import { catchError } from '../data/catch-error';
import { copyGermanCredit } from '../helpers/german-credit';
import { fifo, QUICK, rejection, released, withFifo } from '../helpers/fifo';

/** Which files of an overrides folder are read, and what is refused (issue 11). */

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'class',
  features: [
    {
      name: 'age',
      type: 'numeric',
      min: 18,
      max: 80,
      mean: 35,
      std: 10,
      integer: true,
      missing: 0,
    },
  ],
  classes: ['bad', 'good'],
  rows: 100,
};
const override = (id: string): string =>
  `- id: ${id}\n  when:\n    age: { '<': 21 }\n  then: { class: bad }\n`;

let root: string;
let dir: string;
const at = (name: string): string => path.join(dir, name);
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-override-folder-'));
  dir = path.join(root, 'overrides');
  fs.mkdirSync(dir);
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** The codes and files of the problems, from the sync and the async loader (which agree). */
async function problems(d = dir): Promise<(string | undefined)[][]> {
  const sync = safeLoadOverrides(d, schema);
  const async = await safeLoadOverridesAsync(d, schema);
  expect(async).toEqual(sync);
  return sync.ok ? [] : sync.issues.map((i) => [i.code, i.file]);
}

describe('the files of an overrides folder', () => {
  withFifo(
    'a FIFO named x.yaml is NOT_A_REGULAR_FILE naming it, at once (sync)',
    () => {
      const file = fifo(at('x.yaml'));
      fs.writeFileSync(at('a.yaml'), override('a'));
      const e = catchError(() => loadOverrides(dir, schema));
      expect([e.code, e.file]).toEqual(['NOT_A_REGULAR_FILE', file]);
      expect(released(file)).toBe(false);
    },
    QUICK,
  );

  withFifo(
    'a FIFO named x.yaml is NOT_A_REGULAR_FILE naming it, at once (async)',
    async () => {
      const file = fifo(at('x.yaml'));
      const e = await rejection(loadOverridesAsync(dir, schema));
      expect([e.code, e.file]).toEqual(['NOT_A_REGULAR_FILE', file]);
      expect(released(file)).toBe(false);
    },
    QUICK,
  );

  withFifo(
    "a FIFO is reported with the other files' problems",
    async () => {
      fs.writeFileSync(at('a.yaml'), override('same') + override('same'));
      const file = fifo(at('x.yaml'));
      expect(await problems()).toEqual([
        ['NOT_A_REGULAR_FILE', file],
        ['DUPLICATE_ID', at('a.yaml')],
      ]);
    },
    QUICK,
  );

  it('a directory named x.yaml is NOT_A_REGULAR_FILE', async () => {
    fs.mkdirSync(at('x.yaml'));
    expect(await problems()).toEqual([['NOT_A_REGULAR_FILE', at('x.yaml')]]);
  });

  it('a dangling symbolic link is FILE_NOT_FOUND naming the link', async () => {
    fs.symlinkSync('gone.yaml', at('x.yaml'));
    expect(await problems()).toEqual([['FILE_NOT_FOUND', at('x.yaml')]]);
  });

  it('a symbolic link to a file outside the folder is OUTSIDE_FOLDER naming the link', async () => {
    fs.writeFileSync(path.join(root, 'outside.yaml'), override('outside'));
    fs.symlinkSync(path.join(root, 'outside.yaml'), at('x.yaml'));
    expect(await problems()).toEqual([['OUTSIDE_FOLDER', at('x.yaml')]]);
  });

  it('a symbolic link to a yaml file inside the folder is read, named as the link', async () => {
    fs.mkdirSync(at('shared'));
    fs.writeFileSync(at('shared/policy.yaml'), override('shared-policy'));
    fs.symlinkSync(path.join('shared', 'policy.yaml'), at('x.yaml'));
    const sync = loadOverrides(dir, schema);
    expect(await loadOverridesAsync(dir, schema)).toEqual(sync);
    expect(sync.map((o) => [o.id, o.file])).toEqual([['shared-policy', at('x.yaml')]]);
  });

  it('a link to a sibling yaml file reads it twice: its ids are DUPLICATE_ID', async () => {
    fs.writeFileSync(at('a.yaml'), override('a'));
    fs.symlinkSync('a.yaml', at('b.yaml'));
    expect(await problems()).toEqual([['DUPLICATE_ID', at('b.yaml')]]);
  });

  it('`overrides` as a plain file is NOT_A_DIRECTORY naming it', async () => {
    fs.rmSync(dir, { recursive: true });
    fs.writeFileSync(dir, override('a'));
    expect(await problems()).toEqual([['NOT_A_DIRECTORY', dir]]);
    const e = catchError(() => loadOverrides(dir, schema));
    expect([e.code, e.file]).toEqual(['NOT_A_DIRECTORY', dir]);
  });

  it('a missing folder is no overrides', async () => {
    const none = path.join(root, 'none');
    expect(loadOverrides(none, schema)).toEqual([]);
    expect(await loadOverridesAsync(none, schema)).toEqual([]);
  });

  it('a file over the size limit is OVERRIDE_LIMIT (only the limit and a byte more are read)', async () => {
    fs.writeFileSync(at('big.yaml'), Buffer.alloc(2 * OVERRIDE_LIMITS.maxBytes, '#'));
    expect(await problems()).toEqual([['OVERRIDE_LIMIT', at('big.yaml')]]);
  });
});

describe('through openModel and rules lint', () => {
  let overridesDir: string;
  let loc: ReturnType<typeof copyGermanCredit>;
  beforeEach(() => {
    loc = copyGermanCredit(root);
    overridesDir = path.join(loc.rulesDir, 'german-credit', 'overrides');
  });

  withFifo(
    'a FIFO override file makes openModel reject with NOT_A_REGULAR_FILE, not hang',
    async () => {
      const file = fifo(path.join(overridesDir, 'x.yaml'));
      const e = await rejection(openModel(loc));
      expect([e.code, e.file]).toEqual(['NOT_A_REGULAR_FILE', file]);
      expect(released(file)).toBe(false);
    },
    QUICK,
  );

  withFifo(
    'a service reload with a FIFO override file is a 422 naming it, and /healthz answers',
    async () => {
      const app = await createApp({
        model: loc.name,
        modelsDir: loc.modelsDir,
        rulesDir: loc.rulesDir,
        network: false,
        adminToken: 'secret',
      });
      try {
        const before = app.ruleSetHash();
        const file = fifo(path.join(overridesDir, 'x.yaml'));
        const refused = await app.inject({
          method: 'POST',
          url: '/v1/admin/reload',
          headers: { authorization: 'Bearer secret' },
        });
        expect(refused.statusCode).toBe(422);
        expect(
          refused.json().issues.map((i: { code: string; file?: string }) => [i.code, i.file]),
        ).toEqual([['NOT_A_REGULAR_FILE', file]]);
        expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
        expect(app.ruleSetHash()).toBe(before);
        expect(released(file)).toBe(false);
      } finally {
        await app.close();
      }
    },
    // Starting the app takes a while; the FIFO is made (and its guard started) after.
    15_000,
  );

  withFifo(
    'rules lint reports a FIFO override file as a problem naming it',
    async () => {
      const file = fifo(path.join(overridesDir, 'x.yaml'));
      const lint = await lintModelOverrides(loc);
      expect(lint.ok).toBe(false);
      expect(lint.problems.map((p) => [p.code, p.file])).toEqual([['NOT_A_REGULAR_FILE', file]]);
      expect(released(file)).toBe(false);
    },
    QUICK,
  );
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelLocation } from '../../src/artifacts/types';
import * as openModelModule from '../../src/pipeline/open-model';
import { createApp, type NeurulesApp } from '../../src/server/create-app';
import { writeOverride, youngOverride } from '../helpers/challenger-model';
import { copyGermanCredit } from '../helpers/german-credit';

/**
 * Two reloads at once (a SIGHUP and a `POST /v1/admin/reload`): the one that read the files
 * first must not finish last and put back the rules the other replaced.
 */

let dir: string;
let loc: ModelLocation;
let app: NeurulesApp | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-reload-order-'));
  loc = copyGermanCredit(dir);
});
afterEach(async () => {
  jest.restoreAllMocks();
  await app?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('a reload that starts while another runs waits for it: the newer files serve, not the older', async () => {
  app = await createApp({
    model: loc.name,
    modelsDir: loc.modelsDir,
    rulesDir: loc.rulesDir,
    network: false,
  });
  const real = openModelModule.openModel;
  let calls = 0;
  let inFlight = 0;
  let most = 0;
  let firstRead!: () => void;
  const readByFirst = new Promise<void>((resolve) => (firstRead = resolve));
  jest.spyOn(openModelModule, 'openModel').mockImplementation(async (...args) => {
    const n = ++calls;
    inFlight++;
    most = Math.max(most, inFlight);
    try {
      const m = await real(...args);
      if (n === 1) {
        // The first reload has read the files, and is slow to finish (a network to load).
        firstRead();
        await new Promise((r) => setTimeout(r, 300));
      }
      return m;
    } finally {
      inFlight--;
    }
  });
  const first = app.reload();
  await readByFirst;
  writeOverride(loc, 'young.yaml', youngOverride('bad'));
  const second = app.reload();
  const [a, b] = await Promise.all([first, second]);
  expect(a.ok && b.ok).toBe(true);
  if (!a.ok || !b.ok) return;
  expect(b.value).not.toBe(a.value);
  expect(app.ruleSetHash()).toBe(b.value);
  expect(most).toBe(1);
});

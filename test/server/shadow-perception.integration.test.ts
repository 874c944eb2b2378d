import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Parcels } from '../../bench/tasks/parcels';
import type { DecisionLogEntry } from '../../src/audit/decision-log';
import { createApp, type NeurulesApp } from '../../src/server/create-app';
import { copyAsModel } from '../helpers/challenger-model';
import { buildParcels, readJsonLines } from '../helpers/perception-models';

// A champion with a perception concept: the challenger (a copy of it, its perception files
// never loaded) decides the perceived facts the champion decided on, not the raw pixels.

let dir: string;
let app: NeurulesApp;
let parcels: Parcels;
const logFile = () => path.join(dir, 'decisions.jsonl');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-shadow-perception-'));
  const built = await buildParcels(dir, 300, { seed: 5 });
  parcels = built.parcels;
  copyAsModel(built.loc, 'parcels-challenger');
  app = await createApp({
    model: built.loc.name,
    modelsDir: built.loc.modelsDir,
    rulesDir: built.loc.rulesDir,
    backend: 'wasm',
    network: false,
    shadow: 'parcels-challenger',
    decisionLog: { file: logFile() },
  });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function raw(i: number): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  parcels.images.pixels[i]!.forEach((v, j) => (record[`px_${j}`] = v));
  record.weight = parcels.weights[i];
  record.service = parcels.services[i];
  return record;
}

it("the challenger decides the champion's perceived facts, alike for the same rules", async () => {
  const r = await app.inject({
    method: 'POST',
    url: '/v1/predict',
    payload: [raw(0), raw(1), raw(2), raw(3)],
  });
  expect(r.statusCode).toBe(200);
  const answers = r.json<{ class: string; ruleId: string }[]>();
  const lines = readJsonLines<DecisionLogEntry>(logFile());
  expect(lines).toHaveLength(4);
  lines.forEach((l, i) => {
    expect(l.perceived).toBeDefined();
    expect(l.shadow).toEqual({
      class: answers[i]!.class,
      ruleId: answers[i]!.ruleId,
      ruleSet: app.ruleSetHash(),
    });
  });
});

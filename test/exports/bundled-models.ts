import { parse } from 'csv-parse/sync';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Schema } from '../../src/data/types';
import { buildModel } from '../../src/pipeline/build-model';
import { openModel } from '../../src/pipeline/open-model';
import type { RuleSet } from '../../src/rules/types';
import { GERMAN_CREDIT } from '../helpers/german-credit';

const ROOT = path.join(__dirname, '..', '..');

/** A table of raw text cells (null for SQL NULL), with its column names. */
export interface RawTable {
  columns: string[];
  rows: (string | null)[][];
}

/** A CSV file as raw text cells. */
export function readCsv(file: string): RawTable {
  const [header, ...rows] = parse(fs.readFileSync(file, 'utf8')) as string[][];
  return { columns: header!, rows };
}

/** A model of a bundled data set: its merged rule set, schema and data file. */
export interface BundledModel {
  name: string;
  ruleSet: RuleSet;
  schema: Schema;
  data: string;
}

/**
 * A model of every bundled data set: the committed German credit model with its overrides,
 * and quick iris and breast cancer models (few epochs, no shaping: the exports' tests
 * need rule sets, not good ones), built in a temporary folder that `done` removes.
 */
export async function bundledModels(): Promise<{ models: BundledModel[]; done: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-exports-'));
  const gc = await openModel(GERMAN_CREDIT);
  const models: BundledModel[] = [
    {
      name: 'german-credit',
      ruleSet: gc.ruleSet,
      schema: gc.schema,
      data: path.join(ROOT, 'data', 'german-credit.csv'),
    },
  ];
  for (const name of ['iris', 'breast-cancer-wisconsin']) {
    const data = path.join(ROOT, 'data', `${name}.csv`);
    const built = await buildModel({
      data,
      backend: 'cpu',
      modelsDir: path.join(dir, 'models'),
      rulesDir: path.join(dir, 'rules'),
      teacherShaping: 'off',
      training: { epochs: 30 },
      distill: { sampling: 'none' },
    });
    models.push({ name, ruleSet: built.ruleSet, schema: built.schema, data });
  }
  return { models, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The bundled models for a test file: built before its tests (the array is filled then)
 * and their folder removed after them.
 */
export function useBundledModels(): BundledModel[] {
  const models: BundledModel[] = [];
  let done: (() => void) | undefined;
  beforeAll(async () => {
    const built = await bundledModels();
    models.push(...built.models);
    done = built.done;
  }, 300_000);
  afterAll(() => done?.());
  return models;
}

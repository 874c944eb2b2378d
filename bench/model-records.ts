import * as path from 'node:path';
import { loadModelFiles } from '../src/artifacts/model-store';
import type { ModelLocation } from '../src/artifacts/types';
import type { DataRecord, Schema } from '../src/data/types';
import { readRecords } from '../src/data/read-records';

/**
 * A committed model of the repository at `root` (its models/ and rules/, or the folders
 * given) and the records of its bundled data file (`data/MODEL.csv`), read with its
 * schema: what the service benches send.
 */
export function modelRecords(
  root: string,
  model: string,
  dirs: { modelsDir?: string; rulesDir?: string } = {},
): { loc: ModelLocation; schema: Schema; records: DataRecord[] } {
  const loc = {
    modelsDir: path.resolve(dirs.modelsDir ?? path.join(root, 'models')),
    rulesDir: path.resolve(dirs.rulesDir ?? path.join(root, 'rules')),
    name: model,
  };
  const { schema } = loadModelFiles(loc);
  return {
    loc,
    schema,
    records: readRecords(path.join(root, 'data', `${model}.csv`), schema).records,
  };
}

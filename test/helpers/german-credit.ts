import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelLocation } from '../../src/artifacts/types';

const ROOT = path.join(__dirname, '..', '..');

/** The committed German credit model (models/ and rules/ of the repository). */
export const GERMAN_CREDIT: ModelLocation = {
  modelsDir: path.join(ROOT, 'models'),
  rulesDir: path.join(ROOT, 'rules'),
  name: 'german-credit',
};

/**
 * A frozen German credit model (the bundled one of 2026-11-30, before balanced fidelity
 * counted), for tests that edit particular rules by their place or depend on particular
 * regions: they must not change when the bundled model is rebuilt. Tests of what the
 * bundled model does, and the docs, use {@link GERMAN_CREDIT}.
 */
export const GERMAN_CREDIT_FROZEN: ModelLocation = {
  modelsDir: path.join(ROOT, 'test', 'fixtures', 'german-credit-frozen', 'models'),
  rulesDir: path.join(ROOT, 'test', 'fixtures', 'german-credit-frozen', 'rules'),
  name: 'german-credit',
};

/**
 * A copy of a German credit model and rules (overrides included; by default the committed
 * ones) under `dir`, for tests that add or remove files; returns its location.
 */
export function copyGermanCredit(dir: string, from: ModelLocation = GERMAN_CREDIT): ModelLocation {
  const loc = {
    modelsDir: path.join(dir, 'models'),
    rulesDir: path.join(dir, 'rules'),
    name: 'german-credit',
  };
  fs.cpSync(path.join(from.modelsDir, 'german-credit'), path.join(loc.modelsDir, 'german-credit'), {
    recursive: true,
  });
  fs.cpSync(path.join(from.rulesDir, 'german-credit'), path.join(loc.rulesDir, 'german-credit'), {
    recursive: true,
  });
  return loc;
}

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
 * A copy of the committed German credit model and rules (overrides included) under
 * `dir`, for tests that add or remove files; returns its location.
 */
export function copyGermanCredit(dir: string): ModelLocation {
  const loc = {
    modelsDir: path.join(dir, 'models'),
    rulesDir: path.join(dir, 'rules'),
    name: 'german-credit',
  };
  fs.cpSync(
    path.join(GERMAN_CREDIT.modelsDir, 'german-credit'),
    path.join(loc.modelsDir, 'german-credit'),
    { recursive: true },
  );
  fs.cpSync(
    path.join(GERMAN_CREDIT.rulesDir, 'german-credit'),
    path.join(loc.rulesDir, 'german-credit'),
    { recursive: true },
  );
  return loc;
}

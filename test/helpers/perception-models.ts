import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateParcels, type Parcels, writeParcelsCsv } from '../../bench/tasks/parcels';
import type { ModelLocation } from '../../src/artifacts/types';
import { type BuildOptions, type BuildResult, buildModel } from '../../src/pipeline/build-model';
import type { PerceivedFacts } from '../../src/perception/perceived';

/**
 * Models with perception concepts for the integration tests: small data (8×8 digits) and
 * the cheap path through the build (no teacher shaping, no refit, no synthetic samples, a
 * short epoch limit), so a build takes seconds. What is tested is perception and what the
 * rules do with it, not how good the rules are.
 */

/** The 8×8 digits every test draws. */
export const SHAPE = { height: 8, width: 8 } as const;

/** buildModel's options for a quick build. */
export const QUICK_BUILD = {
  backend: 'wasm',
  seed: 7,
  training: { epochs: 40 },
  teacherShaping: 'off',
  refit: 'off',
  selection: 'holdout',
  distill: { sampling: 'none' },
} as const satisfies Partial<BuildOptions>;

/** The same as flags of `neurules build`. */
export const QUICK_BUILD_FLAGS = [
  '--backend',
  'wasm',
  '--seed',
  '7',
  '--epochs',
  '40',
  '--teacher-shaping',
  'off',
  '--refit',
  'off',
  '--selection',
  'holdout',
  '--sampling',
  'none',
];

/** `modelsDir` and `rulesDir` under `dir`, for the model `name`. */
export function locationIn(dir: string, name: string): ModelLocation {
  return { modelsDir: path.join(dir, 'models'), rulesDir: path.join(dir, 'rules'), name };
}

/**
 * Write `count` parcels (seed `seed`, 8×8 postcodes) to `file`; rows for which
 * `unlabelled(row)` holds (0-based data rows) get an empty postcode label.
 */
export function writeParcels(
  file: string,
  count: number,
  seed: number,
  unlabelled: (row: number) => boolean = () => false,
): Parcels {
  const parcels = generateParcels(count, seed, SHAPE);
  writeParcelsCsv(file, parcels);
  editCsv(file, (cells, row) => (row >= 0 && unlabelled(row) ? ['', ...cells.slice(1)] : cells));
  return parcels;
}

/**
 * Rewrite a CSV file of plain cells (no quoting) row by row: `edit` gets each row's cells
 * and its 0-based data row (-1 for the header) and returns the new cells.
 */
export function editCsv(
  file: string,
  edit: (cells: string[], row: number) => string[],
  to: string = file,
): void {
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  const out = lines.map((line, i) => edit(line.split(','), i - 1).join(','));
  fs.writeFileSync(to, out.join('\n') + '\n');
}

/** A parcels model: built on `count` parcels in `dir` (the data as `dir/parcels.csv`). */
export async function buildParcels(
  dir: string,
  count: number,
  options: { seed?: number; unlabelled?: (row: number) => boolean; name?: string } = {},
): Promise<{ loc: ModelLocation; data: string; parcels: Parcels; result: BuildResult }> {
  const data = path.join(dir, 'parcels.csv');
  const parcels = writeParcels(data, count, options.seed ?? 1, options.unlabelled);
  const loc = locationIn(dir, options.name ?? 'parcels');
  const result = await buildQuickly(loc, data, 'route', ['postcode=px_*']);
  return { loc, data, parcels, result };
}

/** A quick build of `data` into `loc` with the concepts `concepts` (and their shapes). */
export function buildQuickly(
  loc: ModelLocation,
  data: string,
  target: string,
  concepts: string[],
  conceptShapes: string[] = [],
): Promise<BuildResult> {
  return buildModel({
    ...QUICK_BUILD,
    data,
    target,
    name: loc.name,
    modelsDir: loc.modelsDir,
    rulesDir: loc.rulesDir,
    concepts,
    conceptShapes,
  });
}

/** Every `fact` a rule set's conditions read, nested conditions included. */
export function factsOf(rules: readonly { conditions: unknown }[]): Set<string> {
  const facts = new Set<string>();
  const walk = (c: unknown): void => {
    if (Array.isArray(c)) return c.forEach(walk);
    if (typeof c !== 'object' || c === null) return;
    const o = c as Record<string, unknown>;
    if (typeof o.fact === 'string') facts.add(o.fact);
    for (const v of Object.values(o)) walk(v);
  };
  rules.forEach((r) => walk(r.conditions));
  return facts;
}

/** A decision line of `predict` on a model with concepts. */
export interface PerceivedLine {
  line: number;
  perceived: PerceivedFacts;
  class: string;
  ruleId: string;
  probabilities: Record<string, number>;
}

/** The JSON lines of a file. */
export function readJsonLines<T = PerceivedLine>(file: string): T[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

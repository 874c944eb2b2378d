import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type LoadedModel, loadModel } from './model-store';
import type { ModelLocation } from './types';
import { listLevels } from '../data/coerce-record';
import { parseTable, parseTestTable } from '../data/read-csv';
import { readInputFile } from '../data/read-input-file';
import { formatFromExtension, parseRecords, sniffFormat } from '../data/read-records';
import { SPLIT_DEFAULTS, splitTable } from '../data/split-table';
import type { DataRecord, Schema, Table } from '../data/types';
import { didYouMean, isNeurulesError, NeurulesError } from '../errors';
import { IssueList } from '../data/issue-list';
import { isMissingText } from '../data/parse-value';
import type { Shape } from '../perception/concepts';
import type { PerceivedConcept, PerceivedFacts } from '../perception/perceived';
import type { PerceptionFront, PerceptionSpec } from '../perception/perception-front';
import type { BackendChoice } from '../teacher/backend-choice';

/** Labelled records to measure a model on, and where they come from. */
export interface ModelData {
  /** The file that was read. */
  file: string;
  /**
   * `'split'`: the build's own data file, split again exactly as the build split it;
   * `'file'`: a labelled file given by the caller, all of it in `test`.
   */
  source: 'split' | 'file';
  /** With `'split'`, the build's training part; with `'file'`, empty. */
  train: Table;
  /** With `'split'`, the build's validation part; with `'file'`, empty. */
  validation: Table;
  /** The records to measure on: the held-out test split, or every record of the file. */
  test: Table;
  /** Words for reports, e.g. "held-out test split (300 of 1000 rows) of data/german-credit.csv". */
  description: string;
  /**
   * A model with perception concepts, read by {@link loadModelData}: the tables hold raw
   * records (read with these types), not yet perceived; {@link loadDecisionData} perceives
   * them and leaves this out.
   */
  raw?: PerceptionSpec;
  /**
   * A model with perception concepts, after {@link loadDecisionData}: what each concept's
   * label column says of every `test` record and what was perceived of it.
   */
  concepts?: ConceptReadings[];
}

/** What the data says of one concept, and what its network perceived, per `test` record. */
export interface ConceptReadings {
  name: string;
  classes: string[];
  /** The image shape of a concept read from pixels or image files; null for a plain vector. */
  shape: Shape | null;
  /** The label column's value per record (null where missing or left out). */
  labels: (string | null)[];
  perceived: PerceivedConcept[];
  /** The raw inputs per record (`width` each, as the network read them: decoded images). */
  inputs: Float32Array;
  width: number;
}

/**
 * Labelled records to measure a built model on. Every table carries the model's schema.
 *
 * Without `options.data`: the build's data file is read again (the manifest's `data.path`,
 * else `data/<data.file>`, both relative to the working directory), checked against the
 * manifest's SHA-256, and split with the build's seed, fractions and column types, so
 * `test` holds exactly the records the build measured its metrics on.
 *
 * With `options.data`: that file (CSV with a header row, or JSONL) is read against the
 * model's schema and returned whole as `test`; `train` and `validation` are empty, since
 * a file that is not the build's says nothing about what the model was trained on. Every
 * record needs its class (the target column); categories the model never saw are kept,
 * and the rules route them as they route any value outside a split's levels.
 *
 * Throws NeurulesError: FILE_NOT_FOUND (field `data.path`, or `data.file` for manifests
 * without a path) when the build's file is found at neither place; DATA_CHANGED (field
 * `data.sha256` or `data.rows`) when it differs from the build's; with `options.data`,
 * TARGET_NOT_FOUND, MISSING_TARGET and UNKNOWN_CATEGORY for labels, and the record
 * checks of `readRecords` (MISSING_FEATURE, UNKNOWN_FEATURE, WRONG_TYPE); and the errors
 * of `loadModelFiles`.
 *
 * @example
 * const { test, description } = loadModelData({ modelsDir: 'models', rulesDir: 'rules', name: 'german-credit' });
 */
export function loadModelData(
  loc: ModelLocation,
  options: { data?: string; allowEditedRules?: boolean } = {},
): ModelData {
  return readModelData(
    loadModel(loc, options.allowEditedRules ? { allowEditedRules: true } : {}),
    options,
  );
}

/** {@link loadModelData} of a model already loaded. */
function readModelData(model: LoadedModel, options: { data?: string }): ModelData {
  const { manifest, schema, manifestFile, perception } = model;
  if (options.data !== undefined) {
    const labelled = readLabelledFile(options.data, perception ? perception.input : schema);
    return perception ? { ...labelled, raw: perception } : labelled;
  }

  const data = manifest.data;
  const file = findBuildFile(
    manifest.name,
    manifestFile,
    data.path !== undefined ? 'data.path' : 'data.file',
    data.path,
    path.join('data', data.file),
  );
  const bytes = readInputFile(file);
  const changed = (field: string, what: string): NeurulesError =>
    new NeurulesError(
      'DATA_CHANGED',
      `${file} is not the file model '${manifest.name}' was built from (${what}), so its held-out split cannot be rebuilt`,
      { file, field },
    );
  if (data.sha256 !== undefined) {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== data.sha256) {
      throw changed(
        'data.sha256',
        `its SHA-256 is ${sha256.slice(0, 12)}…, ${manifestFile} records ${data.sha256.slice(0, 12)}…`,
      );
    }
  }
  const table = parseTable(bytes, {
    file,
    target: manifest.target,
    ...(data.types !== undefined && { types: data.types }),
  });
  // Manifests without a hash are checked as far as they can be: rows, features, classes.
  if (table.records.length !== data.rows) {
    throw changed('data.rows', `it has ${table.records.length} rows, the build read ${data.rows}`);
  }
  // A model with concepts was built from the raw columns: the rules' schema has the
  // perceived facts instead, so the file is checked against the columns the build read.
  const shaped = perception
    ? sameColumns(table.schema, data.types ?? {}, schema)
    : sameShape(table.schema, schema);
  if (!shaped) {
    throw changed('data.types', 'its columns, their types or its classes differ from the schema');
  }
  const tableSchema = perception ? table.schema : schema;
  const split = splitTable(table, {
    seed: manifest.seed,
    testFraction: data.split?.testFraction ?? SPLIT_DEFAULTS.testFraction,
    validationFraction: data.split?.validationFraction ?? SPLIT_DEFAULTS.validationFraction,
  });
  const parts = {
    file,
    source: 'split' as const,
    train: { ...split.train, schema: tableSchema },
    validation: { ...split.validation, schema: tableSchema },
    ...(perception && { raw: perception }),
  };
  if (data.test) {
    // The build measured on a test file of its own: that file, checked, is the held-out part.
    const testFile = findBuildFile(
      manifest.name,
      manifestFile,
      'data.test.path',
      data.test.path,
      path.join('data', data.test.file),
    );
    const testBytes = readInputFile(testFile);
    const sha256 = createHash('sha256').update(testBytes).digest('hex');
    if (sha256 !== data.test.sha256) {
      throw new NeurulesError(
        'DATA_CHANGED',
        `${testFile} is not the test file model '${manifest.name}' was built with (its SHA-256 is ${sha256.slice(0, 12)}…, ${manifestFile} records ${data.test.sha256.slice(0, 12)}…)`,
        { file: testFile, field: 'data.test.sha256' },
      );
    }
    const test = parseTestTable(testBytes, schema, { file: testFile });
    return {
      ...parts,
      test,
      description: `test file ${testFile} (${test.records.length} rows; the build trained on ${file})`,
    };
  }
  return {
    ...parts,
    test: { ...split.test, schema: tableSchema },
    description: `held-out test split (${split.test.records.length} of ${table.records.length} rows) of ${file}`,
  };
}

/**
 * {@link loadModelData}, with the records of a model with perception concepts perceived:
 * its perception networks run on every record (batched), so each table holds what the
 * rules read, carries the rules' schema, and `concepts` says per test record what the
 * data's label columns say and what was perceived. `front` is a model's perception already
 * loaded (left open); without it the networks are loaded and freed here. A model without
 * concepts is read as `loadModelData` reads it.
 *
 * Throws what `loadModelData` throws, and the record problems of perception (INVALID_NUMBER,
 * IMAGE_UNREADABLE) for a raw record it cannot read.
 *
 * @example
 * const data = await loadDecisionData(loc);
 * data.concepts?.[0]?.perceived[0]?.value; // '7'
 */
export async function loadDecisionData(
  loc: ModelLocation,
  options: {
    data?: string;
    allowEditedRules?: boolean;
    backend?: BackendChoice;
    front?: PerceptionFront;
  } = {},
): Promise<ModelData> {
  const { front: given, backend, ...readOptions } = options;
  // One load: its files are read and checked once, for the data and the networks alike.
  const model = loadModel(loc, options.allowEditedRules ? { allowEditedRules: true } : {});
  const data = readModelData(model, readOptions);
  const spec = data.raw;
  if (!spec) return data;
  const front =
    given ??
    (await (
      await import('../perception/open-front')
    ).openPerceptionFront(spec, model.schema, model.perceiversDir, backend));
  try {
    const perceive = async (t: Table, keep: boolean) => {
      const batch = await front.perceive(t.records, {
        file: data.file,
        lines: t.lines,
        keepInputs: keep,
      });
      const issues = batch.rows.flatMap((r) => ('issues' in r ? r.issues : []));
      if (issues.length > 0) throw NeurulesError.fromIssues(issues);
      const rows = batch.rows as { record: DataRecord; perceived: PerceivedFacts }[];
      return {
        table: { ...t, schema: front.schema, records: rows.map((r) => r.record) },
        perceived: rows.map((r) => r.perceived),
        inputs: batch.inputs,
      };
    };
    const train = await perceive(data.train, false);
    const validation = await perceive(data.validation, false);
    const test = await perceive(data.test, true);
    const concepts = spec.concepts.map((c): ConceptReadings => {
      const input = test.inputs!.get(c.name)!;
      return {
        name: c.name,
        classes: [...c.classes],
        shape: c.input.shape ?? null,
        labels: data.test.records.map((r) => {
          const v = r[c.label];
          return v === null || v === undefined || String(v).trim() === '' ? null : String(v);
        }),
        perceived: test.perceived.map((p) => p[c.name]!),
        inputs: input.values,
        width: input.width,
      };
    });
    const { raw: _raw, ...rest } = data;
    return {
      ...rest,
      train: train.table,
      validation: validation.table,
      test: test.table,
      concepts,
    };
  } finally {
    if (!given) front.dispose();
  }
}

/**
 * The build's training records, where the rules' shares of records come from when drift
 * is measured: `data`'s own training part when it is the build's split, else the build's
 * split read again. Undefined when the build's data file is gone or changed, since a
 * drift baseline from any other records would be a guess.
 *
 * @example
 * const training = await loadTrainingRecords(loc, await loadDecisionData(loc, { data: 'labelled.csv' }));
 */
export async function loadTrainingRecords(
  loc: ModelLocation,
  data?: ModelData,
  options: { backend?: BackendChoice; front?: PerceptionFront } = {},
): Promise<{ records: DataRecord[]; description: string } | undefined> {
  let split = data?.source === 'split' && !data.raw ? data : undefined;
  if (!split) {
    try {
      split = await loadDecisionData(loc, options);
    } catch (e) {
      if (isNeurulesError(e)) return undefined;
      throw e;
    }
  }
  return { records: split.train.records, description: 'training split' };
}

/**
 * A file the build read: at the path it recorded (relative to the working directory),
 * else in `data/` under its base name (`fallback`). FILE_NOT_FOUND naming the manifest's
 * field when it is at neither.
 */
function findBuildFile(
  model: string,
  manifestFile: string,
  field: string,
  recorded: string | undefined,
  fallback: string,
): string {
  const candidates = recorded !== undefined ? [recorded, fallback] : [fallback];
  const file = candidates.find((c) => fs.existsSync(c));
  if (file !== undefined) return file;
  throw new NeurulesError(
    'FILE_NOT_FOUND',
    `the ${field.startsWith('data.test') ? 'test' : 'data'} file model '${model}' was built with (${manifestFile} ${field}: '${recorded ?? fallback}') is not at ${candidates.map((c) => `'${c}'`).join(' nor at ')}`,
    { file: candidates[0]!, field },
  );
}

/** The columns (in order) and types a build read, and the rules' target and classes. */
function sameColumns(
  read: Schema,
  types: Readonly<Record<string, string>>,
  rules: Schema,
): boolean {
  // Compared as sorted lists: an object's keys that look like integers come first.
  const list = (pairs: string[][]) => JSON.stringify(pairs.map((p) => p.join('\u0000')).sort());
  return (
    list(read.features.map((f) => [f.name, f.type])) === list(Object.entries(types)) &&
    read.target === rules.target &&
    JSON.stringify(read.classes) === JSON.stringify(rules.classes)
  );
}

/** Same target, classes and features (names and types, in order). */
function sameShape(a: Schema, b: Schema): boolean {
  const shape = (s: Schema) =>
    JSON.stringify([s.target, s.classes, s.features.map((f) => [f.name, f.type])]);
  return shape(a) === shape(b);
}

function emptyTable(schema: Schema): Table {
  return { schema, records: [], labels: [], lines: [] };
}

/** Every record of a labelled CSV or JSONL file, checked against the model's schema. */
function readLabelledFile(file: string, schema: Schema): ModelData {
  const bytes = readInputFile(file);
  const format = formatFromExtension(file) ?? sniffFormat(bytes.toString('utf8'));
  let test: Table;
  if (format === 'csv') {
    // Reading with the schema requires the target column and a known class on every row.
    test = parseTable(bytes, { file, schema });
  } else {
    const read = parseRecords(bytes, schema, { file, format, unknownCategories: 'keep' });
    const issues = new IssueList();
    read.labels.forEach((label, i) => {
      if (label !== null) return;
      const line = read.lines[i]!;
      const raw = read.targets[i];
      const at = { file, line, field: schema.target };
      const missing =
        raw === undefined || raw === null || (typeof raw === 'string' && isMissingText(raw.trim()));
      issues.add(
        missing
          ? {
              code: 'MISSING_TARGET',
              message: `the record has no class in key '${schema.target}'; measuring needs labelled records`,
              ...at,
            }
          : {
              code: 'UNKNOWN_CATEGORY',
              message: `${JSON.stringify(raw)} is not a class of the model; expected one of ${listLevels({ levels: schema.classes })}${didYouMean(String(raw), schema.classes)}`,
              ...at,
            },
      );
    });
    issues.throwIfAny();
    test = { schema, records: read.records, labels: read.labels as number[], lines: read.lines };
  }
  return {
    file,
    source: 'file',
    train: emptyTable(schema),
    validation: emptyTable(schema),
    test,
    description: `all ${test.records.length} labelled records of ${file}`,
  };
}

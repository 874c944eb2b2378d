import { DuckDBInstance } from '@duckdb/node-api';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateDigits } from '../../bench/tasks/digits';
import { generateMachines, writeMachinesCsv } from '../../bench/tasks/machines';
import { parcelRoute, type Parcels } from '../../bench/tasks/parcels';
import { writeGreyPng } from '../../bench/tasks/png';
import type { ModelLocation } from '../../src/artifacts/types';
import { loadModel } from '../../src/artifacts/model-store';
import type { DataRecord } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { quoteString } from '../../src/exports/sql-quote';
import type { ConceptInput } from '../../src/perception/concepts';
import type { BuildResult } from '../../src/pipeline/build-model';
import { explainRecord } from '../../src/pipeline/explain-record';
import { exportModel } from '../../src/pipeline/export-model';
import { openModel } from '../../src/pipeline/open-model';
import { perceiveModel } from '../../src/pipeline/perceive-model';
import { predictModel } from '../../src/pipeline/predict-model';
import {
  buildParcels,
  buildQuickly,
  editCsv,
  factsOf,
  locationIn,
  type PerceivedLine,
  readJsonLines,
  SHAPE,
  writeParcels,
} from '../helpers/perception-models';

// Library level: a model with perception concepts built, then predict, explain, perceive
// and the SQL export on it. One model per input kind, shared by the tests of its describe.

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const PIXELS = Array.from({ length: 64 }, (_, i) => `px_${i}`);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-perception-build-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A folder of its own inside the file's temporary folder. */
function folder(name: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

/** Decide `input` with the model, JSON lines written to `output`; the lines read back. */
async function predictLines(
  loc: ModelLocation,
  input: string,
  output: string,
  options: Partial<Parameters<typeof predictModel>[1]> = {},
) {
  await predictModel(loc, { input, output, ...options });
  return readJsonLines(output);
}

/**
 * What every concept model must be: its rules read the concept's facts and the ordinary
 * columns, never a raw input, the label or the target (every condition's fact walked);
 * the concept is perceived from what it was declared on; metrics.concepts has its test
 * accuracy and a confusion matrix of the labelled test rows.
 */
function expectConceptModel(
  loc: ModelLocation,
  result: BuildResult,
  expected: {
    concept: string;
    classes: string[];
    ordinary: string[];
    raw: string[];
    input: ConceptInput;
    /** The concept's label of each test row, by line (undefined: no label). */
    labelOf: (line: number) => string | undefined;
  },
): void {
  const { concept, ordinary } = expected;
  const facts = [concept, `${concept}_confidence`, ...ordinary];
  expect(result.schema.features.map((f) => f.name).sort()).toEqual([...facts].sort());
  const read = factsOf(result.ruleSet.rules);
  expect(read.has(concept)).toBe(true);
  for (const fact of read) expect(facts).toContain(fact);
  for (const column of [...expected.raw, result.schema.target])
    expect(read.has(column)).toBe(false);
  // The rule file on disk is the one returned.
  const model = loadModel(loc);
  expect(factsOf(model.ruleSet.rules)).toEqual(read);
  expect(model.perception?.concepts).toEqual([
    { name: concept, label: concept, input: expected.input, classes: expected.classes },
  ]);

  const m = result.metrics.concepts?.[concept];
  expect(m).toBeDefined();
  expect(m!.classes).toEqual(expected.classes);
  const labelled = result.test.lines.filter((l) => expected.labelOf(l) !== undefined);
  expect(m!.rows).toBe(labelled.length);
  const k = expected.classes.length;
  expect(m!.confusion).toHaveLength(k);
  for (const row of m!.confusion) expect(row).toHaveLength(k);
  const sum = m!.confusion.flat().reduce((a, b) => a + b, 0);
  expect(sum).toBe(labelled.length);
  // Row i counts the test rows labelled i: the labels of the data file.
  const perClass = expected.classes.map(
    (c) => labelled.filter((l) => expected.labelOf(l) === c).length,
  );
  expect(m!.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(perClass);
  const diagonal = m!.confusion.reduce((a, row, i) => a + row[i]!, 0);
  expect(m!.accuracy).toBeCloseTo(diagonal / labelled.length, 12);
  expect(m!.accuracy).toBeGreaterThan(0.6);
  expect(model.metrics.concepts).toEqual(result.metrics.concepts);
}

/** What the model's rules decide for a record of facts. */
function rulesOf(result: BuildResult): (facts: DataRecord) => string {
  const compiled = compileRuleSet(result.ruleSet);
  return (facts) => compiled.decide(facts).class;
}

/** The facts of a predict line and the data row it came from (parcels). */
function parcelFacts(parcels: Parcels, line: { line: number; perceived: object }): DataRecord {
  const row = line.line - 2;
  const p = (line.perceived as Record<string, { value: string; confidence: number }>).postcode!;
  return {
    postcode: p.value,
    postcode_confidence: p.confidence,
    weight: Number(parcels.weights[row]!.toFixed(1)),
    service: parcels.services[row]!,
  };
}

/**
 * The model's SQL export (DuckDB dialect) run in DuckDB on a file `neurules perceive`
 * wrote, as read by `read_csv` with its own type detection: each line's decision.
 */
async function sqlDecisions(loc: ModelLocation, perceived: string) {
  const sql = await exportModel(loc, { format: 'sql', dialect: 'duckdb' });
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  try {
    await duck.run(`CREATE TABLE records AS SELECT * FROM read_csv(${quoteString(perceived)})`);
    const rows = await duck.runAndReadAll(`SELECT * FROM (\n${sql}) ORDER BY line`);
    return rows.getRowObjects().map((r) => ({
      line: Number(r.line),
      class: r.neurules_class as string | null,
      ruleId: r.neurules_rule as string | null,
      error: r.neurules_error as string | null,
    }));
  } finally {
    duck.closeSync();
    instance.closeSync();
  }
}

describe('a concept read from pixel columns by a glob (postcode=px_*)', () => {
  let d: string;
  let built: Awaited<ReturnType<typeof buildParcels>>;
  let loc: ModelLocation;
  let parcels: Parcels;
  /** Every tenth parcel has no postcode label. */
  const unlabelled = (row: number) => row % 10 === 3;
  const labelOf = (line: number) =>
    unlabelled(line - 2) ? undefined : String(parcels.images.labels[line - 2]);
  let plain: PerceivedLine[];

  beforeAll(async () => {
    d = folder('glob');
    built = await buildParcels(d, 500, { unlabelled });
    ({ loc, parcels } = built);
    plain = await predictLines(loc, built.data, path.join(d, 'plain.jsonl'));
  });

  it('builds with rows whose concept label is missing; the rules read postcode, never a pixel, the label or the target', () => {
    expect(built.result.test.lines.some((l) => labelOf(l) === undefined)).toBe(true);
    expectConceptModel(loc, built.result, {
      concept: 'postcode',
      classes: DIGITS,
      ordinary: ['weight', 'service'],
      raw: PIXELS,
      // px_N with a square count: an 8×8 image, read by the CNN.
      input: { kind: 'columns', columns: PIXELS, shape: SHAPE },
      labelOf,
    });
    expect(built.result.metrics.concepts!.postcode!.network).toMatch(/CNN/);
  });

  it('openModel puts the perception networks in front of the rules, reading the raw columns', async () => {
    const model = await openModel(loc, { backend: 'wasm' });
    try {
      expect(model.front!.spec.input.features.map((f) => f.name)).toEqual([
        'postcode',
        ...PIXELS,
        'weight',
        'service',
      ]);
      expect(model.schema.features.map((f) => f.name)).toEqual([
        'postcode',
        'postcode_confidence',
        'weight',
        'service',
      ]);
    } finally {
      model.front?.dispose();
    }
  });

  it('predict perceives every record, labelled or not, and decides it on what was perceived', () => {
    expect(plain.map((l) => l.line)).toEqual(parcels.routes.map((_, i) => i + 2));
    const decide = rulesOf(built.result);
    let right = 0;
    for (const line of plain) {
      const p = line.perceived.postcode!;
      expect(DIGITS).toContain(p.value);
      expect(p.confidence).toBeGreaterThan(0);
      expect(p.confidence).toBeLessThanOrEqual(1);
      expect(p.perceivedAs).toBeUndefined();
      expect(line.class).toBe(decide(parcelFacts(parcels, line)));
      if (p.value === String(parcels.images.labels[line.line - 2])) right++;
    }
    expect(right / plain.length).toBeGreaterThan(0.8);
  });

  it('set fixes the concept: its value with confidence 1 and perceivedAs, decided as the rules say', async () => {
    const decide = rulesOf(built.result);
    for (const value of ['0', '9']) {
      const set = await predictLines(loc, built.data, path.join(d, `set-${value}.jsonl`), {
        set: [`postcode=${value}`],
      });
      expect(set).toHaveLength(plain.length);
      set.forEach((line, i) => {
        const before = plain[i]!.perceived.postcode!;
        expect(line.perceived.postcode).toEqual({
          value,
          confidence: 1,
          perceivedAs: { value: before.value, confidence: before.confidence },
        });
        expect(line.class).toBe(decide(parcelFacts(parcels, line)));
      });
      // Parcels perceived otherwise are decided anew: some change class.
      expect(set.filter((l, i) => l.class !== plain[i]!.class).length).toBeGreaterThan(0);
    }
    // explain says the same of one record.
    const row = plain.findIndex((l) => l.perceived.postcode!.value !== '9');
    const { record, explanation } = await explainRecord(
      loc,
      { input: built.data, row: row + 1 },
      { set: ['postcode=9'], backend: 'wasm' },
    );
    expect(record).toMatchObject({ postcode: '9', postcode_confidence: 1 });
    expect(explanation.perceived?.postcode).toEqual({
      value: '9',
      confidence: 1,
      perceivedAs: {
        value: plain[row]!.perceived.postcode!.value,
        confidence: plain[row]!.perceived.postcode!.confidence,
      },
    });
    expect(explanation.decision.class).toBe(decide(record));
  });

  it('a record without the label column decides as the same record with it', async () => {
    const bare = path.join(d, 'no-label.csv');
    editCsv(built.data, (cells) => cells.slice(1), bare);
    expect(fs.readFileSync(bare, 'utf8').split('\n')[0]).toMatch(/^px_0,/);
    const without = await predictLines(loc, bare, path.join(d, 'no-label.jsonl'));
    expect(without).toEqual(plain);
    // One record as JSON, to explain, with and without its label.
    const header = fs.readFileSync(built.data, 'utf8').split('\n')[0]!.split(',');
    const cells = fs.readFileSync(built.data, 'utf8').split('\n')[1]!.split(',');
    const record = Object.fromEntries(header.map((h, i) => [h, cells[i]]));
    delete record.route;
    const { postcode: _label, ...unlabelledRecord } = record;
    const a = await explainRecord(loc, { record }, { backend: 'wasm' });
    const b = await explainRecord(loc, { record: unlabelledRecord }, { backend: 'wasm' });
    expect(b.record).toEqual(a.record);
    expect(b.explanation.decision).toEqual(a.explanation.decision);
    expect(b.explanation.perceived).toEqual(a.explanation.perceived);
    expect(a.explanation.decision.class).toBe(plain[0]!.class);
  });

  it('the compiled evaluator and json-rules-engine write identical lines, with and without set', async () => {
    for (const set of [[], ['postcode=3']]) {
      const compiled = path.join(d, `compiled-${set.length}.jsonl`);
      const jre = path.join(d, `jre-${set.length}.jsonl`);
      await predictModel(loc, { input: built.data, output: compiled, engine: 'compiled', set });
      await predictModel(loc, {
        input: built.data,
        output: jre,
        engine: 'json-rules-engine',
        set,
      });
      expect(fs.readFileSync(jre, 'utf8')).toBe(fs.readFileSync(compiled, 'utf8'));
      expect(readJsonLines(jre)).toHaveLength(500);
    }
  });

  it('perceive writes the facts the rules read; the SQL export run on them in DuckDB decides as predict', async () => {
    const perceived = path.join(d, 'perceived.csv');
    const summary = await perceiveModel(loc, {
      input: built.data,
      output: perceived,
      backend: 'wasm',
    });
    expect(summary).toMatchObject({ records: 500, rejected: 0 });
    expect(summary.columns).toEqual(['postcode', 'postcode_confidence', 'weight', 'service']);
    const [header, ...rows] = fs.readFileSync(perceived, 'utf8').trimEnd().split('\n');
    expect(header).toBe('line,postcode,postcode_confidence,weight,service');
    // The same perception as predict's, to the written digit.
    expect(rows.map((r) => r.split(',').slice(0, 3).join(','))).toEqual(
      plain.map(
        (l) => `${l.line},${l.perceived.postcode!.value},${l.perceived.postcode!.confidence}`,
      ),
    );

    expect(await sqlDecisions(loc, perceived)).toEqual(
      plain.map((l) => ({ line: l.line, class: l.class, ruleId: l.ruleId, error: null })),
    );
  });

  it('an override on postcode_confidence decides the records perceived with low confidence; set (confidence 1) never meets it', async () => {
    // A copy of the model, so that the other tests run without the override.
    const copy = folder('override');
    fs.cpSync(loc.modelsDir, path.join(copy, 'models'), { recursive: true });
    fs.cpSync(loc.rulesDir, path.join(copy, 'rules'), { recursive: true });
    const withOverride = locationIn(copy, loc.name);
    const overrides = path.join(withOverride.rulesDir, loc.name, 'overrides');
    fs.mkdirSync(overrides);
    fs.writeFileSync(
      path.join(overrides, 'unsure-postcode.yaml'),
      [
        '- id: unsure-postcode',
        '  description: A postcode read with little confidence is routed by hand.',
        '  when:',
        "    postcode_confidence: { '<': 0.8 }",
        '  then: { class: freight }',
        '  reason: the postcode is unclear',
        '',
      ].join('\n'),
    );
    const lines = await predictLines(withOverride, built.data, path.join(copy, 'lines.jsonl'));
    const unsure = lines.filter((l) => l.perceived.postcode!.confidence < 0.8);
    expect(unsure.length).toBeGreaterThan(0);
    expect(unsure.length).toBeLessThan(lines.length);
    lines.forEach((line, i) => {
      if (line.perceived.postcode!.confidence < 0.8) {
        expect(line).toMatchObject({ class: 'freight', ruleId: 'unsure-postcode' });
      } else {
        expect(line).toEqual(plain[i]);
      }
    });
    // explain names the override for an unsure record.
    const row = lines.indexOf(unsure[0]!) + 1;
    const { explanation } = await explainRecord(
      withOverride,
      { input: built.data, row },
      { backend: 'wasm' },
    );
    expect(explanation.decision).toMatchObject({ class: 'freight', ruleId: 'unsure-postcode' });
    // A person's reading has confidence 1: the distilled rules decide.
    const set = await predictLines(withOverride, built.data, path.join(copy, 'set.jsonl'), {
      set: ['postcode=4'],
    });
    expect(set.some((l) => l.ruleId === 'unsure-postcode')).toBe(false);
    const decide = rulesOf(built.result);
    for (const line of set) expect(line.class).toBe(decide(parcelFacts(parcels, line)));
    // The SQL export holds the override too, and decides the perceived facts as predict.
    const perceived = path.join(copy, 'perceived.csv');
    await perceiveModel(withOverride, { input: built.data, output: perceived, backend: 'wasm' });
    expect(await sqlDecisions(withOverride, perceived)).toEqual(
      lines.map((l) => ({ line: l.line, class: l.class, ruleId: l.ruleId, error: null })),
    );
  });

  it('a class labelled only in test rows is still a class of the concept: the model opens, measures and perceives', async () => {
    // The same data and seed split the same way (by the target alone): a labelled test row
    // relabelled 'X' puts the class in the test split only.
    const line = built.result.test.lines.find((l) => labelOf(l) !== undefined)!;
    const data = path.join(d, 'test-only-class.csv');
    editCsv(
      built.data,
      (cells, row) => (row === line - 2 ? ['X', ...cells.slice(1)] : cells),
      data,
    );
    const other = locationIn(folder('test-only-class'), 'parcels');
    const result = await buildQuickly(other, data, 'route', ['postcode=px_*']);
    expect(result.test.lines).toEqual(built.result.test.lines);
    expectConceptModel(other, result, {
      concept: 'postcode',
      classes: [...DIGITS, 'X'],
      ordinary: ['weight', 'service'],
      raw: PIXELS,
      input: { kind: 'columns', columns: PIXELS, shape: SHAPE },
      labelOf: (l) => (l === line ? 'X' : labelOf(l)),
    });
    const lines = await predictLines(other, data, path.join(d, 'test-only-class.jsonl'), {
      set: ['postcode=X'],
    });
    expect(lines).toHaveLength(500);
    expect(lines.every((l) => l.perceived.postcode!.value === 'X')).toBe(true);
  });
});

describe('a concept read from a comma list of pixel columns', () => {
  it('builds, perceives the listed columns and predicts', async () => {
    const d = folder('list');
    const data = path.join(d, 'parcels.csv');
    const parcels = writeParcels(data, 400, 2);
    const loc = locationIn(d, 'parcels');
    // The list in reverse: a list is read in its own order, and without a shape the
    // count of 64 px_N names still implies 8×8 in row-major order.
    const listed = [...PIXELS].reverse();
    const result = await buildQuickly(loc, data, 'route', [`postcode=${listed.join(',')}`]);
    expectConceptModel(loc, result, {
      concept: 'postcode',
      classes: DIGITS,
      ordinary: ['weight', 'service'],
      raw: PIXELS,
      input: { kind: 'columns', columns: PIXELS, shape: SHAPE },
      labelOf: (line) => String(parcels.images.labels[line - 2]),
    });
    const lines = await predictLines(loc, data, path.join(d, 'lines.jsonl'));
    const decide = rulesOf(result);
    expect(lines).toHaveLength(400);
    for (const line of lines) expect(line.class).toBe(decide(parcelFacts(parcels, line)));
  });
});

describe('a concept read from image files (paths relative to the data file, --concept-shape)', () => {
  it('builds on the decoded images, and predict reads the images relative to its input file', async () => {
    const d = folder('images');
    const dataDir = path.join(d, 'data');
    fs.mkdirSync(path.join(dataDir, 'img'), { recursive: true });
    const count = 300;
    const digits = generateDigits(count, 3, SHAPE);
    await Promise.all(
      digits.pixels.map((p, i) => writeGreyPng(path.join(dataDir, 'img', `${i}.png`), p, SHAPE)),
    );
    // The route of parcels.ts, on the drawn digit.
    const weights = digits.labels.map((_, i) => (i % 7) * 4.5 + 0.5);
    const services = digits.labels.map((_, i) => (i % 3 === 0 ? 'express' : 'standard'));
    const rows = digits.labels.map(
      (digit, i) =>
        `${digit},img/${i}.png,${weights[i]},${services[i]},${parcelRoute(digit, weights[i]!, services[i]!)}`,
    );
    const data = path.join(dataDir, 'parcels.csv');
    fs.writeFileSync(data, ['postcode,image,weight,service,route', ...rows].join('\n') + '\n');
    const loc = locationIn(d, 'parcels');
    const result = await buildQuickly(loc, data, 'route', ['postcode=image'], ['postcode=8x8']);
    expectConceptModel(loc, result, {
      concept: 'postcode',
      classes: DIGITS,
      ordinary: ['weight', 'service'],
      raw: ['image'],
      input: { kind: 'images', column: 'image', shape: SHAPE },
      labelOf: (line) => String(digits.labels[line - 2]),
    });
    // Decoded images have their shape: the CNN reads them, as it reads pixel columns.
    expect(result.metrics.concepts!.postcode!.network).toBe('im2col CNN 3×3×8 on 8×8');

    // The same records from another folder, their paths relative to that file.
    const elsewhere = path.join(d, 'elsewhere');
    fs.mkdirSync(elsewhere);
    const moved = path.join(elsewhere, 'records.csv');
    editCsv(
      data,
      (cells, row) => (row < 0 ? cells : [cells[0]!, `../data/${cells[1]}`, ...cells.slice(2)]),
      moved,
    );
    const here = await predictLines(loc, data, path.join(d, 'here.jsonl'));
    const there = await predictLines(loc, moved, path.join(d, 'there.jsonl'));
    expect(there).toEqual(here);
    expect(here).toHaveLength(count);
    let right = 0;
    here.forEach((line, i) => {
      expect(line.class).toBe(
        rulesOf(result)({
          postcode: line.perceived.postcode!.value,
          postcode_confidence: line.perceived.postcode!.confidence,
          weight: weights[i]!,
          service: services[i]!,
        }),
      );
      if (line.perceived.postcode!.value === String(digits.labels[i])) right++;
    });
    expect(right / count).toBeGreaterThan(0.8);

    // An image gone since the build: that record is refused at its line, the others decided.
    fs.rmSync(path.join(dataDir, 'img', '5.png'));
    const output = path.join(d, 'gone.jsonl');
    const summary = await predictModel(loc, { input: data, output });
    expect(summary).toMatchObject({ records: count - 1, rejected: 1 });
    expect(summary.problems).toEqual([
      expect.objectContaining({ code: 'IMAGE_UNREADABLE', file: data, line: 7, field: 'image' }),
    ]);
    expect(readJsonLines(output)).toEqual(here.filter((l) => l.line !== 7));
  });
});

describe('a concept read from a plain vector (vibration=v_*, 40 samples)', () => {
  it('builds an MLP over the signal and rules over vibration, temperature and hours', async () => {
    const d = folder('machines');
    const data = path.join(d, 'machines.csv');
    const machines = generateMachines(400, 1);
    writeMachinesCsv(data, machines);
    const loc = locationIn(d, 'machines');
    const result = await buildQuickly(loc, data, 'action', ['vibration=v_*']);
    const samples = Array.from({ length: 40 }, (_, i) => `v_${i}`);
    expectConceptModel(loc, result, {
      concept: 'vibration',
      // Sorted as a target's classes are.
      classes: ['bearing', 'imbalance', 'loose', 'normal'],
      ordinary: ['temperature', 'hours'],
      raw: samples,
      // 40 is not a square: no shape.
      input: { kind: 'columns', columns: samples },
      labelOf: (line) => machines.vibrations[line - 2],
    });
    expect(result.metrics.concepts!.vibration!.network).toBe('MLP 40-64-4');
    const lines = await predictLines(loc, data, path.join(d, 'lines.jsonl'));
    const decide = rulesOf(result);
    expect(lines).toHaveLength(400);
    lines.forEach((line) => {
      const row = line.line - 2;
      const v = line.perceived.vibration!;
      expect(line.class).toBe(
        decide({
          vibration: v.value,
          vibration_confidence: v.confidence,
          temperature: machines.temperatures[row]!,
          hours: machines.hours[row]!,
        }),
      );
    });
    // Text classes through perceive and the SQL export: the same decisions.
    const perceived = path.join(d, 'perceived.csv');
    await perceiveModel(loc, { input: data, output: perceived, backend: 'wasm' });
    expect(await sqlDecisions(loc, perceived)).toEqual(
      lines.map((l) => ({ line: l.line, class: l.class, ruleId: l.ruleId, error: null })),
    );
  });
});

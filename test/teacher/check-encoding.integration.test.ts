import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CategoricalFeature, NumericFeature, Schema } from '../../src/data/types';
import type { Issue } from '../../src/errors';
import { checkEncoding, type TeacherEncoding } from '../../src/teacher/check-encoding';
import type { TeacherFile } from '../../src/teacher/model-io';

const ROOT = path.join(__dirname, '..', '..');

/** The committed German credit schema and teacher.json (read-only). */
function germanCredit(): { schema: Schema; teacher: TeacherFile } {
  const read = (p: string): unknown => JSON.parse(fs.readFileSync(path.join(ROOT, p), 'utf8'));
  const rules = read('rules/german-credit/distilled.rules.json') as { generation?: string };
  const dir = path.join('models/german-credit', rules.generation ?? '');
  return {
    schema: read(path.join(dir, 'schema.json')) as Schema,
    teacher: read(path.join(dir, 'teacher', 'teacher.json')) as TeacherFile,
  };
}

const committed = germanCredit();
const fresh = () => structuredClone(committed);
const places = (issues: Issue[]) => issues.map((i) => [i.code, i.field]);
const numeric = (schema: Schema, name: string) =>
  schema.features.find((f) => f.name === name) as NumericFeature;
const categorical = (schema: Schema, name: string) =>
  schema.features.find((f) => f.name === name) as CategoricalFeature;

describe('checkEncoding', () => {
  it("finds the committed German credit schema and network's encoding equal", () => {
    const { schema, teacher } = fresh();
    expect(checkEncoding(schema, teacher)).toEqual([]);
  });

  it("SCHEMA_MISMATCH when a feature's type changed", () => {
    const { schema, teacher } = fresh();
    const i = schema.features.findIndex((f) => f.name === 'duration');
    schema.features[i] = { name: 'duration', type: 'categorical', levels: ['6', '12'], missing: 0 };
    const issues = checkEncoding(schema, teacher, 'teacher.json');
    expect(places(issues)).toEqual([['SCHEMA_MISMATCH', 'duration']]);
    expect(issues[0]!.file).toBe('teacher.json');
  });

  it('SCHEMA_MISMATCH when levels are reordered, added or removed (one-hot order matters)', () => {
    const changes: ((levels: string[]) => void)[] = [
      (l) => l.reverse(),
      (l) => l.push('new level'),
      (l) => l.pop(),
    ];
    for (const change of changes) {
      const { schema, teacher } = fresh();
      change(categorical(schema, 'purpose').levels);
      expect(places(checkEncoding(schema, teacher))).toEqual([['SCHEMA_MISMATCH', 'purpose']]);
    }
  });

  it('SCHEMA_MISMATCH for numeric scaling: mean, standard deviation, missing indicator', () => {
    const { schema, teacher } = fresh();
    numeric(schema, 'duration').mean += 1;
    numeric(schema, 'credit_amount').std *= 2;
    numeric(schema, 'age').missing = 3; // the schema saw missing ages: an indicator column
    expect(places(checkEncoding(schema, teacher))).toEqual([
      ['SCHEMA_MISMATCH', 'duration'],
      ['SCHEMA_MISMATCH', 'credit_amount'],
      ['SCHEMA_MISMATCH', 'age'],
    ]);
    // Two differences of one feature are two issues.
    const again = fresh();
    numeric(again.schema, 'duration').mean += 1;
    numeric(again.schema, 'duration').std += 1;
    expect(places(checkEncoding(again.schema, again.teacher))).toEqual([
      ['SCHEMA_MISMATCH', 'duration'],
      ['SCHEMA_MISMATCH', 'duration'],
    ]);
  });

  it('SCHEMA_MISMATCH for a feature on one side only, one issue each', () => {
    const { schema, teacher } = fresh();
    schema.features = schema.features.filter((f) => f.name !== 'purpose');
    schema.features.push({ name: 'colour', type: 'categorical', levels: ['red'], missing: 0 });
    expect(places(checkEncoding(schema, teacher))).toEqual([
      ['SCHEMA_MISMATCH', 'colour'],
      ['SCHEMA_MISMATCH', 'purpose'],
    ]);
  });

  it('SCHEMA_MISMATCH for features in another order: the moved feature only', () => {
    const { schema, teacher } = fresh();
    const [first] = schema.features.splice(0, 1);
    schema.features.push(first!); // checking_status moved from first to last
    expect(places(checkEncoding(schema, teacher))).toEqual([
      ['SCHEMA_MISMATCH', 'checking_status'],
    ]);
    const swapped = fresh();
    const f = swapped.schema.features;
    [f[1], f[4]] = [f[4]!, f[1]!];
    const fields = checkEncoding(swapped.schema, swapped.teacher).map((i) => i.field);
    expect(fields.sort()).toEqual([f[1]!.name, f[4]!.name].sort());
  });

  it('SCHEMA_MISMATCH when the classes differ, also in output order', () => {
    for (const classes of [['good', 'bad'], ['bad'], ['bad', 'good', 'ugly']]) {
      const { schema, teacher } = fresh();
      teacher.classes = classes;
      expect(places(checkEncoding(schema, teacher))).toEqual([['SCHEMA_MISMATCH', 'classes']]);
    }
  });

  it('INVALID_ARTIFACT for an encoder entry that is not an encoding', () => {
    const { schema, teacher } = fresh();
    const loose = teacher.encoder.features as unknown[];
    loose[2] = { name: 3 };
    expect(places(checkEncoding(schema, teacher))).toEqual([
      ['INVALID_ARTIFACT', 'encoder.features[2]'],
      ['SCHEMA_MISMATCH', 'credit_history'],
    ]);
    const none = { classes: teacher.classes } as unknown as TeacherEncoding;
    expect(places(checkEncoding(schema, none))).toEqual([['SCHEMA_MISMATCH', 'encoder']]);
  });

  it('loads no TensorFlow.js', () => {
    const load = (module: string) =>
      jest.isolateModules(() => {
        jest.doMock('@tensorflow/tfjs', () => {
          throw new Error('@tensorflow/tfjs was loaded');
        });
        require(module);
      });
    // The probe works: a module that imports tfjs trips it.
    expect(() => load('../../src/teacher/model-io')).toThrow('@tensorflow/tfjs was loaded');
    expect(() => load('../../src/teacher/check-encoding')).not.toThrow();
  });
});

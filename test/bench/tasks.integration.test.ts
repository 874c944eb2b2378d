import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readTable } from '../../src/data/read-csv';
import { writeTaskFiles, type KnownTask } from '../../bench/tasks/known-task';
import { MONK_ATTRIBUTES, monkSpace, monkTask } from '../../bench/tasks/monk';
import { decide, RULE_TASKS, ruleTask } from '../../bench/tasks/rule-tasks';

const key = (r: object): string => JSON.stringify(r);
const mislabelled = (task: KnownTask): number =>
  task.train.labels.filter((y, i) => y !== task.classify(task.train.records[i]!)).length;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-tasks-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('MONK problems', () => {
  it('span the 432 distinct records of the attribute space', () => {
    const space = monkSpace();
    expect(space).toHaveLength(432);
    expect(new Set(space.map(key)).size).toBe(432);
  });

  it('follow the published definitions on known records', () => {
    const base = { a1: '1', a2: '2', a3: '1', a4: '2', a5: '2', a6: '2' };
    const monk1 = monkTask('monk1', 1).classify;
    expect(monk1(base)).toBe('0');
    expect(monk1({ ...base, a2: '1' })).toBe('1'); // a1 = a2
    expect(monk1({ ...base, a5: '1' })).toBe('1'); // a5 = 1
    const monk2 = monkTask('monk2', 1).classify;
    expect(monk2(base)).toBe('1'); // a1 and a3 take their first value: two
    expect(monk2({ ...base, a3: '2' })).toBe('0'); // one
    expect(monk2({ ...base, a6: '1' })).toBe('0'); // three
    expect(monk2({ ...base, a3: '2', a5: '1' })).toBe('1'); // a1 and a5
    const monk3 = monkTask('monk3', 1).classify;
    expect(monk3({ ...base, a2: '3', a5: '3', a4: '1' })).toBe('1'); // first term only
    expect(monk3({ ...base, a2: '3', a5: '3' })).toBe('0');
    expect(monk3({ ...base, a5: '4' })).toBe('0');
    expect(monk3(base)).toBe('1'); // a5 ≠ 4 and a2 ≠ 3
  });

  it('have the published class counts over the whole space', () => {
    // monks-1.test, monks-2.test and monks-3.test hold 216, 142 and 228 positives of 432.
    const positives = (t: KnownTask): number => t.test.labels.filter((y) => y === '1').length;
    expect(positives(monkTask('monk1', 1))).toBe(216);
    expect(positives(monkTask('monk2', 1))).toBe(142);
    expect(positives(monkTask('monk3', 1))).toBe(228);
  });

  it.each([
    ['monk1', 124, 0],
    ['monk2', 169, 0],
    ['monk3', 122, 6],
  ] as const)('%s trains on %i distinct records with %i flipped labels', (name, rows, flipped) => {
    const task = monkTask(name, 3);
    expect(task.train.records).toHaveLength(rows);
    expect(new Set(task.train.records.map(key)).size).toBe(rows);
    expect(mislabelled(task)).toBe(flipped);
    // The test is the whole space, noise-free.
    expect(task.test.records).toHaveLength(432);
    expect(mislabelled({ ...task, train: task.test })).toBe(0);
  });

  it('draw the same sample for a seed and another for another seed', () => {
    expect(key(monkTask('monk3', 7).train)).toBe(key(monkTask('monk3', 7).train));
    expect(key(monkTask('monk3', 7).train)).not.toBe(key(monkTask('monk3', 8).train));
  });

  it('are read back as categorical, since their digit levels are forced so', () => {
    const task = monkTask('monk1', 1);
    const files = writeTaskFiles(task, dir);
    const forced = readTable(files.train, { types: task.types });
    expect(forced.schema.features.map((f) => [f.name, f.type])).toEqual(
      MONK_ATTRIBUTES.map((a) => [a.name, 'categorical']),
    );
    expect(forced.records).toHaveLength(124);
    // Without the forced types the digits would be numbers.
    expect(readTable(files.train).schema.features.every((f) => f.type === 'numeric')).toBe(true);
  });
});

describe('rule-defined tasks', () => {
  it('give the class of the first rule that holds', () => {
    const rules = [
      { class: 'A', tests: [{ feature: 'x', op: '<' as const, value: 1 }] },
      { class: 'B', tests: [{ feature: 'c', op: 'in' as const, levels: ['a'] }] },
    ];
    expect(decide(rules, 'C', { x: 0, c: 'a' })).toBe('A');
    expect(decide(rules, 'C', { x: 1, c: 'a' })).toBe('B');
    expect(decide(rules, 'C', { x: 1, c: 'b' })).toBe('C');
  });

  it.each(Object.entries(RULE_TASKS))(
    '%s: a rare class by a 3-feature interaction at its share, noise as asked',
    (name, shape) => {
      const shares: number[] = [];
      for (const seed of [1, 2, 3, 4, 5]) {
        const task = ruleTask(name, shape, seed);
        const rare = task.rules[0]!;
        expect(rare.tests.map((t) => t.op)).toEqual(['in', 'in', '<']);
        expect(rare.tests.map((t) => (t.op === 'in' ? t.levels.length : 0))).toEqual([1, 3, 0]);
        expect(task.test.labels).toEqual(task.test.records.map(task.classify));
        expect(task.uniform.labels).toEqual(task.uniform.records.map(task.classify));
        expect(mislabelled(task)).toBe(Math.round((shape.noise ?? 0) * task.train.records.length));
        const all = task.test.labels.concat(task.train.records.map(task.classify));
        shares.push(all.filter((y) => y === rare.class).length / all.length);
      }
      const mean = shares.reduce((a, b) => a + b) / shares.length;
      expect(Math.abs(mean - shape.rareShare)).toBeLessThan(0.25 * shape.rareShare);
    },
  );

  it('draw the same task for a seed, and other rules for another seed or task', () => {
    const shape = RULE_TASKS['gen-rare3']!;
    const a = ruleTask('gen-rare3', shape, 1);
    expect(key(ruleTask('gen-rare3', shape, 1).train)).toBe(key(a.train));
    expect(ruleTask('gen-rare3', shape, 2).logic).not.toBe(a.logic);
    expect(ruleTask('gen-other', shape, 1).logic).not.toBe(a.logic);
  });

  it('keep values in range: thin at the ends in the data, uniform in the uniform sample', () => {
    const task = ruleTask('gen-four', RULE_TASKS['gen-four']!, 2);
    const outside = task.columns.flatMap((c) =>
      [...task.train.records, ...task.uniform.records]
        .map((r) => r[c.name]!)
        .filter((v) =>
          c.type === 'numeric'
            ? !(typeof v === 'number' && v >= c.min && v <= c.max)
            : !c.levels.includes(v as string),
        ),
    );
    expect(outside).toEqual([]);
    const n = task.columns.find((c) => c.type === 'numeric')!;
    if (n.type !== 'numeric') throw new Error('no numeric column');
    const lowTenth = (records: typeof task.train.records): number =>
      records.filter((r) => (r[n.name] as number) < n.min + 0.1 * (n.max - n.min)).length /
      records.length;
    // Triangular data: 2% of values in the lowest tenth; the uniform sample: 10%.
    expect(lowTenth(task.train.records)).toBeLessThan(0.04);
    expect(Math.abs(lowTenth(task.uniform.records) - 0.1)).toBeLessThan(0.01);
  });

  it('are read back with the columns typed as generated', () => {
    const task = ruleTask('gen-rare5', RULE_TASKS['gen-rare5']!, 1);
    const files = writeTaskFiles(task, dir);
    const table = readTable(files.train);
    expect(table.schema.features.map((f) => [f.name, f.type])).toEqual(
      task.columns.map((c) => [c.name, c.type]),
    );
    expect(table.schema.classes).toEqual(task.classes);
    expect(readTable(files.test, { schema: table.schema }).records).toHaveLength(2000);
  });
});

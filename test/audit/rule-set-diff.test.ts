import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataRecord, Schema } from '../../src/data/types';
import { readLoggedDecisions } from '../../src/audit/log-lines';
import {
  compareDecisions,
  diffDecisions,
  diffLog,
  diffRegions,
  ruleSetChanges,
} from '../../src/audit/rule-set-diff';
import { NeurulesError } from '../../src/errors';
import type { NeurulesRule, RuleSet } from '../../src/rules/types';
import { age } from '../helpers/override-form-model';
import { handOverride, handRule as rule, handRuleSet } from '../helpers/hand-made-rules';

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'y',
  classes: ['good', 'bad'],
  rows: 100,
  features: [age, { name: 'job', type: 'categorical', levels: ['clerk', 'chef'], missing: 0 }],
};

const ruleSet = (rules: NeurulesRule[]): RuleSet => handRuleSet(rules, ['good', 'bad']);

const clerk = { all: [{ fact: 'job', operator: 'equal', value: 'clerk' }] };
const notClerk = { all: [{ fact: 'job', operator: 'notEqual', value: 'clerk' }] };
const distilled = [rule('R1', 'good', clerk), rule('R2', 'bad', notClerk)];
const young = handOverride(
  'young',
  'bad',
  { all: [{ fact: 'age', operator: 'lessThan', value: 25 }] },
  2,
);
const before = ruleSet(distilled);
const after = ruleSet([young, ...distilled]);

describe('ruleSetChanges', () => {
  it('lists rules added, removed and changed, in words, with what changed', () => {
    const edited = ruleSet([
      young,
      rule('R1', 'bad', clerk, { support: 12 }),
      rule('R3', 'bad', notClerk),
    ]);
    const c = ruleSetChanges(before, edited);
    expect(c.added).toEqual([
      { name: 'young', class: 'bad', source: 'override', conditions: 'age < 25' },
      { name: 'R3', class: 'bad', source: 'distilled', conditions: "job ≠ 'clerk'" },
    ]);
    expect(c.removed.map((r) => r.name)).toEqual(['R2']);
    expect(c.changed).toEqual([
      {
        name: 'R1',
        before: { name: 'R1', class: 'good', source: 'distilled', conditions: "job = 'clerk'" },
        after: { name: 'R1', class: 'bad', source: 'distilled', conditions: "job = 'clerk'" },
        differs: ['class', 'params'],
      },
    ]);
  });

  it('does not count an override whose rank moved under a new one as changed', () => {
    const top = handOverride('top', 'good', clerk, 3);
    const lowered = { ...young, priority: 2 };
    const c = ruleSetChanges(
      ruleSet([{ ...young, priority: 2 }, ...distilled]),
      ruleSet([top, { ...lowered, priority: 2 }, ...distilled]),
    );
    expect(c.changed).toEqual([]);
    expect(c.added.map((r) => r.name)).toEqual(['top']);
    const moved = ruleSetChanges(
      ruleSet([{ ...young, priority: 3 }, { ...top, priority: 2 }, ...distilled]),
      ruleSet([{ ...top, priority: 3 }, { ...young, priority: 2 }, ...distilled]),
    );
    expect(moved).toMatchObject({ changed: [], added: [], removed: [], reordered: true });
  });
});

describe('compareDecisions and diffDecisions', () => {
  it('count changes and the flow from class to class', () => {
    const c = compareDecisions(
      ['good', 'good', 'bad', 'good'],
      ['bad', 'good', 'bad', 'maybe'],
      ['good', 'bad'],
    );
    expect(c).toEqual({
      total: 4,
      changed: 2,
      flow: {
        classes: ['good', 'bad', 'maybe'],
        counts: [
          [1, 1, 1],
          [0, 1, 0],
          [0, 0, 0],
        ],
      },
    });
  });

  it('measure accuracy with labels, none without, and fidelity', () => {
    const input = {
      classes: ['good', 'bad'],
      before: ['good', 'good', 'bad'],
      after: ['bad', 'good', 'bad'],
      network: [1, 0, 0],
    };
    const labelled = diffDecisions({ ...input, labels: [1, 0, 1] });
    expect(labelled.accuracy).toEqual({ before: 2 / 3, after: 1 });
    expect(labelled.fidelity).toEqual({ before: 1 / 3, after: 2 / 3 });
    expect(diffDecisions({ ...input, labels: null }).accuracy).toBeNull();
  });
});

describe('diffRegions', () => {
  it('gives each region its flow, conditions and an example both rule sets decide so', () => {
    const d = diffRegions({ ruleSet: before, schema }, { ruleSet: after, schema });
    expect(d.computed).toBe(true);
    if (!d.computed) return;
    expect(d.regions.map((r) => [r.from, r.to, r.rules.before, r.conditions])).toEqual([
      ['good', 'bad', 'R1', "age < 25 and job is 'clerk'"],
    ]);
    expect(d.regions[0]!.features).toEqual(['age', 'job']);
    expect(d.regions[0]!.example).toMatchObject({ job: 'clerk' });
    expect(d.regions[0]!.example['age']).toBeLessThan(25);
  });

  it('is INTERNAL when a changed record lies in no region of its flow', () => {
    const outside: DataRecord = { age: 40, job: 'clerk' };
    const check = () =>
      diffRegions({ ruleSet: before, schema }, { ruleSet: after, schema }, [
        { record: outside, from: 'good', to: 'bad' },
      ]);
    expect(check).toThrow(expect.objectContaining({ code: 'INTERNAL', field: 'regions' }));
    const inside: DataRecord = { age: 20, job: 'clerk' };
    expect(
      diffRegions({ ruleSet: before, schema }, { ruleSet: after, schema }, [
        { record: inside, from: 'good', to: 'bad' },
      ]).computed,
    ).toBe(true);
  });

  it('says why regions are not computed: feature types that differ, overlapping rules', () => {
    const other: Schema = {
      ...schema,
      features: [{ name: 'age', type: 'categorical', levels: ['young'], missing: 0 }],
    };
    const clash = diffRegions({ ruleSet: before, schema: other }, { ruleSet: after, schema });
    expect(clash).toEqual({ computed: false, reason: expect.stringMatching(/'age'/) });
    const overlapping = ruleSet([rule('A', 'good', clerk), rule('B', 'bad', { all: [] })]);
    const refused = diffRegions({ ruleSet: overlapping, schema }, { ruleSet: after, schema });
    expect(refused).toEqual({
      computed: false,
      reason: expect.stringMatching(/OVERLAPPING_RULES/),
    });
  });
});

describe('diffLog over a strictly read log', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-difflog-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (lines: string[]): string => {
    const file = path.join(dir, 'log.jsonl');
    fs.writeFileSync(file, lines.join('\n'));
    return file;
  };
  const line = (o: Record<string, unknown>) =>
    JSON.stringify({
      time: '2026-12-07T18:00:00Z',
      requestId: '1',
      model: 'm',
      ruleSet: 'a'.repeat(64),
      ruleId: 'R1',
      class: 'good',
      inputs: { age: 20, job: 'clerk' },
      ...o,
    });

  it('counts what the rules decide otherwise, leaving out lines whose decision depends on a redacted value', async () => {
    const file = write([
      line({}),
      '',
      // young (age < 25) decides bad, else R1 good: the redacted age decides.
      line({ inputs: { age: '[redacted]', job: 'clerk' } }),
      // bad either way, but by young or by R2: the deciding rule depends on the age.
      line({ class: 'bad', ruleId: 'R2', inputs: { age: '[redacted]', job: 'chef' } }),
      line({ class: 'bad', ruleId: 'R2', inputs: { age: 60, job: 'chef' } }),
    ]);
    const entries = await readLoggedDecisions(file, 'm');
    expect(entries.map((e) => e.line)).toEqual([1, 3, 4, 5]);
    const d = diffLog(entries, { ruleSet: after, schema }, file);
    expect(d.decisions).toEqual({ total: 2, changed: 1 });
    expect(d.flow.counts).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(d).toMatchObject({ redacted: 2, undetermined: 2 });
    expect(d.ruleSets).toEqual({ ['a'.repeat(64)]: 4 });
    const plain = diffLog(entries, { ruleSet: before, schema }, file);
    expect(plain).toMatchObject({ redacted: 2, undetermined: 0, decisions: { total: 4 } });
    // A level spelt as the marker, not listed as redacted, is a level (here: not one of job's).
    const level = write([line({ inputs: { age: 30, job: '[redacted]' }, redacted: [] })]);
    const read = diffLog(await readLoggedDecisions(level, 'm'), { ruleSet: after, schema }, level);
    expect(read).toMatchObject({ redacted: 0, undetermined: 0 });
  });

  it('reports every line that is not a decision with its file and line, and lines of another model', async () => {
    const file = write([line({}), 'not json', '[1]', line({ class: 7 }), line({ model: 'other' })]);
    const error = await readLoggedDecisions(file, 'm').catch((e: NeurulesError) => e);
    expect((error as NeurulesError).issues.map((i) => [i.code, i.file, i.line])).toEqual([
      ['LOG_LINE_INVALID', file, 2],
      ['LOG_LINE_INVALID', file, 3],
      ['LOG_LINE_INVALID', file, 4],
      ['LOG_OTHER_MODEL', file, 5],
    ]);
  });

  it('is NO_DECISIONS for a log without a line', async () => {
    const file = write(['', '']);
    await expect(readLoggedDecisions(file, 'm')).rejects.toMatchObject({
      code: 'NO_DECISIONS',
      file,
    });
  });
});

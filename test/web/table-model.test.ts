import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { Schema } from '../../src/data/types';
import { parseOverrides } from '../../src/overrides/parse-overrides';
import {
  addRow,
  deleteRow,
  duplicateRow,
  moveRow,
  readTable,
  ruleRow,
  setCell,
  setField,
  type TableRow,
} from '../../src/web/studio/table-model';

/** The decision table's model, without a DOM, on the shipped German credit file. */
const root = path.join(__dirname, '..', '..');
const policy = fs.readFileSync(
  path.join(root, 'rules', 'german-credit', 'overrides', 'credit-policy.yaml'),
  'utf8',
);
const generation = fs
  .readdirSync(path.join(root, 'models', 'german-credit'))
  .filter((d) => /^\d{8}T/.test(d))
  .sort()
  .pop()!;
const schema = JSON.parse(
  fs.readFileSync(path.join(root, 'models', 'german-credit', generation, 'schema.json'), 'utf8'),
) as Schema;
const features = schema.features;

const rows = (source: string): TableRow[] => {
  const t = readTable(source, features);
  if (!t.ok) throw new Error(t.message);
  return t.rows;
};
/** The file's text between the blocks of two overrides (by id) is unchanged. */
const itemText = (source: string, id: string): string => {
  const at = source.indexOf(`- id: ${id}\n`);
  const end = source.indexOf('\n- id:', at + 1);
  return source.slice(at, end < 0 ? undefined : end).trimEnd();
};
const valid = (source: string) => parseOverrides(source, 'x.yaml', schema).issues;

describe('readTable', () => {
  test('rows in hit order, columns the features used in schema order, then the fields', () => {
    const t = readTable(policy, features);
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    const order = features.map((f) => f.name);
    expect(t.columns).toEqual(
      ['age', 'credit_amount', 'duration', 'other_parties', 'purpose'].sort(
        (a, b) => order.indexOf(a) - order.indexOf(b),
      ),
    );
    expect(t.rows.map((r) => [r.id, r.priority, r.class])).toEqual([
      ['minors-declined', 100, 'bad'],
      ['exposure-limit', 80, 'bad'],
      ['guarantor-education', 50, 'good'],
    ]);
    expect(t.rows[1]!.cells).toEqual({ credit_amount: '> 15000', duration: '> 36' });
    expect(t.rows[2]!.cells.purpose).toBe('in education');
    expect(t.rows[0]!.reason).toBe('Legal minimum age');
    expect(t.rows[0]!.owner).toBe('credit-policy');
    expect(t.rows[0]!.examples.map((e) => [e.input.age, e.expect])).toEqual([[17, 'bad']]);
    expect(t.rows.every((r) => r.editable)).toBe(true);
  });

  test('ties of priority by position; a column added for a new condition', () => {
    const src =
      '- id: a\n  when: { age: { "<": 1 } }\n  then: { class: bad }\n  priority: 5\n- id: b\n  when: { age: { "<": 2 } }\n  then: { class: bad }\n  priority: 9\n- id: c\n  when: { age: { "<": 3 } }\n  then: { class: good }\n  priority: 5\n';
    expect(rows(src).map((r) => r.id)).toEqual(['b', 'a', 'c']);
    const t = readTable(src, features, ['housing']);
    expect(t.ok && t.columns).toEqual(['age', 'housing']);
  });

  test('nested any/not and conditions a cell cannot show are read-only rows', () => {
    const src = [
      '- id: nested',
      '  when:',
      '    any:',
      '      - age: { "<": 18 }',
      '  then: { class: bad }',
      '- id: odd',
      '  when:',
      '    age: { "<": young }',
      '  then: { class: bad }',
      '- id: fine',
      '  when: { age: { "<": 18 } }',
      '  then: { class: bad }',
      '',
    ].join('\n');
    const r = rows(src);
    expect(r.map((x) => [x.id, x.editable])).toEqual([
      ['nested', false],
      ['odd', false],
      ['fine', true],
    ]);
    expect(r[0]!.why).toContain('any');
  });

  test('YAML that does not parse, or is no list, is no table', () => {
    expect(readTable('- id: [', features).ok).toBe(false);
    expect(readTable('id: x', features).ok).toBe(false);
    expect(readTable('', features)).toEqual({ ok: true, columns: [], rows: [] });
  });
});

describe('edits keep the other overrides and the comments', () => {
  test('setCell changes one condition; the file stays valid and the others keep their text', () => {
    const edited = setCell(policy, 1, 'credit_amount', { '>': 5000 });
    expect(rows(edited)[1]!.cells.credit_amount).toBe('> 5000');
    expect(valid(edited)).toEqual([]);
    for (const id of ['minors-declined', 'guarantor-education'])
      expect(itemText(edited, id)).toBe(itemText(policy, id));
    expect(edited.startsWith('# Expert overrides for the German credit model.')).toBe(true);
    expect(edited).toContain("credit_amount: { '>': 5000 }");
  });

  test('setCell adds a condition for a new column and removes one with null', () => {
    const added = setCell(policy, 0, 'credit_amount', { '>': 5000 });
    expect(rows(added)[0]!.cells).toEqual({ age: '< 18', credit_amount: '> 5000' });
    const removed = setCell(added, 0, 'age', null);
    expect(rows(removed)[0]!.cells).toEqual({ credit_amount: '> 5000' });
    expect(valid(removed)).toEqual([]);
  });

  test('setField: class, priority, reason, owner, id', () => {
    let s = setField(policy, 2, 'class', 'bad');
    s = setField(s, 2, 'reason', 'Changed: policy, 2026');
    s = setField(s, 2, 'owner', '');
    s = setField(s, 2, 'id', 'renamed');
    const r = rows(s)[2]!;
    expect([r.id, r.class, r.reason, r.owner]).toEqual([
      'renamed',
      'bad',
      'Changed: policy, 2026',
      '',
    ]);
    expect(valid(s)).toEqual([]);
    expect(itemText(s, 'minors-declined')).toBe(itemText(policy, 'minors-declined'));
  });

  test('addRow: at the end of the hit order, below the lowest priority, a fresh id', () => {
    const s = addRow(
      policy,
      { conditions: { age: { '<': 21 }, credit_amount: { '>': 5000 } }, class: 'bad' },
      features,
    );
    const r = rows(s);
    expect(r.map((x) => x.id)).toEqual([
      'minors-declined',
      'exposure-limit',
      'guarantor-education',
      'new-override',
    ]);
    expect(r[3]!.priority).toBe(49);
    expect(r[3]!.cells).toEqual({ age: '< 21', credit_amount: '> 5000' });
    expect(valid(s)).toEqual([]);
    expect(s.startsWith(policy.trimEnd())).toBe(true);
    const twice = addRow(s, { conditions: {}, class: 'good' }, features);
    expect(rows(twice)[4]!.id).toBe('new-override-2');
    expect(addRow('', { conditions: { age: { '<': 21 } }, class: 'bad' }, features)).toBe(
      "- id: new-override\n  when:\n    age: { '<': 21 }\n  then: { class: bad }\n  priority: 100\n",
    );
  });

  test('duplicateRow: a copy right after it, same priority, fresh id', () => {
    const s = duplicateRow(policy, 0);
    expect(rows(s).map((x) => x.id)).toEqual([
      'minors-declined',
      'minors-declined-2',
      'exposure-limit',
      'guarantor-education',
    ]);
    expect(valid(s)).toEqual([]);
  });

  test('deleteRow removes the override and only it', () => {
    const s = deleteRow(policy, 1);
    expect(rows(s).map((x) => x.id)).toEqual(['minors-declined', 'guarantor-education']);
    expect(itemText(s, 'guarantor-education')).toBe(itemText(policy, 'guarantor-education'));
    expect(valid(s)).toEqual([]);
  });
});

describe('moveRow: the priority follows, so the hit order is the new row order', () => {
  test('the last row to the top, the top row to the bottom', () => {
    const up = moveRow(policy, features, 2, 0);
    expect(rows(up).map((r) => [r.id, r.priority])).toEqual([
      ['guarantor-education', 101],
      ['minors-declined', 100],
      ['exposure-limit', 80],
    ]);
    const down = moveRow(policy, features, 0, 2);
    expect(rows(down).map((r) => r.id)).toEqual([
      'exposure-limit',
      'guarantor-education',
      'minors-declined',
    ]);
    expect(valid(down)).toEqual([]);
  });

  test('any move of any file of ties gives the asked order', () => {
    const file = fc.array(fc.integer({ min: 2, max: 5 }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(file, fc.nat(), fc.nat(), (priorities, a, b) => {
        const src = priorities
          .map(
            (p, i) =>
              `- id: r${i}\n  when: { age: { '<': ${i + 1} } }\n  then: { class: bad }\n  priority: ${p}\n`,
          )
          .join('\n');
        const from = a % priorities.length;
        const to = b % priorities.length;
        const expected = rows(src).map((r) => r.id);
        const [moved] = expected.splice(from, 1);
        expected.splice(to, 0, moved!);
        const after = moveRow(src, features, from, to);
        expect(rows(after).map((r) => r.id)).toEqual(expected);
        expect(valid(after)).toEqual([]);
      }),
    );
  });
});

describe('ruleRow: a distilled rule as cells', () => {
  test("comparisons per feature, the distiller's 'or missing', lists with missing", () => {
    const r = ruleRow(
      {
        all: [
          { fact: 'checking_status', operator: 'in', value: ['<0', '0<=X<200', null] },
          {
            any: [
              {
                all: [
                  { fact: 'duration', operator: 'greaterThan', value: 19 },
                  { fact: 'duration', operator: 'lessThanInclusive', value: 39 },
                ],
              },
              { fact: 'duration', operator: 'equal', value: null },
            ],
          },
          { fact: 'housing', operator: 'notIn', value: ['for free', 'rent'] },
        ],
      },
      features,
    );
    expect(r.cells).toEqual({
      checking_status: '<0, 0<=X<200, missing',
      duration: '> 19 and <= 39 or missing',
      housing: 'not for free, rent',
    });
    expect(r.maps.duration).toEqual({ greaterThan: 19, lessThanInclusive: 39 });
    const s = addRow('', { conditions: r.maps, class: 'bad' }, features);
    expect(valid(s)).toEqual([]);
    expect(rows(s)[0]!.cells.checking_status).toBe('<0, 0<=X<200, missing');
  });
});

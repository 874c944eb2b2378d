import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  appendChange,
  CHANGES_VERSION,
  changeAuthor,
  readChanges,
} from '../../src/artifacts/changes-log';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-changes-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const overrides = {
  kind: 'overrides' as const,
  by: 'ann@host',
  reason: 'minimum age',
  files: ['policy.yaml'],
  before: 'a'.repeat(64),
  after: 'b'.repeat(64),
  changed: 2,
  diff: '--- x\n+++ x\n',
};

describe('changes.jsonl', () => {
  it('appends versioned, timed entries and reads them back in order', () => {
    const file = path.join(dir, 'changes.jsonl');
    const first = appendChange(file, overrides);
    const second = appendChange(file, {
      kind: 'rules accept',
      by: changeAuthor(),
      model: 'm',
      generation: 'g1',
      from: 'c'.repeat(64),
      to: 'd'.repeat(64),
      changes: { changed: ['R01'], added: [], removed: [], reordered: false },
    });
    expect(first.v).toBe(CHANGES_VERSION);
    expect(Number.isNaN(Date.parse(first.time))).toBe(false);
    expect(readChanges(file)).toEqual({ entries: [first, second], unreadable: [] });
    expect(fs.readFileSync(file, 'utf8').split('\n')).toHaveLength(3);
  });

  it('reads no entries where there is no file', () => {
    expect(readChanges(path.join(dir, 'none.jsonl'))).toEqual({ entries: [], unreadable: [] });
  });

  it('reads a line written before versions as version 1, and names every line it cannot read', () => {
    const file = path.join(dir, 'changes.jsonl');
    const legacy = { time: '2026-11-30T10:00:00.000Z', ...overrides };
    const lines = [
      JSON.stringify(legacy),
      '{not json',
      '',
      JSON.stringify({ ...legacy, kind: 'rename' }),
      JSON.stringify({ ...legacy, v: 2 }),
      JSON.stringify({ ...legacy, files: 'policy.yaml' }),
      JSON.stringify({ ...legacy, by: 7 }),
      '[1]',
    ];
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const read = readChanges(file);
    expect(read.entries).toEqual([{ ...legacy, v: 1 }]);
    expect(read.unreadable).toEqual([
      { line: 2, reason: 'not JSON' },
      {
        line: 4,
        reason: `kind must be 'rules accept', 'rules promote' or 'overrides', found "rename"`,
      },
      { line: 5, reason: 'written by a newer version (v 2; this one reads v 1)' },
      { line: 6, reason: 'files must be a list' },
      { line: 7, reason: 'by must be a string' },
      { line: 8, reason: 'not an object' },
    ]);
  });

  it('reads a save with its author and approver, and a line without them; a malformed author is a line it cannot read', () => {
    const file = path.join(dir, 'changes.jsonl');
    const old = appendChange(file, overrides);
    const reviewed = appendChange(file, {
      ...overrides,
      author: 'Ana',
      approvedBy: 'Bo',
      proposal: '20261207-201500-1a2b3c',
      hashes: { 'policy.yaml': 'e'.repeat(64) },
    });
    fs.appendFileSync(file, JSON.stringify({ ...old, author: 3 }) + '\n');
    fs.appendFileSync(file, JSON.stringify({ ...old, hashes: { 'policy.yaml': 1 } }) + '\n');
    fs.appendFileSync(file, JSON.stringify({ ...old, revertOf: 'first' }) + '\n');
    const read = readChanges(file);
    expect(read.entries).toEqual([old, reviewed]);
    expect(read.unreadable.map((u) => u.line)).toEqual([3, 4, 5]);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendChange } from '../../src/artifacts/changes-log';
import { loadModel, modelPaths } from '../../src/artifacts/model-store';
import {
  archivedHashes,
  archivePaths,
  modelHistory,
  readArchivedRuleSet,
  readHistory,
  recordRuleSet,
  resolveRuleSetRef,
} from '../../src/artifacts/rule-archive';
import { ruleSetHash } from '../../src/artifacts/rule-set-hash';
import type { ModelLocation } from '../../src/artifacts/types';
import type { RuleSet } from '../../src/rules/types';
import { catchError } from '../data/catch-error';
import { GERMAN_CREDIT, GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';
import { loadOverrides, mergeOverrides } from '../../src/overrides/merge-overrides';

const model = loadModel(GERMAN_CREDIT_FROZEN);
/** The frozen rules with rule `i`'s class flipped: another rule set of the same schema. */
const flipped = (i: number): RuleSet => ({
  ...model.ruleSet,
  rules: model.ruleSet.rules.map((r, j) =>
    j === i
      ? {
          ...r,
          event: {
            ...r.event,
            params: {
              ...r.event.params,
              class: r.event.params.class === 'good' ? 'bad' : 'good',
            },
          },
        }
      : r,
  ),
});

let dir: string;
let loc: ModelLocation;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-archive-'));
  loc = { modelsDir: path.join(dir, 'models'), rulesDir: path.join(dir, 'rules'), name: 'm' };
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const record = (ruleSet: RuleSet, made: 'build' | 'serve' | 'studio save', extra = {}) =>
  recordRuleSet(loc, {
    ruleSet,
    schema: model.schema,
    made,
    generation: '20261207T100000Z-abcdef',
    ...extra,
  });

describe('the rule-set archive', () => {
  it('files a rule set by its hash once, and a history line each time one comes into force', () => {
    const a = record(model.ruleSet, 'build');
    expect(a).toEqual({ hash: ruleSetHash(model.ruleSet), added: true });
    const file = path.join(archivePaths(loc).dir, `${a.hash}.json`);
    const inode = fs.statSync(file).ino;
    // A service restarted on the rules in force adds nothing.
    expect(record(model.ruleSet, 'serve')).toEqual({ hash: a.hash, added: false });
    const b = record(flipped(0), 'studio save', { reason: 'flip' });
    expect(b.added).toBe(true);
    // Back to the first rule set (overrides edited by hand, then served): a new line, the same file.
    expect(record(model.ruleSet, 'serve').added).toBe(true);
    expect(fs.statSync(file).ino).toBe(inode);
    expect(archivedHashes(loc)).toEqual([a.hash, b.hash].sort());
    const history = readHistory(loc);
    expect(history.unreadable).toEqual([]);
    expect(history.entries.map((e) => [e.made, e.hash])).toEqual([
      ['build', a.hash],
      ['studio save', b.hash],
      ['serve', a.hash],
    ]);
    expect(history.entries[1]).toMatchObject({ reason: 'flip', model: 'm', v: 1 });
    const archived = readArchivedRuleSet(loc, b.hash)!;
    expect(archived.ruleSet).toEqual(flipped(0));
    expect(archived.schema).toEqual(model.schema);
    expect(archived.distilledHash).toBe(ruleSetHash(flipped(0)));
  });

  it('refuses an entry whose rules or schema do not match its hash', () => {
    const { hash } = record(model.ruleSet, 'build');
    const file = path.join(archivePaths(loc).dir, `${hash}.json`);
    const entry = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...entry, ruleSet: flipped(1) }));
    const rules = catchError(() => readArchivedRuleSet(loc, hash));
    expect(rules).toMatchObject({ code: 'ARCHIVE_MODIFIED', file, field: 'ruleSet' });
    // Recording the same rule set again does not paper over the tampered file.
    expect(catchError(() => record(model.ruleSet, 'serve'))).toMatchObject({
      code: 'ARCHIVE_MODIFIED',
    });
    const schema = { ...model.schema, classes: ['bad', 'good', 'ugly'] };
    fs.writeFileSync(file, JSON.stringify({ ...entry, schema }));
    expect(catchError(() => readArchivedRuleSet(loc, hash))).toMatchObject({
      code: 'ARCHIVE_MODIFIED',
      field: 'schema',
    });
    for (const [field, value] of [
      ['model', 'another-model'],
      ['generation', '../../etc'],
      ['distilledHash', 'a'.repeat(64)],
      ['overrides', ['made-up']],
    ] as const) {
      fs.writeFileSync(file, JSON.stringify({ ...entry, [field]: value }));
      expect(catchError(() => readArchivedRuleSet(loc, hash))).toMatchObject({
        code: 'ARCHIVE_MODIFIED',
        field,
      });
    }
    expect(readArchivedRuleSet(loc, 'f'.repeat(64))).toBeUndefined();
  });

  it('refuses an entry whose override decides a class the schema does not list', () => {
    // A rule set read from the archive decides (a `serve --shadow` challenger, a replay):
    // a class outside the schema would reach the log and the /metrics labels.
    const overrides = loadOverrides(modelPaths(GERMAN_CREDIT_FROZEN).overrides, model.schema);
    const merged = mergeOverrides(model.ruleSet, overrides, model.schema);
    const stray = structuredClone(merged);
    const o = stray.rules.find((r) => r.event.params.source === 'override')!;
    o.event.params.class = 'evil"} 1';
    const hash = ruleSetHash(stray);
    const { hash: good } = record(merged, 'build');
    const file = path.join(archivePaths(loc).dir, `${good}.json`);
    const entry = JSON.parse(fs.readFileSync(file, 'utf8'));
    const forged = path.join(archivePaths(loc).dir, `${hash}.json`);
    fs.writeFileSync(forged, JSON.stringify({ ...entry, hash, ruleSet: stray }));
    expect(catchError(() => readArchivedRuleSet(loc, hash))).toMatchObject({
      code: 'ARCHIVE_MODIFIED',
      file: forged,
      field: 'ruleSet',
    });
    expect(readArchivedRuleSet(loc, good)!.hash).toBe(good);
  });

  it('resolves a hash, a prefix or a generation, and says what there is otherwise', () => {
    const a = record(model.ruleSet, 'build');
    const b = recordRuleSet(loc, {
      ruleSet: flipped(2),
      schema: model.schema,
      made: 'build',
      generation: '20261208T100000Z-fedcba',
    });
    expect(resolveRuleSetRef(loc, a.hash, '--from')).toBe(a.hash);
    expect(resolveRuleSetRef(loc, b.hash.slice(0, 8), '--from')).toBe(b.hash);
    expect(resolveRuleSetRef(loc, '20261208T100000Z-fedcba', '--to')).toBe(b.hash);
    expect(resolveRuleSetRef(loc, '20261207T100000Z-abcdef', '--to')).toBe(a.hash);
    const none = catchError(() => resolveRuleSetRef(loc, 'nosuch', '--from'));
    expect(none).toMatchObject({ code: 'RULE_SET_NOT_FOUND', field: '--from' });
    expect(none.message).toContain(a.hash.slice(0, 12));
    expect(catchError(() => resolveRuleSetRef(loc, 'abcdef', '--from'))).toMatchObject({
      code: 'RULE_SET_NOT_FOUND',
    });
  });

  it("takes each step's author and reason from changes.jsonl", () => {
    const changes = modelPaths(loc).changes;
    const a = record(model.ruleSet, 'build');
    const b = record(flipped(0), 'studio save', { reason: 'flip' });
    fs.mkdirSync(path.dirname(changes), { recursive: true });
    appendChange(changes, {
      kind: 'overrides',
      by: 'ann@host',
      reason: 'minimum age of 21',
      files: ['policy.yaml'],
      before: a.hash,
      after: b.hash,
      changed: 3,
      diff: '',
    });
    const items = modelHistory(loc, changes);
    expect(items[0]!.change).toBeUndefined();
    expect(items[1]).toMatchObject({ by: 'ann@host', reason: 'minimum age of 21' });
    expect(items[1]!.change).toMatchObject({ kind: 'overrides', changed: 3 });
  });

  it('reports a history line it cannot read by its number', () => {
    record(model.ruleSet, 'build');
    fs.appendFileSync(archivePaths(loc).history, '{"v":1,"torn\n{"v":9}\n');
    expect(readHistory(loc).unreadable).toEqual([
      { line: 2, reason: 'not JSON' },
      { line: 3, reason: 'v must be 1, found 9' },
    ]);
  });
});

describe('the archive against attacks', () => {
  it('refuses a number JSON cannot hold (1e400) where the rules had another value', () => {
    const { hash } = record(model.ruleSet, 'build');
    const file = path.join(archivePaths(loc).dir, `${hash}.json`);
    const entry = JSON.parse(fs.readFileSync(file, 'utf8'));
    const rule = entry.ruleSet.rules.find((r: { conditions: object }) =>
      JSON.stringify(r.conditions).includes('"value":null'),
    );
    // A null of an "or missing" alternative, as the text a person could type instead.
    expect(rule).toBeDefined();
    const text = fs.readFileSync(file, 'utf8').replace('"value": null', '"value": 1e400');
    expect(text).not.toBe(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, text);
    expect(catchError(() => readArchivedRuleSet(loc, hash))).toMatchObject({
      code: 'ARCHIVE_MODIFIED',
      file,
    });
  });

  it('never writes through a link, and says so', () => {
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(outside);
    fs.mkdirSync(archivePaths(loc).dir, { recursive: true });
    const hash = ruleSetHash(model.ruleSet);
    const link = path.join(archivePaths(loc).dir, `${hash}.json`);
    fs.symlinkSync(path.join(outside, 'stolen.json'), link);
    expect(catchError(() => record(model.ruleSet, 'serve'))).toMatchObject({
      code: 'NOT_A_REGULAR_FILE',
      file: link,
    });
    fs.unlinkSync(link);
    fs.symlinkSync(path.join(outside, 'history.jsonl'), archivePaths(loc).history);
    expect(catchError(() => record(model.ruleSet, 'serve'))).toMatchObject({
      code: 'NOT_A_REGULAR_FILE',
      file: archivePaths(loc).history,
    });
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  it('is NOT_A_DIRECTORY when the archive is a file, not an empty archive', () => {
    fs.mkdirSync(path.dirname(archivePaths(loc).dir), { recursive: true });
    fs.writeFileSync(archivePaths(loc).dir, 'not a folder');
    for (const read of [
      () => archivedHashes(loc),
      () => readHistory(loc),
      () => readArchivedRuleSet(loc, ruleSetHash(model.ruleSet)),
    ])
      expect(catchError(read)).toMatchObject({ code: 'NOT_A_DIRECTORY' });
  });

  it('reads a history line only when every field is what it should be', () => {
    const { hash } = record(model.ruleSet, 'build');
    const good = readHistory(loc).entries[0]!;
    const bad = [
      { ...good, made: 'evil\u001b[2J' },
      { ...good, figures: { on: 'x', records: 3, accuracy: 'x', fidelity: 1 } },
      { ...good, generation: 7 },
      { ...good, rules: 'many' },
    ];
    fs.appendFileSync(
      archivePaths(loc).history,
      bad.map((b) => JSON.stringify(b)).join('\n') + '\n',
    );
    const read = readHistory(loc);
    expect(read.entries.map((e) => e.hash)).toEqual([hash]);
    expect(read.unreadable.map((u) => u.line)).toEqual([2, 3, 4, 5]);
    expect(resolveRuleSetRef(loc, hash.slice(0, 10).toUpperCase(), '--from')).toBe(hash);
  });
});

describe('the bundled model', () => {
  it('has the rule set in force in its archive, so serving it writes nothing', () => {
    // Tests serve the committed model: were its rule set not archived, they would write to
    // the repository.
    const m = loadModel(GERMAN_CREDIT);
    const overrides = loadOverrides(modelPaths(GERMAN_CREDIT).overrides, m.schema);
    const hash = ruleSetHash(mergeOverrides(m.ruleSet, overrides, m.schema));
    expect(readHistory(GERMAN_CREDIT).entries.at(-1)?.hash).toBe(hash);
    expect(readArchivedRuleSet(GERMAN_CREDIT, hash)!.distilledHash).toBe(ruleSetHash(m.ruleSet));
  });
});

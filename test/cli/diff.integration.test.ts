/**
 * `neurules diff` on a copy of the frozen German credit model whose archive holds three
 * rule sets: the build's (h1), a studio save that added an override (h2), and a
 * `rules accept` of a hand edit of the distilled rules, a new generation (h3, current).
 * Its counts are checked against `neurules predict` run before and after, its regions'
 * examples against both rule sets, and its log counts against the records' own changes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDecisionData } from '../../src/artifacts/model-data';
import { modelPaths } from '../../src/artifacts/model-store';
import { readArchivedRuleSet, readHistory, recordRuleSet } from '../../src/artifacts/rule-archive';
import type { ModelLocation } from '../../src/artifacts/types';
import type { DataRecord } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { acceptRules } from '../../src/pipeline/accept-rules';
import type { RuleSetDiff } from '../../src/pipeline/diff-rule-sets';
import { openModel } from '../../src/pipeline/open-model';
import type { RuleSet } from '../../src/rules/types';
import { copyGermanCredit, GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';
import { buildParcels, editCsv } from '../helpers/perception-models';
import { runCli } from '../helpers/run-cli';

const YOUNG = `- id: young-long-loans
  description: Applicants under 25 asking for more than 24 months are declined.
  when:
    age: { '<': 25 }
    duration: { '>': 24 }
  then: { class: bad }
  priority: 90
  reason: Policy for young applicants
`;

let dir: string;
let loc: ModelLocation;
let dirs: string[];
let heldOut: string;
let records: DataRecord[];
const hashes: string[] = [];
let firstGeneration: string;

const codes = (stderr: string): string[] =>
  [...stderr.matchAll(/^error (?:\S+ )?([A-Z_]+) /gm)].map((m) => m[1]!);

/** `neurules diff` of a model (German credit in `dirs` unless told), on the backend told. */
function runDiff(
  args: string[],
  model = { name: 'german-credit', dirs: () => dirs, backend: 'cpu' },
) {
  return runCli([
    'diff',
    '--model',
    model.name,
    '--backend',
    model.backend,
    ...model.dirs(),
    ...args,
  ]);
}

async function diff(...args: string[]): Promise<RuleSetDiff> {
  const r = await runDiff(['--json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as RuleSetDiff;
}

/** The classes `neurules predict` gives each line of the held-out file, with the overrides as they are. */
async function predicted(): Promise<string[]> {
  const r = await runCli(['predict', '--model', 'german-credit', '--input', heldOut, ...dirs]);
  expect(r.code).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { class: string }).class);
}

const differing = (a: string[], b: string[]): number => a.filter((c, i) => c !== b[i]).length;
const archived = (hash: string): RuleSet => readArchivedRuleSet(loc, hash)!.ruleSet;
const overrideFile = (): string => path.join(modelPaths(loc).overrides, 'young.yaml');

/** Archive the model's merged rule set as it is now. */
async function archiveNow(made: 'build' | 'studio save', time: string): Promise<string> {
  const m = await openModel(loc);
  return recordRuleSet(loc, {
    ruleSet: m.ruleSet,
    schema: m.schema,
    made,
    generation: m.manifest.generation!,
    time,
  }).hash;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-diff-'));
  loc = copyGermanCredit(dir, GERMAN_CREDIT_FROZEN);
  dirs = ['--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
  // The held-out split as a file without labels, for predict and diff --data.
  records = (await loadDecisionData(loc, { backend: 'cpu' })).test.records;
  heldOut = path.join(dir, 'held-out.jsonl');
  fs.writeFileSync(heldOut, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  firstGeneration = (await openModel(loc)).manifest.generation!;
  hashes.push(await archiveNow('build', '2026-12-07T17:40:00Z'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('neurules diff', () => {
  it('refuses a model with one rule set, and a --from that names nothing', async () => {
    const only = await runDiff([]);
    expect(only.code).toBe(2);
    expect(codes(only.stderr)).toEqual(['RULE_SET_NOT_FOUND']);
    expect(only.stderr).toContain('[--from]');
    const none = await runDiff(['--from', 'abcdef12']);
    expect(none.code).toBe(2);
    expect(codes(none.stderr)).toEqual(['RULE_SET_NOT_FOUND']);
    expect(none.stderr).toMatch(/RULE_SET_NOT_FOUND \[--from\] .*'abcdef12'/);
  });

  it('counts the records that change class as predict before and after does', async () => {
    const before = await predicted();
    fs.writeFileSync(overrideFile(), YOUNG);
    const after = await predicted();
    const changed = differing(before, after);
    expect(changed).toBeGreaterThan(0);
    hashes.push(await archiveNow('studio save', '2026-12-07T17:52:00Z'));

    const d = await diff();
    expect([d.from.hash, d.to.hash]).toEqual([hashes[0], hashes[1]]);
    expect(d.to).toMatchObject({ current: true, made: 'studio save' });
    expect(d.records).toEqual({ total: records.length, changed });
    expect(d.accuracy).not.toBeNull();
    expect(d.rules.added.map((r) => [r.name, r.class, r.conditions])).toEqual([
      ['young-long-loans', 'bad', 'age < 25 and duration > 24'],
    ]);
    expect(d.rules.changed).toEqual([]);
    // The flow: its off-diagonal cells are the changed records, all good → bad.
    const good = d.flow!.classes.indexOf('good');
    const bad = d.flow!.classes.indexOf('bad');
    expect(d.flow!.counts[good]![bad]).toBe(changed);

    // The same file given with --data (no labels: no accuracy) counts the same.
    const onFile = await diff('--data', heldOut);
    expect(onFile.records).toEqual({ total: records.length, changed });
    expect(onFile.accuracy).toBeNull();
    expect(onFile.fidelity).toEqual(d.fidelity);
  });

  it('gives exact regions whose examples both rule sets decide as the flow says', async () => {
    const d = await diff('--from', hashes[0]!.slice(0, 10), '--to', hashes[1]!.slice(0, 8));
    if (!d.regions.computed) throw new Error(`regions not computed: ${d.regions.reason}`);
    expect(d.regions.regions.length).toBeGreaterThan(0);
    const [before, after] = [
      compileRuleSet(archived(hashes[0]!)),
      compileRuleSet(archived(hashes[1]!)),
    ];
    for (const g of d.regions.regions) {
      expect([g.from, g.to]).toEqual(['good', 'bad']);
      expect(g.rules.after).toBe('young-long-loans');
      expect(before.decide(g.example).class).toBe(g.from);
      expect(after.decide(g.example).class).toBe(g.to);
      expect(g.conditions).toMatch(/age < 25/);
    }
  });

  it("compares the rules without records when the build's data file cannot be read", async () => {
    // The manifest names data/german-credit.csv, relative to the working directory.
    const home = process.cwd();
    process.chdir(dir);
    let d: RuleSetDiff;
    try {
      d = await diff();
    } finally {
      process.chdir(home);
    }
    expect(d.rules.added.map((r) => r.name)).toEqual(['young-long-loans']);
    expect(d.regions.computed).toBe(true);
    expect([d.on, d.records, d.flow, d.accuracy, d.fidelity]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(d.notMeasured).toMatch(/FILE_NOT_FOUND/);
    // A file given with --data that cannot be read is an error, not a note.
    const missing = await runDiff(['--data', path.join(dir, 'nowhere.csv')]);
    expect(missing.code).toBe(2);
    expect(codes(missing.stderr)).toEqual(['FILE_NOT_FOUND']);
  });

  it('counts what the new rules make of a decision log, leaving out decisions a redacted input decides', async () => {
    const old = compileRuleSet(archived(hashes[0]!));
    const log = path.join(dir, 'decisions.jsonl');
    const line = (r: DataRecord, i: number) => {
      const d = old.decide(r);
      return JSON.stringify({
        time: '2026-12-07T18:00:00Z',
        requestId: String(i),
        model: 'german-credit',
        ruleSet: hashes[0],
        ruleId: d.ruleId,
        class: d.class,
        inputs: r,
      });
    };
    fs.writeFileSync(log, records.map(line).join('\n') + '\n');
    const d = await diff('--from', hashes[0]!, '--to', hashes[1]!, '--log', log);
    // Logged by the old rules, decided by the new: exactly the records that change class.
    expect(d.log!.decisions).toEqual({ total: records.length, changed: d.records!.changed });
    expect(d.log!.ruleSets).toEqual({ [hashes[0]!]: records.length });

    // With age redacted, every decision depends on it (minors-declined tests the age of
    // every record first): what the new rules decide of them is not known, none is counted.
    const redacted = records.map((r, i) => line(r, i).replace(/"age":\d+/, '"age":"[redacted]"'));
    fs.writeFileSync(log, redacted.join('\n') + '\n');
    const blind = await diff('--from', hashes[0]!, '--to', hashes[1]!, '--log', log);
    expect(blind.log).toMatchObject({
      decisions: { total: 0, changed: 0 },
      redacted: records.length,
      undetermined: records.length,
    });

    fs.appendFileSync(log, 'not json\n');
    const bad = await runDiff(['--log', log]);
    expect(bad.code).toBe(2);
    expect(codes(bad.stderr)).toEqual(['LOG_LINE_INVALID']);
    expect(bad.stderr).toContain(`${log}:${records.length + 1} LOG_LINE_INVALID`);
  });

  it('names a rule set by generation, and shows a hand edit of the distilled rules', async () => {
    // A hand edit of the distilled rules, accepted: a new generation comes into force.
    const rulesFile = modelPaths(loc).rules;
    const ruleSet = JSON.parse(fs.readFileSync(rulesFile, 'utf8')) as RuleSet;
    const visit = (c: Record<string, unknown>): void => {
      for (const k of ['all', 'any'] as const)
        if (Array.isArray(c[k])) (c[k] as Record<string, unknown>[]).forEach(visit);
      if (c.fact === 'duration' && c.value === 40) c.value = 45;
    };
    for (const r of ruleSet.rules) visit(r.conditions as unknown as Record<string, unknown>);
    fs.writeFileSync(rulesFile, JSON.stringify(ruleSet, null, 2));
    const accepted = await acceptRules(loc, { backend: 'cpu', reason: 'longer loans' });
    expect(accepted.accepted).toBe(true);
    hashes.push((await openModel(loc)).ruleSetHash);

    // The first generation's last rule set is the studio save's.
    const d = await diff('--from', firstGeneration);
    expect([d.from.hash, d.to.hash]).toEqual([hashes[1], hashes[2]]);
    expect(d.to).toMatchObject({ made: 'rules accept', generation: accepted.generation });
    expect(d.rules.changed.length).toBeGreaterThan(0);
    for (const c of d.rules.changed) expect(c.differs).toContain('conditions');
    expect(d.rules.changed.map((c) => c.after.conditions).join('\n')).toMatch(/duration . 45/);
    // The default compares with the rule set in force before: the same.
    expect((await diff()).from.hash).toBe(hashes[1]);

    // Predict before (the studio save's rules) and after (the accepted ones) agree with it.
    const before = compileRuleSet(archived(hashes[1]!));
    const now = await predicted();
    expect(d.records!.changed).toBe(
      differing(
        records.map((r) => before.decide(r).class),
        now,
      ),
    );

    // The text report: the headline, then its sections.
    const text = await runDiff([]);
    expect(text.code).toBe(0);
    const accept = readHistory(loc).entries.at(-1)!;
    expect(accept).toMatchObject({ hash: hashes[2], made: 'rules accept' });
    const minute = accept.time.slice(0, 16).replace('T', ' ');
    expect(text.stdout.split('\n')[0]).toBe(
      `diff german-credit: ${hashes[1]!.slice(0, 12)} (studio save 2026-12-07 17:52) → ${hashes[2]!.slice(0, 12)} (rules accept ${minute}, current)`,
    );
    expect(text.stdout).toMatch(/^rules: 0 added, 0 removed, \d+ changed$/m);
    expect(text.stdout).toMatch(/^records: held-out test split/m);
  });
});

describe('neurules diff on a model with perception concepts', () => {
  let pdir: string;
  afterAll(() => fs.rmSync(pdir, { recursive: true, force: true }));

  it('decides perceived records: the held-out split and a file without labels', async () => {
    pdir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-diff-parcels-'));
    const { loc: ploc, data } = await buildParcels(pdir, 300);
    const pdirs = ['--models-dir', ploc.modelsDir, '--rules-dir', ploc.rulesDir];
    const overrides = modelPaths(ploc).overrides;
    fs.mkdirSync(overrides, { recursive: true });
    fs.writeFileSync(
      path.join(overrides, 'heavy.yaml'),
      "- id: heavy\n  when:\n    weight: { '>': 12 }\n  then: { class: freight }\n",
    );
    const run = async (...args: string[]) => {
      const r = await runDiff(['--json', ...args], {
        name: 'parcels',
        dirs: () => pdirs,
        backend: 'wasm',
      });
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as RuleSetDiff;
    };
    // The build archived its rule set; the override on disk makes the current one.
    const d = await run();
    expect(d.from.made).toBe('build');
    expect(d.to).toMatchObject({ current: true });
    expect(d.rules.added.map((r) => r.name)).toEqual(['heavy']);
    expect(d.records!.changed).toBeGreaterThan(0);
    expect(d.accuracy).not.toBeNull();
    if (!d.regions.computed) throw new Error(`regions not computed: ${d.regions.reason}`);
    expect(d.regions.regions.length).toBeGreaterThan(0);
    for (const g of d.regions.regions) expect(g.to).toBe('freight');

    // Without the route column: no accuracy; the records are perceived all the same.
    const unlabelled = path.join(pdir, 'unlabelled.csv');
    const route = fs.readFileSync(data, 'utf8').split('\n')[0]!.split(',').indexOf('route');
    editCsv(data, (cells) => cells.filter((_, i) => i !== route), unlabelled);
    const onFile = await run('--data', unlabelled);
    expect(onFile.accuracy).toBeNull();
    expect(onFile.records!.total).toBe(300);
    // The held-out split is part of the file: it cannot change more records than the file.
    expect(onFile.records!.changed).toBeGreaterThanOrEqual(d.records!.changed);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { modelPaths, saveModel } from '../../src/artifacts/model-store';
import { recordRuleSet } from '../../src/artifacts/rule-archive';
import type { ModelLocation } from '../../src/artifacts/types';
import { EXIT } from '../../src/cli/main';
import { readRecords } from '../../src/data/read-records';
import type { DataRecord } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { openModel } from '../../src/pipeline/open-model';
import type { RuleSet } from '../../src/rules/types';
import { copyGermanCredit, GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';
import { germanCreditArtifacts } from '../helpers/model-artifacts';
import { runCli } from '../helpers/run-cli';

// Which heavy packages the commands load: replay needs neither the network nor json-rules-engine.
const loaded = new Set<string>();
jest.mock('@tensorflow/tfjs', () => {
  loaded.add('@tensorflow/tfjs');
  return jest.requireActual('@tensorflow/tfjs');
});
jest.mock('json-rules-engine', () => {
  loaded.add('json-rules-engine');
  return jest.requireActual('json-rules-engine');
});

const ROOT = path.join(__dirname, '..', '..');
const MODEL = 'german-credit';

/** A rule set that decided, as the test filed it. */
interface Filed {
  name: string;
  hash: string;
  ruleSet: RuleSet;
  generation: string;
}

let dir: string;
let loc: ModelLocation;
let dirs: string[];
/** Generation 1's distilled rules with the committed overrides; then with an override edited. */
let built: Filed;
let edited: Filed;
/** Generation 3's rules with one rule's class flipped by hand (archived, never served from disk). */
let flipped: Filed;
/** The model's merged rules today (generation 3, committed overrides): not archived. */
let today: Filed;
let generations: string[];
let records: DataRecord[];
/** The log every test starts from: lines decided by each of the four rule sets. */
let lines: string[];
/** The files and their modification times before anything ran: replay writes nothing. */
let snapshot: string;

/** Every file under `root` with its size and modification time. */
function tree(root: string): string {
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .sort()
    .map((f) => {
      const s = fs.statSync(path.join(root, f));
      return `${f} ${s.size} ${s.mtimeMs}`;
    })
    .join('\n');
}

/** The model's merged rule set as it opens now, filed in the archive as `made` made it. */
async function fileCurrent(
  name: string,
  made: 'build' | 'studio save' | 'rules accept',
  change?: (r: RuleSet) => RuleSet,
): Promise<Filed> {
  const m = await openModel(loc, { front: false });
  const ruleSet = change ? change(m.ruleSet) : m.ruleSet;
  const generation = m.manifest.generation!;
  const { hash } = recordRuleSet(loc, {
    ruleSet,
    schema: m.schema,
    made,
    generation,
  });
  return { name, hash, ruleSet, generation };
}

/** A log line as `neurules serve --decision-log` writes it: `rules` decided `inputs`. */
function decided(rules: Filed, inputs: DataRecord, id: string): string {
  const d = compileRuleSet(rules.ruleSet).decide(inputs);
  return JSON.stringify({
    time: '2026-12-01T10:00:00.000Z',
    requestId: id,
    model: MODEL,
    ruleSet: rules.hash,
    ruleId: d.ruleId,
    class: d.class,
    inputs,
  });
}

const overridesFile = () => path.join(modelPaths(loc).overrides, 'credit-policy.yaml');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-replay-cli-'));
  loc = copyGermanCredit(dir, GERMAN_CREDIT_FROZEN);
  dirs = ['--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
  generations = [];
  const save = async (tag: number) =>
    generations.push(
      (await saveModel(loc, germanCreditArtifacts(tag, GERMAN_CREDIT_FROZEN))).generation,
    );
  await save(1);
  built = await fileCurrent('built', 'build');
  // A studio save: the exposure limit lowered from 15,000 DM to 12,000.
  const committed = fs.readFileSync(overridesFile(), 'utf8');
  fs.writeFileSync(
    overridesFile(),
    committed.replace("credit_amount: { '>': 15000 }", "credit_amount: { '>': 12000 }"),
  );
  edited = await fileCurrent('edited', 'studio save');
  fs.writeFileSync(overridesFile(), committed);
  // Two builds more: saveModel keeps two generations, so generation 1 is pruned.
  await save(2);
  await save(3);
  const m = await openModel(loc, { front: false });
  records = readRecords(path.join(ROOT, 'data', 'german-credit.csv'), m.schema).records.slice(
    0,
    12,
  );
  const noChecking = records.find((r) => r.checking_status === 'no checking')!;
  // Over the old limit, under the new one: the edited override declines it.
  records.push({ ...noChecking, credit_amount: 13000, duration: 48, age: 45 });
  const flipRule = compileRuleSet(m.ruleSet).decide(noChecking).ruleId;
  flipped = await fileCurrent('flipped', 'rules accept', (r) => ({
    ...r,
    rules: r.rules.map((x) =>
      x.name === flipRule
        ? {
            ...x,
            event: {
              ...x.event,
              params: {
                ...x.event.params,
                class: x.event.params.class === 'good' ? 'bad' : 'good',
              },
            },
          }
        : x,
    ),
  }));
  today = {
    name: 'today',
    hash: m.ruleSetHash,
    ruleSet: m.ruleSet,
    generation: m.manifest.generation!,
  };
  lines = [built, edited, flipped, today].flatMap((rules) =>
    records.map((r, i) => decided(rules, r, `${rules.name}-${i}`)),
  );
  snapshot = tree(dir);
}, 120_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let logs = 0;
/** Write a log under `dir/logs/`; returns its path. */
function writeLog(content: string[]): string {
  const file = path.join(dir, 'logs', `log-${++logs}.jsonl`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content.join('\n') + '\n');
  return file;
}

const replay = (files: string[], ...more: string[]) =>
  runCli(['replay', '--model', MODEL, '--log', ...files, ...more, ...dirs]);

/** How many of the records two rule sets decide otherwise (class or rule). */
function disagreements(a: Filed, b: Filed): number {
  const x = compileRuleSet(a.ruleSet);
  const y = compileRuleSet(b.ruleSet);
  return records.filter((r) => {
    const p = x.decide(r);
    const q = y.decide(r);
    return p.class !== q.class || p.ruleId !== q.ruleId;
  }).length;
}

describe('neurules replay', () => {
  it('reproduces every decision of three generations, an override save and a hand edit, loading no network', async () => {
    // Nothing before it loaded either (the fixture opens the model's rules only), so a
    // package loaded by replay would be seen here.
    expect([...loaded]).toEqual([]);
    const r = await replay([writeLog(lines)]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `replayed ${lines.length} decisions: ${lines.length} reproduced, 0 differ, 0 unknown rule set\n`,
    );
    expect(r.code).toBe(EXIT.ok);
    expect([...loaded]).toEqual([]);
    // Generation 1, which made the first two rule sets, is pruned: its rules came from the archive.
    expect(fs.existsSync(path.join(modelPaths(loc).dir, generations[0]!))).toBe(false);
    expect(built.generation).toBe(generations[0]);
  });

  it('each line is replayed by the rule set it names: naming another one gives its differences', async () => {
    // The four rule sets do decide some of these records otherwise, pairwise.
    const pairs: [Filed, Filed][] = [
      [built, edited],
      [flipped, today],
    ];
    for (const [a, b] of pairs) expect(disagreements(a, b)).toBeGreaterThan(0);
    const relabelled = records.map((rec, i) => {
      const o = JSON.parse(decided(edited, rec, `edited-${i}`)) as Record<string, unknown>;
      return JSON.stringify({ ...o, ruleSet: built.hash });
    });
    const r = await replay([writeLog(relabelled), '--json']);
    expect(r.code).toBe(EXIT.failure);
    const report = JSON.parse(r.stdout) as { differ: number; reproduced: number };
    expect(report.differ).toBe(disagreements(built, edited));
    expect(report.reproduced).toBe(records.length - disagreements(built, edited));
  });

  it('a tampered line (class or input changed) is a difference, named FILE:LINE; exit 1', async () => {
    const tampered = [...lines];
    const c = JSON.parse(tampered[1]!) as { class: string; ruleId: string };
    const was = `${c.class} by ${c.ruleId}`;
    c.class = c.class === 'good' ? 'bad' : 'good';
    tampered[1] = JSON.stringify(c);
    // The exposure record of the edited override set, its amount lowered after the decision.
    const at = lines.findIndex((l) => l.includes(`"edited-${records.length - 1}"`));
    const i = JSON.parse(tampered[at]!) as { inputs: DataRecord; class: string; ruleId: string };
    expect(i.ruleId).toBe('exposure-limit');
    i.inputs.credit_amount = 9000;
    tampered[at] = JSON.stringify(i);
    const log = writeLog(tampered);
    const r = await replay([log]);
    expect(r.code).toBe(EXIT.failure);
    const out = r.stdout.trimEnd().split('\n');
    expect(out).toEqual([
      `${log}:2  logged ${c.class} by ${c.ruleId}, replayed ${was} (rule set ${built.hash.slice(0, 12)})`,
      expect.stringMatching(
        new RegExp(
          `^${log}:${at + 1}  logged bad by exposure-limit, replayed good by \\S+ \\(rule set ${edited.hash.slice(0, 12)}\\)$`,
        ),
      ),
      `replayed ${lines.length} decisions: ${lines.length - 2} reproduced, 2 differ, 0 unknown rule set`,
    ]);
  });

  it('several files are one audit: counts summed, lines named by file', async () => {
    const a = writeLog(lines.slice(0, 20));
    const b = writeLog([...lines.slice(20), lines[0]!.replace(built.hash, 'f'.repeat(64))]);
    const r = await replay([a, b]);
    expect(r.code).toBe(EXIT.failure);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      `${b}:${lines.length - 19}  unknown rule set ffffffffffff: in neither the archive of model '${MODEL}' nor today's rules`,
      `replayed ${lines.length + 1} decisions: ${lines.length} reproduced, 0 differ, 1 unknown rule set`,
    ]);
  });

  it('redacted fields: not replayable when the decision depended on them, reproduced when not', async () => {
    const redact = (text: string, ...names: string[]) => {
      const o = JSON.parse(text) as { inputs: Record<string, unknown> };
      for (const n of names) o.inputs[n] = '[redacted]';
      return JSON.stringify(o);
    };
    const noChecking = records.findIndex(
      (r) => r.checking_status === 'no checking' && r.other_parties === 'none',
    );
    const log = writeLog([
      // age: 17 would let the minors override decide, whatever the rest.
      redact(lines[0]!, 'age'),
      // own_telephone: no rule reads it.
      redact(lines[1]!, 'own_telephone'),
      // purpose: read by rules of other records, not by the one deciding this one.
      redact(lines[noChecking]!, 'purpose'),
    ]);
    const r = await replay([log]);
    expect(r.code).toBe(EXIT.failure);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      `${log}:1  not replayable (redacted: age): other values of age let another rule decide, with the other inputs as logged (rule set ${built.hash.slice(0, 12)})`,
      'replayed 3 decisions: 2 reproduced, 0 differ, 0 unknown rule set, 1 not replayable (redacted)',
    ]);
    const json = JSON.parse((await replay([log, '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      decisions: 3,
      reproduced: 2,
      differ: 0,
      unknownRuleSet: 0,
      notReplayable: 1,
      differences: [],
      unknown: [],
      notReplayableLines: [
        { file: log, line: 1, requestId: 'built-0', ruleSet: built.hash, redacted: ['age'] },
      ],
    });
  });

  it('bad lines: every one at once, with file and line (exit 2)', async () => {
    const other = lines[2]!.replace(`"model":"${MODEL}"`, '"model":"credit-v2"');
    const a = writeLog([lines[0]!, '{"time":"2026-12-01T10:00:00.000Z","ruleSet":"ab', other]);
    const b = writeLog(['not json at all', lines[1]!.replace(/"class":"\w+",/, '')]);
    const r = await replay([a, b]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stdout).toBe('');
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error '));
    expect(errors.map((l) => l.split(' ').slice(1, 3).join(' '))).toEqual([
      `${a}:2 LOG_LINE_INVALID`,
      `${a}:3 LOG_OTHER_MODEL`,
      `${b}:1 LOG_LINE_INVALID`,
      `${b}:2 LOG_LINE_INVALID`,
    ]);
    expect(errors[1]).toContain("model 'credit-v2'");
    expect(r.stderr).toMatch(/^hint: --model names the model whose decisions --log holds/m);
    expect(errors[3]).toContain('found no class');
  });

  it('a log that is not there is FILE_NOT_FOUND naming it; --log is required', async () => {
    const missing = path.join(dir, 'logs', 'nope.jsonl');
    const r = await replay([writeLog(lines.slice(0, 1)), missing]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(new RegExp(`^error ${missing} FILE_NOT_FOUND `, 'm'));
    const none = await runCli(['replay', '--model', MODEL, ...dirs]);
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toMatch(/^error INVALID_ARGUMENT \[--log\]/m);
  });
});

describe('neurules explain --log FILE --line N', () => {
  const explain = (log: string, line: number, ...more: string[]) =>
    runCli([
      'explain',
      '--model',
      MODEL,
      '--log',
      log,
      '--line',
      String(line),
      '--backend',
      'cpu',
      ...more,
      ...dirs,
    ]);

  it('a decision of older rules: said to differ from today’s, what today’s decide, no network of a pruned generation', async () => {
    const log = writeLog(lines);
    const at = records.length - 1; // the exposure record, declined by the edited override
    const r = await explain(log, records.length + at + 1);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.ok);
    const todays = compileRuleSet(today.ruleSet).decide(records[at]!);
    expect(r.stdout).toContain(
      `rules:    the rules in force then (${edited.hash.slice(0, 12)}, generation ${edited.generation}) differ from today's (${today.hash.slice(0, 12)}): today rule ${todays.ruleId} decides this record ${todays.class}\n`,
    );
    expect(r.stdout).toContain(
      `network:  not shown: generation ${generations[0]}, which made this decision, is pruned\n`,
    );
    expect(r.stdout).toMatch(/^decision: bad {2}\(override exposure-limit: /m);
    expect(r.stdout).not.toMatch(/^replayed:/m);
  });

  it('a decision of today’s rules: said to be today’s, with the network of today’s generation', async () => {
    const log = writeLog(lines);
    const r = await explain(log, 3 * records.length + 1);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain(
      `rules:    the rules in force then (${today.hash.slice(0, 12)}, generation ${today.generation}) are today's\n`,
    );
    expect(r.stdout).toMatch(/^network: {2}(good|bad) {2}\(bad [\d.]+%, good [\d.]+%\)/m);
    const json = JSON.parse((await explain(log, 3 * records.length + 1, '--json')).stdout) as {
      logged: { today: { same: boolean }; from: string; reproduced: boolean; line: number };
      decision: { ruleId: string };
    };
    expect(json.logged).toMatchObject({
      today: { same: true },
      from: 'today',
      reproduced: true,
      line: 3 * records.length + 1,
    });
  });

  it('the hand-edited rules of today’s generation: the network is shown, and today’s rules differ', async () => {
    const log = writeLog(lines);
    const r = await explain(log, 2 * records.length + 1);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain(
      `the rules in force then (${flipped.hash.slice(0, 12)}, generation ${today.generation}) differ from today's`,
    );
    expect(r.stdout).toMatch(/^network: {2}(good|bad) /m);
  });

  it('a redacted field: explained as missing, saying whether the decision depended on it', async () => {
    const o = JSON.parse(lines[3 * records.length]!) as { inputs: Record<string, unknown> };
    o.inputs.age = '[redacted]';
    const log = writeLog([JSON.stringify(o)]);
    const r = await explain(log, 1);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain(
      'redacted: age (explained as missing; the decision depended on age: other values could let another rule decide)\n',
    );
    expect(r.stdout).toMatch(
      /^network: {2}shown as it reads the record with age missing \(redacted\)/m,
    );
    expect(r.stdout).toMatch(/^record: {3}.*, age=\[redacted\], /m);
  });

  it('--log without --line, --line without --log, a line past the end, a blank line: coded errors', async () => {
    const log = writeLog([lines[0]!, '', lines[1]!]);
    const base = ['explain', '--model', MODEL, ...dirs];
    const noLine = await runCli([...base, '--log', log]);
    expect(noLine.code).toBe(EXIT.usage);
    expect(noLine.stderr).toMatch(/^error INVALID_ARGUMENT \[line\]/m);
    const noLog = await runCli([...base, '--line', '2']);
    expect(noLog.code).toBe(EXIT.usage);
    expect(noLog.stderr).toMatch(/^error INVALID_ARGUMENT \[line\]/m);
    const both = await runCli([
      ...base,
      '--log',
      log,
      '--line',
      '1',
      '--input',
      'x.csv',
      '--row',
      '1',
    ]);
    expect(both.stderr).toMatch(
      /^error INVALID_ARGUMENT \[record\] .*found an input file and a decision log$/m,
    );
    const past = await explain(log, 9);
    expect(past.code).toBe(EXIT.usage);
    expect(past.stderr).toMatch(new RegExp(`^error ${log} ROW_OUT_OF_RANGE \\[line\\]`, 'm'));
    const blank = await explain(log, 2);
    expect(blank.stderr).toMatch(new RegExp(`^error ${log}:2 LOG_LINE_INVALID`, 'm'));
    const unknown = await explain(writeLog([lines[0]!.replace(built.hash, 'e'.repeat(64))]), 1);
    expect(unknown.stderr).toMatch(/:1 RULE_SET_NOT_FOUND /m);
  });
});

describe('replay and explain --log', () => {
  // Runs last (jest runs a file's tests in order): after every replay and explain above.
  it('wrote nothing: no file or folder of the models and rules was added, changed or touched', () => {
    const outsideLogs = (t: string) => t.split('\n').filter((l) => !l.startsWith('logs'));
    expect(outsideLogs(tree(dir))).toEqual(outsideLogs(snapshot));
  });
});

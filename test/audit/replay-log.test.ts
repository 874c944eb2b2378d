import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { recordRuleSet } from '../../src/artifacts/rule-archive';
import { ruleSetHash } from '../../src/artifacts/rule-set-hash';
import type { ModelLocation } from '../../src/artifacts/types';
import { parseLogLine, readLoggedDecision } from '../../src/audit/log-lines';
import {
  allReproduced,
  formatReplay,
  replayLog,
  type ReplayRequest,
  type RuleSetInForce,
} from '../../src/audit/replay-log';
import type { DataRecord } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { isNeurulesError, type NeurulesError } from '../../src/errors';
import type { RuleSet } from '../../src/rules/types';
import { rule, ruleSet, TINY, TINY_SCHEMA } from '../helpers/tiny-rules';

let dir: string;
let loc: ModelLocation;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-replay-'));
  loc = { modelsDir: path.join(dir, 'models'), rulesDir: path.join(dir, 'rules'), name: 'tiny' };
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** TINY with R2 deciding good: an edit that flips one rule's class. */
const FLIPPED = ruleSet(
  TINY.rules.map((r) =>
    r.name === 'R2'
      ? { ...r, event: { ...r.event, params: { ...r.event.params, class: 'good' } } }
      : r,
  ),
);
const inForce = (rules: RuleSet): RuleSetInForce => ({
  hash: ruleSetHash(rules),
  ruleSet: rules,
  schema: TINY_SCHEMA,
});
const archive = (rules: RuleSet) =>
  recordRuleSet(loc, { ruleSet: rules, schema: TINY_SCHEMA, made: 'build' });

/** A log line as the service writes it: `rules` decided `inputs`. */
function line(rules: RuleSet, inputs: DataRecord, extra: Record<string, unknown> = {}): string {
  const d = compileRuleSet(rules).decide(inputs);
  return JSON.stringify({
    time: '2026-12-01T10:00:00.000Z',
    requestId: `req-${String(inputs.y)}`,
    model: 'tiny',
    ruleSet: ruleSetHash(rules),
    ruleId: d.ruleId,
    class: d.class,
    inputs,
    ...extra,
  });
}

function writeLog(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const request = (files: string[], current = inForce(TINY)): ReplayRequest => ({
  loc,
  current,
  files,
});

async function replayError(r: ReplayRequest): Promise<NeurulesError> {
  try {
    await replayLog(r);
  } catch (e) {
    if (isNeurulesError(e)) return e;
    throw e;
  }
  throw new Error('expected replayLog to throw');
}

const adult = { age: 40, c: 'b', y: 1 };

describe('replayLog', () => {
  it('reproduces decisions of archived rule sets and of today’s, and writes nothing', async () => {
    archive(FLIPPED);
    const log = writeLog('a.jsonl', [
      line(FLIPPED, adult), // archived: R2 decides good
      '',
      line(TINY, adult), // today's rules, not archived: R2 decides bad
      line(TINY, { ...adult, c: 'a' }),
    ]);
    const before = fs.readdirSync(dir, { recursive: true }).sort();
    const report = await replayLog(request([log]));
    expect(fs.readdirSync(dir, { recursive: true }).sort()).toEqual(before);
    expect(report).toMatchObject({ decisions: 3, reproduced: 3, differ: 0, unknownRuleSet: 0 });
    expect(report.ruleSets.map((r) => [r.from, r.decisions])).toEqual([
      ['archive', 1],
      ['today', 2],
    ]);
    expect(allReproduced(report)).toBe(true);
    expect(formatReplay(report)).toEqual([
      'replayed 3 decisions: 3 reproduced, 0 differ, 0 unknown rule set',
    ]);
  });

  it('a line decided otherwise than its rule set decides is a difference; several files are one audit', async () => {
    archive(FLIPPED);
    const a = writeLog('a.jsonl', [line(TINY, adult)]);
    // Decided by TINY (R2: bad) but naming FLIPPED (R2: good): not what FLIPPED decides.
    const forged = JSON.parse(line(TINY, adult)) as Record<string, unknown>;
    forged.ruleSet = ruleSetHash(FLIPPED);
    const b = writeLog('b.jsonl', [line(FLIPPED, adult), JSON.stringify(forged)]);
    const report = await replayLog(request([a, b]));
    expect(report).toMatchObject({ decisions: 3, reproduced: 2, differ: 1 });
    expect(report.differences).toEqual([
      {
        file: b,
        line: 2,
        requestId: 'req-1',
        time: '2026-12-01T10:00:00.000Z',
        ruleSet: ruleSetHash(FLIPPED),
        logged: { class: 'bad', ruleId: 'R2' },
        replayed: { class: 'good', ruleId: 'R2' },
      },
    ]);
    const shown = formatReplay(report);
    expect(shown[0]).toBe(
      `${b}:2  logged bad by R2, replayed good by R2 (rule set ${ruleSetHash(FLIPPED).slice(0, 12)})`,
    );
    expect(shown.at(-1)).toBe('replayed 3 decisions: 2 reproduced, 1 differ, 0 unknown rule set');
  });

  it('an input changed after the decision is a difference, as is a decision no rule makes', async () => {
    const changed = JSON.parse(line(TINY, adult)) as { inputs: DataRecord };
    changed.inputs.c = 'a'; // R1 now
    const gap = ruleSet([
      rule('R1', 1, { all: [{ fact: 'c', operator: 'equal', value: 'a' }] }, 'good'),
    ]);
    archive(gap);
    const noRule = JSON.stringify({
      ...(JSON.parse(line(gap, { ...adult, c: 'a' })) as object),
      inputs: adult,
    });
    const report = await replayLog(
      request([writeLog('a.jsonl', [JSON.stringify(changed), noRule])]),
    );
    expect(report.differences.map((d) => [d.line, d.replayed])).toEqual([
      [1, { class: 'good', ruleId: 'R1' }],
      [2, { class: null, ruleId: null }],
    ]);
    expect(formatReplay(report)[1]).toContain('replayed no rule fires');
  });

  it('a rule set in neither the archive nor today’s rules is unknown', async () => {
    const log = writeLog('a.jsonl', [line(FLIPPED, adult), line(TINY, adult)]);
    const report = await replayLog(request([log]));
    expect(report).toMatchObject({ decisions: 2, reproduced: 1, unknownRuleSet: 1 });
    expect(report.unknown).toEqual([
      { file: log, line: 1, requestId: 'req-1', ruleSet: ruleSetHash(FLIPPED) },
    ]);
    expect(allReproduced(report)).toBe(false);
    expect(formatReplay(report)[0]).toMatch(/:1 {2}unknown rule set [0-9a-f]{12}: /);
  });

  it('redacted fields: not replayable when the decision depended on them, replayed when not', async () => {
    const redact = (text: string, ...names: string[]) => {
      const o = JSON.parse(text) as { inputs: Record<string, unknown> };
      for (const n of names) o.inputs[n] = '[redacted]';
      return JSON.stringify(o);
    };
    const log = writeLog('a.jsonl', [
      redact(line(TINY, adult), 'age'), // 17 would be declined by the override
      redact(line(TINY, { ...adult, c: 'a' }), 'y'), // R1 whatever y is
      redact(line(TINY, adult), 'c', 'y'), // c and y both decide between R1, R2 and R3
    ]);
    const report = await replayLog(request([log]));
    expect(report).toMatchObject({ decisions: 3, reproduced: 1, notReplayable: 2, differ: 0 });
    expect(report.notReplayableLines.map((n) => [n.line, n.redacted])).toEqual([
      [1, ['age']],
      [3, ['c', 'y']],
    ]);
    const shown = formatReplay(report);
    expect(shown[0]).toMatch(/:1 {2}not replayable \(redacted: age\): /);
    expect(shown.at(-1)).toBe(
      'replayed 3 decisions: 1 reproduced, 0 differ, 0 unknown rule set, 2 not replayable (redacted)',
    );
  });

  it('redacted fields of rules region analysis refuses: not replayable, saying why', async () => {
    // Two rules of one priority that overlap: json-rules-engine's order depends on the facts.
    const overlapping = ruleSet([
      rule('R1', 1, { all: [{ fact: 'age', operator: 'greaterThan', value: 0 }] }, 'good'),
      rule('R2', 1, { all: [{ fact: 'age', operator: 'greaterThan', value: 10 }] }, 'bad'),
      rule('R3', 1, { all: [{ fact: 'age', operator: 'lessThanInclusive', value: 0 }] }, 'bad'),
    ]);
    archive(overlapping);
    const o = JSON.parse(line(overlapping, adult)) as { inputs: Record<string, unknown> };
    o.inputs.y = '[redacted]';
    const report = await replayLog(request([writeLog('a.jsonl', [JSON.stringify(o)])]));
    expect(report.notReplayableLines).toEqual([
      expect.objectContaining({
        line: 1,
        redacted: ['y'],
        reason: expect.stringContaining('OVERLAPPING_RULES'),
      }),
    ]);
  });

  it('collects every bad line of every file, with its file and line, and throws them together', async () => {
    const good = line(TINY, adult);
    const a = writeLog('a.jsonl', [
      good,
      '{"time": "2026-12-01T10:00:00Z", "ruleSet": ', // cut mid-write
      JSON.stringify({ ...(JSON.parse(good) as object), class: undefined, ruleId: 7 }),
    ]);
    const b = writeLog('b.jsonl', [
      JSON.stringify({ ...(JSON.parse(good) as object), model: 'other' }),
      JSON.stringify({ ...(JSON.parse(good) as object), model: undefined }), // older: no model
      JSON.stringify({ ...(JSON.parse(good) as object), inputs: { age: 40, c: 3 } }),
      '[1, 2]',
    ]);
    const e = await replayError(request([a, b]));
    expect(e.issues.map((i) => [i.code, path.basename(i.file!), i.line, i.field])).toEqual([
      ['LOG_LINE_INVALID', 'a.jsonl', 2, undefined],
      ['LOG_LINE_INVALID', 'a.jsonl', 3, 'class'],
      ['LOG_OTHER_MODEL', 'b.jsonl', 1, 'model'],
      ['LOG_LINE_INVALID', 'b.jsonl', 3, 'inputs.y'],
      ['LOG_LINE_INVALID', 'b.jsonl', 4, undefined],
    ]);
    expect(e.issues[1]!.message).toMatch(/found no class; ruleId: expected text, found number 7/);
    expect(e.issues[3]!.message).toMatch(
      /no y; inputs\.c: expected a level or null, found the number 3/,
    );
  });

  it('a log file that is missing is FILE_NOT_FOUND naming it', async () => {
    const missing = path.join(dir, 'nope.jsonl');
    const e = await replayError(request([missing]));
    expect([e.code, e.file]).toEqual(['FILE_NOT_FOUND', missing]);
  });

  it('an archived rule set that does not match its hash is ARCHIVE_MODIFIED', async () => {
    const { hash } = archive(FLIPPED);
    const file = path.join(loc.rulesDir, 'tiny', 'archive', `${hash}.json`);
    const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as { ruleSet: RuleSet };
    entry.ruleSet.rules[2]!.event.params.class = 'bad';
    fs.writeFileSync(file, JSON.stringify(entry));
    const e = await replayError(request([writeLog('a.jsonl', [line(FLIPPED, adult)])]));
    expect([e.code, e.file]).toEqual(['ARCHIVE_MODIFIED', file]);
  });
});

describe('parseLogLine and readLoggedDecision', () => {
  it('reads a line as the service writes it, and one written before lines named the model', () => {
    const text = line(TINY, adult);
    const at = { file: 'd.jsonl', line: 4 };
    const read = parseLogLine(text, at, 'tiny');
    expect(read.ok && read.value).toMatchObject({
      ...at,
      ruleId: 'R2',
      class: 'bad',
      inputs: adult,
    });
    const older = JSON.stringify({ ...(JSON.parse(text) as object), model: undefined });
    expect(parseLogLine(older, at, 'tiny').ok).toBe(true);
    expect(parseLogLine(text, at, 'other')).toMatchObject({
      ok: false,
      issues: [{ code: 'LOG_OTHER_MODEL', file: 'd.jsonl', line: 4, field: 'model' }],
    });
  });

  it('refuses what is not a decision: a date that is not one, inputs that are not values', () => {
    const o = JSON.parse(line(TINY, adult)) as Record<string, unknown>;
    const bad = (change: Record<string, unknown>) =>
      parseLogLine(JSON.stringify({ ...o, ...change }), { file: 'd.jsonl', line: 1 }, 'tiny');
    expect(bad({ time: 'yesterday' })).toMatchObject({ ok: false, issues: [{ field: 'time' }] });
    expect(bad({ inputs: { age: { nested: 1 } } })).toMatchObject({
      ok: false,
      issues: [{ code: 'LOG_LINE_INVALID', field: 'inputs.age' }],
    });
    expect(bad({ inputs: [] })).toMatchObject({ ok: false, issues: [{ field: 'inputs' }] });
    expect(bad({ ruleSet: '' })).toMatchObject({ ok: false, issues: [{ field: 'ruleSet' }] });
  });

  it('reads line K; past the end is ROW_OUT_OF_RANGE, a blank line LOG_LINE_INVALID', async () => {
    const log = writeLog('a.jsonl', [line(TINY, adult), '', line(TINY, { ...adult, y: 9 })]);
    await expect(readLoggedDecision(log, 3, 'tiny')).resolves.toMatchObject({
      line: 3,
      ruleId: 'R3',
    });
    await expect(readLoggedDecision(log, 2, 'tiny')).rejects.toMatchObject({
      code: 'LOG_LINE_INVALID',
      file: log,
      line: 2,
    });
    await expect(readLoggedDecision(log, 9, 'tiny')).rejects.toMatchObject({
      code: 'ROW_OUT_OF_RANGE',
      file: log,
      field: 'line',
    });
  });
});

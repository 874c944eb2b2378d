import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DecisionLog, type DecisionLogEntry } from '../../src/audit/decision-log';
import type { Schema } from '../../src/data/types';
import type { NeurulesError } from '../../src/errors';
import { HAS_MKFIFO } from '../helpers/fifo';
import { fifoForWriters, releasedWriter } from '../helpers/fifo-writers';
import { fullDisk } from '../helpers/full-disk';

const schema: Pick<Schema, 'features' | 'target'> = {
  target: 'class',
  features: [
    { name: 'age', type: 'numeric' },
    { name: 'city', type: 'categorical', levels: ['Rome', 'Oslo'] },
  ] as Schema['features'],
};

const entry = (requestId: string): DecisionLogEntry => ({
  time: '2026-11-30T05:34:00.000Z',
  requestId,
  ruleSet: 'abc',
  ruleId: 'R01',
  class: 'good',
  inputs: { age: 30, city: 'Rome' },
});

let dir: string;
const logs: DecisionLog[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-decision-log-unit-'));
});
afterEach(async () => {
  for (const log of logs.splice(0)) await log.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function open(file: string, redact: string[] = [], onError?: (e: NeurulesError) => void) {
  const log = new DecisionLog(file, redact, { schema, ...(onError && { onError }) });
  logs.push(log);
  return log;
}

const text = (file: string) => fs.readFileSync(file, 'utf8');
const idsIn = (file: string) =>
  text(file)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as DecisionLogEntry).requestId);

/** What a promise settles to: 'ok' or the rejection's code. */
const settled = (p: Promise<void>) =>
  p.then(
    () => 'ok',
    (e: NeurulesError) => e.code,
  );

describe('DecisionLog', () => {
  it('writes whole lines in order, redacted, each append resolving once written', async () => {
    const file = path.join(dir, 'unit.jsonl');
    const log = open(file, ['city']);
    await Promise.all([log.append([entry('a'), entry('b')]), log.append([entry('c')])]);
    expect(idsIn(file)).toEqual(['a', 'b', 'c']);
    expect(JSON.parse(text(file).split('\n')[0]!)).toEqual({
      ...entry('a'),
      inputs: { age: 30, city: '[redacted]' },
      redacted: ['city'],
    });
    await log.close();
    await expect(log.append([entry('d')])).rejects.toMatchObject({ code: 'DECISION_LOG_FAILED' });
    await expect(log.reopen()).rejects.toMatchObject({ code: 'DECISION_LOG_FAILED' });
  });

  it('stays failed after a failed write, and reports it once', async () => {
    const file = path.join(dir, 'full.jsonl');
    const reported: NeurulesError[] = [];
    const log = open(file, [], (e) => reported.push(e));
    const disk = fullDisk(file, 0);
    try {
      const both = [log.append([entry('a')]), log.append([entry('b')])];
      for (const p of both) await expect(p).rejects.toMatchObject({ code: 'DECISION_LOG_FAILED' });
      await expect(log.append([entry('c')])).rejects.toMatchObject({
        code: 'DECISION_LOG_FAILED',
      });
      await expect(log.reopen()).rejects.toMatchObject({ code: 'DECISION_LOG_FAILED' });
      expect(log.failure?.code).toBe('DECISION_LOG_FAILED');
      expect(reported.map((e) => [e.code, e.file])).toEqual([['DECISION_LOG_FAILED', file]]);
      expect(text(file)).toBe('');
    } finally {
      disk.restore();
    }
  });
});

describe('a write that fails part-way (disk full)', () => {
  it('cuts the lines of the failed batch off the file: only lines of resolved appends remain', async () => {
    // Every free size from "the second batch barely starts" to "it barely misses its
    // last byte": the failed batch leaves whole lines and part of one, which must go.
    const first = Buffer.byteLength(JSON.stringify(entry('a0')) + '\n');
    for (const free of [first + 1, first + 40, 2 * first, 3 * first + 7, 4 * first - 1]) {
      const file = path.join(dir, `cut-${free}.jsonl`);
      const log = open(file, [], () => undefined);
      await log.append([entry('a0')]); // one committed batch
      const disk = fullDisk(file, free);
      try {
        const outcome = await settled(log.append(['b0', 'b1', 'b2', 'b3'].map(entry)));
        expect(outcome).toBe('DECISION_LOG_FAILED');
        expect(disk.splitBatch()).toBe(true);
        expect(text(file)).toBe(JSON.stringify(entry('a0')) + '\n');
        expect(log.failure?.file).toBe(file);
      } finally {
        disk.restore();
      }
    }
  });

  it('under many appends, the file holds exactly the lines of the appends that resolved', async () => {
    const file = path.join(dir, 'many.jsonl');
    const log = open(file, [], () => undefined);
    const disk = fullDisk(file, 20_000);
    try {
      const ids = Array.from({ length: 400 }, (_, i) => `r${i}`);
      // Appends in several turns of the event loop, so there are several batches.
      const outcomes: Promise<string>[] = [];
      for (let i = 0; i < ids.length; i += 25) {
        for (const id of ids.slice(i, i + 25))
          outcomes.push(settled(log.append([entry(id), entry(id)])));
        await new Promise((r) => setImmediate(r));
      }
      const results = await Promise.all(outcomes);
      const resolved = ids.filter((_, i) => results[i] === 'ok');
      expect(resolved.length).toBeGreaterThan(0);
      expect(resolved.length).toBeLessThan(ids.length);
      expect(disk.splitBatch()).toBe(true);
      expect(idsIn(file)).toEqual(resolved.flatMap((id) => [id, id]));
      expect(text(file).endsWith('\n')).toBe(true);
    } finally {
      disk.restore();
    }
  });

  it("cuts nothing when another process wrote to the file too, and says where the log's lines may remain", async () => {
    const file = path.join(dir, 'shared.jsonl');
    const reported: NeurulesError[] = [];
    const log = open(file, [], (e) => reported.push(e));
    await log.append([entry('a0')]);
    fs.appendFileSync(file, '{"foreign":"line"}\n'); // another writer, against the advice
    const disk = fullDisk(file, 30);
    try {
      expect(await settled(log.append([entry('b0'), entry('b1')]))).toBe('DECISION_LOG_FAILED');
      expect(disk.splitBatch()).toBe(true);
      // The other writer's line is kept: the log never cuts what it cannot prove is its own.
      expect(text(file)).toContain('{"foreign":"line"}\n');
      expect(reported).toHaveLength(1);
      expect(reported[0]!.code).toBe('DECISION_LOG_FAILED');
    } finally {
      disk.restore();
    }
  });
});

describe('reopen (log rotation)', () => {
  it('lines appended before reopen() go to the moved file, lines after it to a new file at the path', async () => {
    const file = path.join(dir, 'decisions.jsonl');
    const rotated = `${file}.1`;
    const log = open(file);
    await log.append([entry('a')]);
    // Queued, not yet written, when the file is moved and reopen() is called.
    const before = log.append([entry('b')]);
    fs.renameSync(file, rotated);
    const reopened = log.reopen();
    const after = log.append([entry('c')]);
    await Promise.all([before, reopened, after]);
    expect(idsIn(rotated)).toEqual(['a', 'b']);
    expect(idsIn(file)).toEqual(['c']);
  });

  it('after mv and rm, decisions go to a new file, none to the unlinked one', async () => {
    const file = path.join(dir, 'decisions.jsonl');
    const log = open(file);
    await log.append([entry('a')]);
    fs.renameSync(file, `${file}.1`);
    fs.rmSync(`${file}.1`);
    await log.reopen();
    await log.append([entry('b')]);
    expect(idsIn(file)).toEqual(['b']);
  });

  it('no line is lost or written twice across reopens amid concurrent appends', async () => {
    const file = path.join(dir, 'decisions.jsonl');
    const log = open(file);
    const pending: Promise<void>[] = [];
    const ids: string[] = [];
    let reopened: Promise<void> | undefined;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 50; i++) {
        ids.push(`${round}-${i}`);
        pending.push(log.append([entry(`${round}-${i}`)]));
        if (i === 25) {
          // The previous rotation's reopen has made the file (rotations are far apart).
          await reopened;
          fs.renameSync(file, `${file}.${round + 1}`);
          reopened = log.reopen();
          pending.push(reopened);
        }
        if (i % 10 === 0) await new Promise((r) => setImmediate(r));
      }
    }
    await Promise.all(pending);
    const all = [1, 2, 3].flatMap((n) => idsIn(`${file}.${n}`)).concat(idsIn(file));
    expect(all.sort()).toEqual([...ids].sort());
    expect(idsIn(file).length).toBeGreaterThan(0);
  });

  it('a path that cannot be reopened fails the log: later decisions are refused, not written to the old file', async () => {
    const file = path.join(dir, 'decisions.jsonl');
    const reported: NeurulesError[] = [];
    const log = open(file, [], (e) => reported.push(e));
    await log.append([entry('a')]);
    fs.renameSync(file, `${file}.1`);
    fs.mkdirSync(file); // a directory where the new file should be
    await expect(log.reopen()).rejects.toMatchObject({ code: 'DECISION_LOG_FAILED', file });
    await expect(log.append([entry('b')])).rejects.toMatchObject({
      code: 'DECISION_LOG_FAILED',
    });
    expect(reported.map((e) => e.code)).toEqual(['DECISION_LOG_FAILED']);
    expect(idsIn(`${file}.1`)).toEqual(['a']);
  });
});

describe('what the log may be', () => {
  it('a symbolic link to a regular file is followed', async () => {
    const target = path.join(dir, 'target.jsonl');
    fs.writeFileSync(target, '');
    const link = path.join(dir, 'link.jsonl');
    fs.symlinkSync(target, link);
    const log = open(link);
    await log.append([entry('a')]);
    expect(idsIn(target)).toEqual(['a']);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('a directory or a socket is NOT_A_REGULAR_FILE, naming the file', async () => {
    const folder = path.join(dir, 'folder');
    fs.mkdirSync(folder);
    expect(() => open(folder)).toThrow(
      expect.objectContaining({ code: 'NOT_A_REGULAR_FILE', file: folder }),
    );
    const socket = path.join(dir, 's.sock');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      expect(() => open(socket)).toThrow(
        expect.objectContaining({ code: 'NOT_A_REGULAR_FILE', file: socket }),
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  (HAS_MKFIFO ? it : it.skip)(
    'a FIFO is NOT_A_REGULAR_FILE at once, with or without a reader',
    async () => {
      const fifo = fifoForWriters(path.join(dir, 'decisions.fifo'));
      expect(() => open(fifo)).toThrow(
        expect.objectContaining({ code: 'NOT_A_REGULAR_FILE', file: fifo }),
      );
      // A reader holds it open: opening for writing would succeed, and is refused.
      const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      try {
        expect(() => open(fifo)).toThrow(
          expect.objectContaining({ code: 'NOT_A_REGULAR_FILE', file: fifo }),
        );
      } finally {
        fs.closeSync(reader);
      }
      // Had an open waited for a reader, the guard would have had to release it.
      expect(releasedWriter(fifo)).toBe(false);
    },
  );
});

describe('fields to redact', () => {
  it('a name that is not a feature is UNKNOWN_FEATURE, field the name, with a did-you-mean; every one is listed', () => {
    const file = path.join(dir, 'never.jsonl');
    let error: NeurulesError | undefined;
    try {
      open(file, ['Age', 'city', 'cty', 'class']);
    } catch (e) {
      error = e as NeurulesError;
    }
    expect(error?.code).toBe('UNKNOWN_FEATURE');
    expect(error?.issues.map((i) => [i.code, i.field])).toEqual([
      ['UNKNOWN_FEATURE', 'Age'],
      ['UNKNOWN_FEATURE', 'cty'],
      ['UNKNOWN_FEATURE', 'class'],
    ]);
    expect(error?.issues[0]!.message).toContain("'age'");
    expect(error?.issues[1]!.message).toContain("'city'");
    expect(fs.existsSync(file)).toBe(false); // refused before the file is made
  });

  it('names to redact without a schema to check them are INVALID_ARGUMENT', () => {
    expect(() => new DecisionLog(path.join(dir, 'x.jsonl'), ['age'])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

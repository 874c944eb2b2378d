import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { lockModel } from '../../src/artifacts/model-lock';
import { loadModel, modelPaths } from '../../src/artifacts/model-store';
import { readHistory } from '../../src/artifacts/rule-archive';
import type { ModelLocation } from '../../src/artifacts/types';
import { isNeurulesError } from '../../src/errors';
import { loadOverrides } from '../../src/overrides/merge-overrides';
import { commitDistilledRules } from '../../src/pipeline/commit-distilled-rules';
import { openStudio, type StudioSession } from '../../src/studio/session';
import { copyGermanCredit, GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';
import { manyOverrides } from '../helpers/many-overrides';

/**
 * The studio's session: saves checked against the folder as it will be after the write,
 * one at a time, and checks on a thread of their own that a newer one can stop.
 */

let dir: string;
let loc: ModelLocation;
let studio: StudioSession;
let overrides: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-studio-session-'));
  loc = copyGermanCredit(dir, GERMAN_CREDIT_FROZEN);
  overrides = modelPaths(loc).overrides;
  studio = await openStudio(loc, { backend: 'cpu' });
});
afterAll(async () => {
  await studio.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

const young = (id: string, age: number) =>
  `- id: ${id}\n  when:\n    age: { '<': ${age} }\n    duration: { '>': 48 }\n  then: { class: bad }\n  priority: ${90 + age}\n`;
/** The override files now on disk, and the lines of changes.jsonl. */
const onDisk = () => fs.readdirSync(overrides).sort();
const changes = () =>
  fs.existsSync(modelPaths(loc).changes)
    ? fs.readFileSync(modelPaths(loc).changes, 'utf8').trim().split('\n')
    : [];
/** The code of a rejection, and the codes of its issues. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; issues: string[] }> {
  try {
    await p;
  } catch (e) {
    if (!isNeurulesError(e)) throw e;
    return { code: e.code, issues: e.issues.map((i) => i.code) };
  }
  throw new Error('expected a refusal');
}
/** Resolves once a check has been handed to a check thread. */
function posted(spy: jest.SpyInstance): Promise<void> {
  const checks = () => spy.mock.calls.filter(([job]) => job?.kind === 'check').length;
  return new Promise((resolve) => {
    const poll = () => (checks() > 0 ? resolve() : setImmediate(poll));
    poll();
  });
}

describe('saves', () => {
  afterEach(() => {
    for (const f of ['a.yaml', 'b.yaml', 'c.yaml', 'intruder.yaml']) {
      fs.rmSync(path.join(overrides, f), { force: true });
    }
    fs.rmSync(modelPaths(loc).changes, { force: true });
  });

  it('a live check is of the folder as it would be saved: a file on disk that is not in the request counts', async () => {
    fs.writeFileSync(path.join(overrides, 'a.yaml'), young('young-long', 20));
    const r = await studio.check([{ name: 'b.yaml', text: young('young-long', 21) }]);
    expect(r.ok).toBe(false);
    expect(r.files).toEqual(['a.yaml', 'b.yaml', 'credit-policy.yaml']);
    expect(r.problems).toEqual([
      expect.objectContaining({ code: 'DUPLICATE_ID', file: 'b.yaml', line: 1 }),
    ]);
  });

  it('two concurrent saves that each add a file with the same override id: one saves, the other is SAVE_BLOCKED (DUPLICATE_ID)', async () => {
    const saves = await Promise.allSettled([
      studio.save([{ name: 'a.yaml', text: young('young-long', 20), baseHash: null }], 'tab 1'),
      studio.save([{ name: 'b.yaml', text: young('young-long', 21), baseHash: null }], 'tab 2'),
    ]);
    expect(saves.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
    expect(await refusal(Promise.reject((saves[1] as PromiseRejectedResult).reason))).toEqual({
      code: 'SAVE_BLOCKED',
      issues: ['DUPLICATE_ID'],
    });
    expect(onDisk()).toEqual(['a.yaml', 'credit-policy.yaml']);
    // The model still opens: its overrides load.
    expect(loadOverrides(overrides, studio.model.schema).map((o) => o.id)).toContain('young-long');
    expect(changes()).toHaveLength(1);
  });

  it('two studios on the same model (as two processes would be): never both saved', async () => {
    const other = await openStudio(loc, { backend: 'cpu' });
    try {
      const saves = await Promise.allSettled([
        studio.save([{ name: 'a.yaml', text: young('young-long', 20), baseHash: null }], 'one'),
        other.save([{ name: 'b.yaml', text: young('young-long', 21), baseHash: null }], 'two'),
      ]);
      expect(saves.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
      const refused = saves.find((s) => s.status === 'rejected') as PromiseRejectedResult;
      // Either the other save held the model's lock, or it had written its file already.
      expect(['MODEL_LOCKED', 'SAVE_BLOCKED']).toContain(
        (await refusal(Promise.reject(refused.reason))).code,
      );
      expect(() => loadOverrides(overrides, studio.model.schema)).not.toThrow();
      expect(changes()).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('a file that appears while the save is checked is FILE_CHANGED, and nothing is written', async () => {
    // Another editor (no lock) adds a file the moment the save's check is handed to its
    // thread, before any answer can come back.
    const post = Worker.prototype.postMessage;
    jest.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (
      this: Worker,
      ...args: Parameters<Worker['postMessage']>
    ) {
      const intruder = path.join(overrides, 'intruder.yaml');
      if (!fs.existsSync(intruder)) fs.writeFileSync(intruder, young('young-long', 22));
      return post.apply(this, args);
    });
    const saving = studio.save(
      [{ name: 'a.yaml', text: young('young-long', 20), baseHash: null }],
      'checked, then raced',
    );
    expect(await refusal(saving)).toEqual({ code: 'FILE_CHANGED', issues: ['FILE_CHANGED'] });
    expect(onDisk()).toEqual(['credit-policy.yaml', 'intruder.yaml']);
    expect(changes()).toEqual([]);
  });

  it('saves one after the other: the second sees the first', async () => {
    const first = await studio.save(
      [{ name: 'a.yaml', text: young('young-a', 20), baseHash: null }],
      'first',
    );
    const second = await studio.save(
      [{ name: 'c.yaml', text: young('young-c', 21), baseHash: null }],
      'second',
    );
    expect(second.entry.before).toBe(first.entry.after);
    expect(onDisk()).toEqual(['a.yaml', 'c.yaml', 'credit-policy.yaml']);
  });
});

describe('checks on their own thread', () => {
  const big = manyOverrides(1000);

  it('a check aborted while it runs is stopped; the next one is answered', async () => {
    const post = jest.spyOn(Worker.prototype, 'postMessage');
    const stop = jest.spyOn(Worker.prototype, 'terminate');
    const controller = new AbortController();
    const running = studio.check([{ name: 'many.yaml', text: big }], {
      signal: controller.signal,
    });
    await posted(post);
    const small = studio.check([{ name: 'credit-policy.yaml', text: young('young-only', 20) }]);
    controller.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    // Its thread was stopped rather than left to finish.
    expect(stop).toHaveBeenCalledTimes(1);
    const answer = await small;
    expect(answer.ok).toBe(true);
    expect(answer.impact!.overrides.map((o) => o.id)).toEqual(['young-only']);
  });

  it('a check aborted before its turn is dropped, and the one before it is answered', async () => {
    const controller = new AbortController();
    const first = studio.check([{ name: 'credit-policy.yaml', text: young('first', 20) }]);
    const second = studio.check([{ name: 'credit-policy.yaml', text: young('second', 20) }], {
      signal: controller.signal,
    });
    controller.abort();
    await expect(second).rejects.toMatchObject({ name: 'AbortError' });
    expect((await first).impact!.overrides.map((o) => o.id)).toEqual(['first']);
  });

  it('a coded error of the thread keeps its code and place', async () => {
    await expect(
      studio.explain([{ name: 'credit-policy.yaml', text: '' }], { index: 100000 }),
    ).rejects.toMatchObject({ code: 'ROW_OUT_OF_RANGE', field: 'index' });
    await expect(studio.check([{ name: '../x.yaml', text: '' }])).rejects.toMatchObject({
      code: 'INVALID_FILE_NAME',
    });
  });
});

describe('a save after the distilled rules changed under the studio', () => {
  it('is FILE_CHANGED at the rule file when a rules promote (or accept) committed other rules since the studio opened, and writes nothing', async () => {
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-studio-promoted-'));
    const at = copyGermanCredit(own, GERMAN_CREDIT_FROZEN);
    const open = await openStudio(at, { backend: 'cpu' });
    try {
      // What `rules promote` commits: other distilled rules, a new generation, under the lock.
      const m = loadModel(at);
      const rules = structuredClone(m.ruleSet);
      const rule = rules.rules[0]!;
      rule.event.params.class = m.schema.classes.find((c) => c !== rule.event.params.class)!;
      const lock = lockModel(modelPaths(at).dir, 'test');
      try {
        await commitDistilledRules(at, m, rules, m.metrics, { lock });
      } finally {
        lock.release();
      }
      const history = () => readHistory(at).entries.length;
      const before = history();
      const e = await open
        .save([{ name: 'a.yaml', text: young('young-long', 20), baseHash: null }], 'stale')
        .then(
          () => undefined,
          (x: unknown) => x as { code: string; file: string },
        );
      expect(e).toMatchObject({ code: 'FILE_CHANGED', file: modelPaths(at).rules });
      expect(fs.existsSync(path.join(modelPaths(at).overrides, 'a.yaml'))).toBe(false);
      expect(fs.existsSync(modelPaths(at).changes)).toBe(false);
      expect(history()).toBe(before);
    } finally {
      await open.close();
      fs.rmSync(own, { recursive: true, force: true });
    }
  });
});

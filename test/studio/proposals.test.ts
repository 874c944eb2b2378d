import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkAuthor, readChanges } from '../../src/artifacts/changes-log';
import { modelPaths } from '../../src/artifacts/model-store';
import type { ModelLocation } from '../../src/artifacts/types';
import { isNeurulesError } from '../../src/errors';
import { sha256 } from '../../src/studio/check';
import { openStudio, type StudioSession } from '../../src/studio/session';
import { copyGermanCredit, GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';

/**
 * Authors, revert and four-eyes review on a studio session: proposals made, listed,
 * approved by a second author only, rejected, refused when stale, and rebased.
 */

let dir: string;
/** A studio in review mode, and one that saves directly but needs an author. */
let review: { loc: ModelLocation; studio: StudioSession; policy: string };
let direct: { loc: ModelLocation; studio: StudioSession; policy: string };

const POLICY = 'credit-policy.yaml';

async function open(name: string, options: { review?: boolean; requireAuthor?: boolean }) {
  const loc = copyGermanCredit(path.join(dir, name), GERMAN_CREDIT_FROZEN);
  const policy = path.join(modelPaths(loc).overrides, POLICY);
  return { loc, studio: await openStudio(loc, { backend: 'cpu', ...options }), policy };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-proposals-'));
  review = await open('review', { review: true });
  direct = await open('direct', { requireAuthor: true });
});
afterAll(async () => {
  await review?.studio.close();
  await direct?.studio.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The code and place of a rejection. */
async function refusal(
  p: Promise<unknown> | (() => unknown),
): Promise<{ code: string; field?: string; file?: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (!isNeurulesError(e)) throw e;
    return {
      code: e.code,
      ...(e.field !== undefined && { field: e.field }),
      ...(e.file !== undefined && { file: e.file }),
    };
  }
  throw new Error('expected a refusal');
}

/** The policy file with one line replaced (the replaced line must be there). */
function edited(file: string, from: string, to: string): string {
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`no '${from}' in ${file}`);
  return text.replace(from, to);
}
const hashOf = (file: string) => sha256(fs.readFileSync(file, 'utf8'));
/** Propose the policy file with one line replaced. */
const proposeEdit = (from: string, to: string, author: string, reason = `${from} → ${to}`) =>
  review.studio.propose(
    [{ name: POLICY, text: edited(review.policy, from, to), baseHash: hashOf(review.policy) }],
    reason,
    author,
  );
const lastChange = (loc: ModelLocation) => readChanges(modelPaths(loc).changes).entries.at(-1);

describe('authors', () => {
  it('checkAuthor takes one trimmed line without control characters, up to 100 characters', () => {
    expect(checkAuthor('  Ana Lima ')).toBe('Ana Lima');
    for (const bad of ['', '   ', 'ana\nbob', 'ana\u0007', 'ana\u202e', 'x'.repeat(101)]) {
      expect(() => checkAuthor(bad)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'author' }),
      );
    }
  });

  it('--require-author: a save without an author is AUTHOR_REQUIRED (field author), and nothing is written', async () => {
    const before = fs.readFileSync(direct.policy, 'utf8');
    const files = [
      {
        name: POLICY,
        text: edited(direct.policy, 'priority: 100', 'priority: 101'),
        baseHash: hashOf(direct.policy),
      },
    ];
    expect(await refusal(direct.studio.save(files, 'no author'))).toEqual({
      code: 'AUTHOR_REQUIRED',
      field: 'author',
    });
    expect(await refusal(direct.studio.save(files, 'bad author', 'ana\tbob'))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'author',
    });
    expect(fs.readFileSync(direct.policy, 'utf8')).toBe(before);
  });
});

describe('revert', () => {
  it('sets the files back to an earlier version, as a new change with its reason and author', async () => {
    const original = fs.readFileSync(direct.policy, 'utf8');
    const first = edited(direct.policy, 'priority: 100', 'priority: 101');
    await direct.studio.save(
      [{ name: POLICY, text: first, baseHash: sha256(original) }],
      'one',
      'Ana',
    );
    await direct.studio.save(
      [
        {
          name: POLICY,
          text: first.replace('priority: 50', 'priority: 55'),
          baseHash: sha256(first),
        },
      ],
      'two',
      'Ana',
    );
    await direct.studio.save([{ name: 'extra.yaml', text: '', baseHash: null }], 'three', 'Ana');
    const entries = readChanges(modelPaths(direct.loc).changes).entries;
    expect(entries.map((e) => e.kind === 'overrides' && e.author)).toEqual(['Ana', 'Ana', 'Ana']);
    expect(await refusal(direct.studio.revert(0, '', 'Bo'))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'reason',
    });
    expect(await refusal(direct.studio.revert(7, 'back', 'Bo'))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'entry',
    });

    const done = await direct.studio.revert(0, 'back to one', 'Bo');
    expect('entry' in done && done.entry).toEqual(
      expect.objectContaining({
        kind: 'overrides',
        author: 'Bo',
        reason: 'back to one',
        revertOf: 0,
        files: [POLICY],
      }),
    );
    expect(fs.readFileSync(direct.policy, 'utf8')).toBe(first);
    // The revert is itself a change: reverting it (to entry 1) brings the second version back.
    await direct.studio.revert(1, 'again two', 'Bo');
    expect(fs.readFileSync(direct.policy, 'utf8')).toBe(
      first.replace('priority: 50', 'priority: 55'),
    );
    // The last entry is the version the files are at: nothing to revert.
    expect(await refusal(direct.studio.revert(4, 'nothing', 'Bo'))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'entry',
    });
  });

  it('a file changed outside the studio since its last save is REVERT_IMPOSSIBLE naming it', async () => {
    fs.writeFileSync(direct.policy, fs.readFileSync(direct.policy, 'utf8') + '\n# by hand\n');
    expect(await refusal(direct.studio.revert(0, 'back', 'Bo'))).toEqual({
      code: 'REVERT_IMPOSSIBLE',
      file: direct.policy,
    });
  });
});

describe('proposals', () => {
  it('a save in review mode is REVIEW_REQUIRED; a proposal changes nothing in overrides/ and freezes its diff and impact', async () => {
    const text = edited(review.policy, 'priority: 100', 'priority: 101');
    expect(
      await refusal(
        review.studio.save([{ name: POLICY, text, baseHash: hashOf(review.policy) }], 'x', 'Ana'),
      ),
    ).toEqual({ code: 'REVIEW_REQUIRED', field: 'files' });
    expect(
      await refusal(
        review.studio.propose([{ name: POLICY, text, baseHash: hashOf(review.policy) }], 'x', ''),
      ),
    ).toEqual({ code: 'AUTHOR_REQUIRED', field: 'author' });
    const base = hashOf(review.policy);
    const p = await proposeEdit('priority: 100', 'priority: 101', 'Ana', 'minors first');
    expect(hashOf(review.policy)).toBe(base);
    const file = path.join(review.studio.proposalsDir, `${p.id}.json`);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(stored).toEqual(p);
    expect(stored).toEqual(
      expect.objectContaining({
        format: 'neurules.override-proposal',
        version: 1,
        author: 'Ana',
        reason: 'minors first',
        status: 'pending',
        base: [{ name: POLICY, hash: base }],
        files: [{ name: POLICY, text }],
      }),
    );
    expect(stored.diff).toContain('-  priority: 100\n+  priority: 101\n');
    expect(stored.impact).toEqual(
      expect.objectContaining({
        records: expect.any(Number),
        changed: expect.any(Number),
        saved: expect.any(Object),
        proposed: expect.any(Object),
      }),
    );
    expect(review.studio.proposals().proposals.map((q) => q.id)).toContain(p.id);
  });

  it('approval: refused to its own author (SELF_APPROVAL), committed for another with author and approver in changes.jsonl, then closed', async () => {
    const p = await proposeEdit('priority: 80', 'priority: 85', 'Ana', 'exposure later');
    const before = fs.readFileSync(review.policy, 'utf8');
    expect(await refusal(review.studio.approve(p.id, ' ana '))).toEqual({
      code: 'SELF_APPROVAL',
      field: 'author',
    });
    expect(await refusal(review.studio.approve(p.id, ''))).toEqual({
      code: 'AUTHOR_REQUIRED',
      field: 'author',
    });
    expect(fs.readFileSync(review.policy, 'utf8')).toBe(before);
    const saved = await review.studio.approve(p.id, 'Bo');
    expect(saved.saved).toEqual([POLICY]);
    expect(fs.readFileSync(review.policy, 'utf8')).toBe(p.files[0]!.text);
    expect(lastChange(review.loc)).toEqual(
      expect.objectContaining({
        kind: 'overrides',
        author: 'Ana',
        approvedBy: 'Bo',
        proposal: p.id,
        reason: 'exposure later',
      }),
    );
    const now = review.studio.proposals().proposals.find((q) => q.id === p.id)!;
    expect(now.status).toBe('approved');
    expect(now.decision).toEqual(expect.objectContaining({ by: 'Bo' }));
    expect(await refusal(review.studio.approve(p.id, 'Cy'))).toEqual({
      code: 'PROPOSAL_CLOSED',
      field: 'id',
    });
  });

  it('approval runs the checks of a save on the folder as it is then: SAVE_BLOCKED, nothing written; the archive files an approved one', async () => {
    const young =
      "- id: young\n  when:\n    age: { '<': 21 }\n  then: { class: bad }\n  priority: 95\n";
    const p = await review.studio.propose(
      [{ name: 'young.yaml', text: young, baseHash: null }],
      'young applicants',
      'Ana',
    );
    // Another file with the same override id appears (not a base file of the proposal).
    const intruder = path.join(modelPaths(review.loc).overrides, 'intruder.yaml');
    fs.writeFileSync(intruder, young);
    const blocked = await refusal(review.studio.approve(p.id, 'Bo'));
    expect(blocked.code).toBe('SAVE_BLOCKED');
    expect(fs.existsSync(path.join(modelPaths(review.loc).overrides, 'young.yaml'))).toBe(false);
    expect(review.studio.proposals().proposals.find((q) => q.id === p.id)?.status).toBe('pending');
    fs.rmSync(intruder);
    await review.studio.approve(p.id, 'Bo');
    const archived = fs
      .readFileSync(path.join(modelPaths(review.loc).rulesDir, 'archive', 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(archived.at(-1)).toMatchObject({ made: 'studio save', reason: 'young applicants' });
  });

  it('rejection needs an author and a reason, changes no override file, and closes the proposal', async () => {
    const p = await proposeEdit('priority: 50', 'priority: 51', 'Ana');
    const before = fs.readFileSync(review.policy, 'utf8');
    expect(await refusal(review.studio.reject(p.id, 'Bo', ''))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'reason',
    });
    const rejected = await review.studio.reject(p.id, 'Bo', 'not now');
    expect(rejected.status).toBe('rejected');
    expect(rejected.decision).toEqual(expect.objectContaining({ by: 'Bo', reason: 'not now' }));
    expect(fs.readFileSync(review.policy, 'utf8')).toBe(before);
    expect(await refusal(review.studio.approve(p.id, 'Bo'))).toEqual({
      code: 'PROPOSAL_CLOSED',
      field: 'id',
    });
  });

  it('a proposal whose base file changed is PROPOSAL_STALE; rebased (its change elsewhere in the file) it is approved with both changes', async () => {
    const first = await proposeEdit('priority: 100', 'priority: 102', 'Ana');
    const second = await proposeEdit('priority: 50', 'priority: 52', 'Cy');
    await review.studio.approve(first.id, 'Bo');
    expect(await refusal(review.studio.approve(second.id, 'Bo'))).toEqual({
      code: 'PROPOSAL_STALE',
      file: review.policy,
    });
    const rebased = await review.studio.rebase(second.id);
    expect(rebased.base).toEqual([{ name: POLICY, hash: hashOf(review.policy) }]);
    expect(rebased.rebased).toEqual([{ time: expect.any(String), base: second.base }]);
    await review.studio.approve(second.id, 'Bo');
    const text = fs.readFileSync(review.policy, 'utf8');
    expect(text).toContain('priority: 102');
    expect(text).toContain('priority: 52');
  });

  it('a rebase whose change touches lines changed since is REBASE_CONFLICT naming the file', async () => {
    const one = await proposeEdit('priority: 102', 'priority: 103', 'Ana');
    const two = await proposeEdit('priority: 102', 'priority: 104', 'Cy');
    await review.studio.approve(one.id, 'Bo');
    expect(await refusal(review.studio.rebase(two.id))).toEqual({
      code: 'REBASE_CONFLICT',
      file: review.policy,
    });
  });

  it('an id that is not a proposal is PROPOSAL_NOT_FOUND; a foreign file in proposals/ is listed as unreadable', async () => {
    expect(await refusal(review.studio.approve('../overrides/credit-policy', 'Bo'))).toEqual({
      code: 'PROPOSAL_NOT_FOUND',
      field: 'id',
    });
    expect(await refusal(review.studio.rebase('20261207-000000-abcdef'))).toEqual({
      code: 'PROPOSAL_NOT_FOUND',
      field: 'id',
    });
    const foreign = path.join(review.studio.proposalsDir, '20261207-000000-000000.json');
    // A proposal edited by hand to write outside overrides/ is no proposal.
    const [some] = review.studio.proposals().proposals;
    const escaping = path.join(review.studio.proposalsDir, '20261207-000000-111111.json');
    fs.writeFileSync(
      escaping,
      JSON.stringify({
        ...some,
        id: '20261207-000000-111111',
        status: 'pending',
        files: [{ name: '../x.yaml', text: '' }],
      }),
    );
    expect(await refusal(review.studio.approve('20261207-000000-111111', 'Zed'))).toEqual({
      code: 'INVALID_ARTIFACT',
      file: escaping,
    });
    fs.rmSync(escaping);
    fs.writeFileSync(foreign, JSON.stringify({ format: 'neurules.model', version: 1 }));
    expect(review.studio.proposals().unreadable).toEqual([
      expect.objectContaining({ file: foreign, code: 'FOREIGN_FORMAT' }),
    ]);
    fs.rmSync(foreign);
  });

  it('a revert in review mode becomes a proposal that goes back to the entry', async () => {
    const entries = readChanges(modelPaths(review.loc).changes).entries;
    expect(entries.length).toBeGreaterThan(1);
    const p = await review.studio.revert(0, 'undo', 'Cy');
    expect('revertOf' in p && p).toEqual(
      expect.objectContaining({ status: 'pending', author: 'Cy', revertOf: 0 }),
    );
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readChanges } from '../../src/artifacts/changes-log';
import { modelPaths } from '../../src/artifacts/model-store';
import type { ModelLocation } from '../../src/artifacts/types';
import { copyGermanCredit, GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';

/**
 * `neurules rules propose` and `neurules rules proposals`: four-eyes review for teams that
 * review in git. Proposals made, listed, refused to their own author, approved by another
 * (committed as a studio save), rejected, stale until rebased.
 */

const POLICY = 'credit-policy.yaml';
let dir: string;
let loc: ModelLocation;
let policyFile: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-proposals-cli-'));
  loc = copyGermanCredit(dir, GERMAN_CREDIT_FROZEN);
  policyFile = path.join(modelPaths(loc).overrides, POLICY);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The model's options (`listing`: no network needed), and with the CPU backend for the checks. */
const listing = () => [
  '--model',
  'german-credit',
  '--models-dir',
  loc.modelsDir,
  '--rules-dir',
  loc.rulesDir,
];
const model = () => [...listing(), '--backend', 'cpu'];
/** The codes of the `error` lines, and each line's place (what precedes the code). */
const errors = (stderr: string) =>
  [...stderr.matchAll(/^error (?:(\S+) )?([A-Z_]+) (?:\[(\w+)\] )?/gm)].map((m) => ({
    code: m[2]!,
    ...(m[1] !== undefined && { file: m[1] }),
    ...(m[3] !== undefined && { field: m[3] }),
  }));

/** Write the policy with one line replaced to a file outside the model, and propose it. */
async function propose(from: string, to: string, author: string, reason = `${from} → ${to}`) {
  const text = fs.readFileSync(policyFile, 'utf8');
  if (!text.includes(from)) throw new Error(`no '${from}' in the policy`);
  const draftDir = fs.mkdtempSync(path.join(dir, 'draft-'));
  const draft = path.join(draftDir, POLICY);
  fs.writeFileSync(draft, text.replace(from, to));
  const r = await runCli([
    'rules',
    'propose',
    ...model(),
    '--file',
    draft,
    '--author',
    author,
    '--reason',
    reason,
    '--json',
  ]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  return { proposal: JSON.parse(r.stdout), text: text.replace(from, to) };
}
/** `neurules rules proposals` on the model, with `args`. */
const proposals = (...args: string[]) => runCli(['rules', 'proposals', ...model(), ...args]);
const approve = (id: string, author: string) => proposals('--approve', id, '--author', author);

describe('rules propose and rules proposals', () => {
  it('propose writes a pending proposal and leaves overrides/ alone; the list shows it', async () => {
    const before = fs.readFileSync(policyFile, 'utf8');
    const { proposal } = await propose('priority: 100', 'priority: 101', 'Ana', 'minors first');
    expect(proposal).toMatchObject({
      format: 'neurules.override-proposal',
      version: 1,
      status: 'pending',
      author: 'Ana',
      reason: 'minors first',
    });
    expect(
      fs.existsSync(path.join(modelPaths(loc).rulesDir, 'proposals', `${proposal.id}.json`)),
    ).toBe(true);
    expect(fs.readFileSync(policyFile, 'utf8')).toBe(before);
    const json = await runCli(['rules', 'proposals', ...listing(), '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).proposals.map((p: { id: string }) => p.id)).toEqual([
      proposal.id,
    ]);
    const text = await runCli(['rules', 'proposals', ...listing()]);
    expect(text.stdout).toMatch(
      new RegExp(
        `^${proposal.id}  pending  Ana: minors first \\[${POLICY}\\]; changes \\d+ of \\d+ held-out decisions`,
        'm',
      ),
    );
  });

  it("approval by the proposal's own author is SELF_APPROVAL; by another it is committed with both names", async () => {
    const { proposal, text } = await propose('priority: 80', 'priority: 85', 'Ana');
    const self = await approve(proposal.id, 'ana');
    expect([self.code, errors(self.stderr)]).toEqual([
      2,
      [{ code: 'SELF_APPROVAL', field: 'author' }],
    ]);
    const none = await proposals('--approve', proposal.id);
    expect(errors(none.stderr)).toEqual([{ code: 'AUTHOR_REQUIRED', field: 'author' }]);
    const ok = await approve(proposal.id, 'Bo');
    expect([ok.code, ok.stderr]).toEqual([0, '']);
    expect(ok.stdout).toBe(`approved ${proposal.id}: saved ${POLICY} (by Ana, approved by Bo)\n`);
    expect(fs.readFileSync(policyFile, 'utf8')).toBe(text);
    expect(readChanges(modelPaths(loc).changes).entries.at(-1)).toMatchObject({
      kind: 'overrides',
      author: 'Ana',
      approvedBy: 'Bo',
      proposal: proposal.id,
      files: [POLICY],
    });
    const again = await approve(proposal.id, 'Cy');
    expect(errors(again.stderr)).toEqual([{ code: 'PROPOSAL_CLOSED', field: 'id' }]);
  });

  it('reject needs a reason, closes the proposal and changes no file', async () => {
    const { proposal } = await propose('priority: 50', 'priority: 51', 'Ana');
    const before = fs.readFileSync(policyFile, 'utf8');
    const noReason = await proposals('--reject', proposal.id, '--author', 'Bo');
    expect(errors(noReason.stderr)).toEqual([{ code: 'INVALID_ARGUMENT', field: 'reason' }]);
    const r = await proposals(
      '--reject',
      proposal.id,
      '--author',
      'Bo',
      '--reason',
      'not now',
      '--json',
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).proposal).toMatchObject({
      status: 'rejected',
      decision: { by: 'Bo', reason: 'not now' },
    });
    expect(fs.readFileSync(policyFile, 'utf8')).toBe(before);
  });

  it('a proposal whose base changed is PROPOSAL_STALE naming the file; --rebase re-bases it, then it is approved', async () => {
    const { proposal: late } = await propose('priority: 100', 'priority: 102', 'Ana');
    const { proposal: early } = await propose('priority: 50', 'priority: 52', 'Cy');
    expect((await approve(early.id, 'Bo')).code).toBe(0);
    const stale = await approve(late.id, 'Bo');
    expect([stale.code, errors(stale.stderr)]).toEqual([
      2,
      [{ code: 'PROPOSAL_STALE', file: policyFile }],
    ]);
    const rebased = await proposals('--rebase', late.id);
    expect([rebased.code, rebased.stderr]).toEqual([0, '']);
    expect((await approve(late.id, 'Bo')).code).toBe(0);
    const text = fs.readFileSync(policyFile, 'utf8');
    expect(text).toContain('priority: 102');
    expect(text).toContain('priority: 52');
  });

  it('a rebase onto lines changed since is REBASE_CONFLICT naming the file', async () => {
    const { proposal: one } = await propose('priority: 102', 'priority: 103', 'Ana');
    const { proposal: two } = await propose('priority: 102', 'priority: 104', 'Cy');
    expect((await approve(one.id, 'Bo')).code).toBe(0);
    const r = await proposals('--rebase', two.id);
    expect([r.code, errors(r.stderr)]).toEqual([
      2,
      [{ code: 'REBASE_CONFLICT', file: policyFile }],
    ]);
  });

  it('bad input: two actions at once, an unknown id, a file name that is not NAME.yaml, a proposal with errors', async () => {
    const both = await runCli([
      'rules',
      'proposals',
      ...listing(),
      '--approve',
      'x',
      '--reject',
      'y',
    ]);
    expect(errors(both.stderr)).toEqual([{ code: 'INVALID_ARGUMENT', field: 'reject' }]);
    const unknown = await approve('20261207-000000-abcdef', 'Bo');
    expect(errors(unknown.stderr)).toEqual([{ code: 'PROPOSAL_NOT_FOUND', field: 'id' }]);
    const badName = path.join(dir, 'policy.txt');
    fs.writeFileSync(badName, '');
    const r = await runCli([
      'rules',
      'propose',
      ...model(),
      '--file',
      badName,
      '--author',
      'Ana',
      '--reason',
      'x',
    ]);
    expect(errors(r.stderr)).toEqual([{ code: 'INVALID_FILE_NAME', field: 'files' }]);
    const broken = path.join(fs.mkdtempSync(path.join(dir, 'broken-')), 'young.yaml');
    fs.writeFileSync(
      broken,
      "- id: young\n  when:\n    agee: { '<': 21 }\n  then: { class: bad }\n",
    );
    const blocked = await runCli([
      'rules',
      'propose',
      ...model(),
      '--file',
      broken,
      '--author',
      'Ana',
      '--reason',
      'x',
    ]);
    expect(errors(blocked.stderr).map((e) => e.code)).toContain('UNKNOWN_FEATURE');
    expect(blocked.code).toBe(2);
  });
});

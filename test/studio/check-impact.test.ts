/**
 * The studio's impact has one baseline, the saved overrides: the headline count, accuracy
 * and fidelity compare the saved files' decisions with the edited ones, each changed record
 * carries its label, classes, whether the change is right and the fields its override reads,
 * and `neurules rules impact`'s figures (against the distilled rules alone) stay apart. The
 * regions name the deciding override's features first and say unseen levels and missing
 * values once. The overrides list follows the edited text.
 */
import type { DataRecord } from '../../src/data/types';
import { OverridesChecker, sha256 } from '../../src/studio/check';
import type { SavedFile, StudioFile } from '../../src/studio/contract';
import { handRuleSet } from '../helpers/hand-made-rules';
import { partitionRules, partitionSchema } from '../helpers/partition-model';

const schema = partitionSchema;
const distilled = handRuleSet(partitionRules, schema.classes);

/** Records, their labels and the network's classes (indices into `schema.classes`). */
const records: DataRecord[] = [
  { n: 3, k: 'p' }, // saved c, edited c, label c: unchanged
  { n: 7, k: 'p' }, // saved a (L1), edited c, label c: now right
  { n: 8, k: 'q' }, // saved b (L2), edited c, label b: now wrong
  { n: 9, k: 'r' }, // saved b (L2), edited c, label a: still wrong
  { n: 30, k: 'q' }, // c either way
];
const labels = [2, 2, 1, 0, 2];
const network = [2, 2, 2, 2, 2];

const override = (id: string, below: number) =>
  `- id: ${id}\n  when:\n    n: { '<': ${below} }\n  then: { class: c }\n`;
const file = (text: string): StudioFile => ({ name: 'policy.yaml', text });
const saved: SavedFile[] = [{ ...file(override('small', 5)), hash: sha256(override('small', 5)) }];

function checker(): OverridesChecker {
  return new OverridesChecker({
    dir: '/nowhere/overrides',
    schema,
    distilled,
    judged: { records, label: 'test records', source: 'file', file: 'records.csv' },
    test: { records, labels, description: 'five hand-made records' },
    network,
  });
}

/** A changed record the override `small` decides (edited) or decided (saved), reading n. */
const bySmall = (index: number, label: string, from: string, to: string, verdict: string) => ({
  index,
  label,
  from,
  to,
  verdict,
  override: 'small',
  fields: [{ name: 'n', value: records[index]!.n }],
});

describe('studio impact: one baseline, the saved overrides', () => {
  it('counts, accuracy and fidelity compare saved with edited; rules impact stays apart', async () => {
    const r = await checker().check([file(override('small', 10))], saved);
    const impact = r.impact!;
    expect(impact.records).toBe(5);
    expect(impact.changed).toBe(3);
    expect(impact.changedRecords.map((c) => c.index)).toEqual([1, 2, 3]);
    // Saved: c a b b c; edited: c c c c c; labels c c b a c; network all c.
    expect(impact.before).toEqual({ accuracy: 3 / 5, fidelity: 2 / 5 });
    expect(impact.after).toEqual({ accuracy: 3 / 5, fidelity: 1 });
    // Against the distilled rules alone (a a b b c), four decisions differ.
    expect(impact.distilled.changed).toBe(4);
    expect(impact.distilled.quality).toEqual({ accuracy: 2 / 5, fidelity: 1 / 5 });
    expect(impact.overrides.map((o) => [o.id, o.changed])).toEqual([['small', 4]]);
  });

  it('each changed record has its label, classes, verdict and the fields its override reads', async () => {
    const r = await checker().check([file(override('small', 10))], saved);
    expect(r.impact!.changedRecords).toEqual([
      bySmall(1, 'c', 'a', 'c', 'now right'),
      bySmall(2, 'b', 'b', 'c', 'now wrong'),
      bySmall(3, 'a', 'b', 'c', 'still wrong'),
    ]);
  });

  it('a record no override decides any more names the saved override that did', async () => {
    const r = await checker().check([file('')], saved);
    expect(r.impact!.changed).toBe(1);
    expect(r.impact!.changedRecords).toEqual([bySmall(0, 'c', 'c', 'a', 'now wrong')]);
  });

  it('the saved files against themselves change nothing', async () => {
    const r = await checker().check([file(override('small', 5))], saved);
    expect(r.impact!.changed).toBe(0);
    expect(r.impact!.before).toEqual(r.impact!.after);
    expect(r.regions).toEqual([]);
  });

  it("regions: the override's features first, unseen levels and missing values said once", async () => {
    const r = await checker().check([file(override('small', 10))], saved);
    expect(r.regions.length).toBeGreaterThan(0);
    for (const g of r.regions) {
      expect(g.overrides).toEqual(['small']);
      expect(g.own).toEqual(['5 ≤ n < 10']);
      for (const text of [...g.own, ...g.other]) {
        expect(text).not.toMatch(/missing|not seen in training/);
      }
    }
    const wide = r.regions.find((g) => g.from === 'b')!;
    expect(wide.other).toEqual(["k is one of 'q', 'r'"]);
    expect(wide.included).toBe('unseen levels and missing values of k included');
    // The whole sentence, as `neurules diff` words it, is kept.
    expect(wide.conditions).toMatch(/k is missing/);
    const narrow = r.regions.find((g) => g.from === 'a')!;
    expect(narrow.other).toEqual(["k is 'p'"]);
    expect(narrow.included).toBe('');
  });

  it('the overrides list follows the edited text, in hit order; none with errors', async () => {
    const edited = `${override('small', 10)}${override('later', 2)}`;
    const r = await checker().check([file(edited)], saved);
    expect(r.overrides!.map((o) => [o.id, o.file, o.line])).toEqual([
      ['small', 'policy.yaml', 1],
      ['later', 'policy.yaml', 5],
    ]);
    const broken = await checker().check(
      [file("- id: x\n  when:\n    m: { '<': 1 }\n  then: { class: c }\n")],
      saved,
    );
    expect(broken.problems.map((p) => [p.code, p.line])).toEqual([['UNKNOWN_FEATURE', 3]]);
    expect(broken.overrides).toBeNull();
    expect(broken.impact).toBeNull();
  });
});

import type { DataRecord } from '../../src/data/types';
import { runExamples } from '../../src/engine/run-examples';
import type { Decision } from '../../src/engine/types';
import type { Override } from '../../src/overrides/parse-overrides';
import { loadModelFiles } from '../../src/artifacts/model-store';
import { openModel } from '../../src/pipeline/open-model';
import { GERMAN_CREDIT } from '../helpers/german-credit';

function override(id: string, examples: { input: DataRecord; expect: string; line: number }[]) {
  return { id, examples, file: `${id}.yaml`, line: 1 } as unknown as Override;
}

const decider = {
  decide: (record: DataRecord): Decision => ({
    class: (record.n as number) > 0 ? 'yes' : 'no',
    ruleId: (record.n as number) > 0 ? 'R1' : 'R2',
    probabilities: {},
    support: 1,
    source: 'distilled',
  }),
};

describe('runExamples', () => {
  it('passes an example whose class is decided, fails one whose is not, in order', async () => {
    const run = await runExamples(
      [
        override('a', [
          { input: { n: 1 }, expect: 'yes', line: 3 },
          { input: { n: -1 }, expect: 'yes', line: 5 },
        ]),
        override('b', [{ input: { n: -2 }, expect: 'no', line: 9 }]),
      ],
      decider,
    );
    expect([run.passed, run.failed]).toEqual([2, 1]);
    expect(run.results).toEqual([
      {
        override: 'a',
        file: 'a.yaml',
        line: 3,
        expect: 'yes',
        class: 'yes',
        ruleId: 'R1',
        pass: true,
      },
      {
        override: 'a',
        file: 'a.yaml',
        line: 5,
        expect: 'yes',
        class: 'no',
        ruleId: 'R2',
        pass: false,
      },
      {
        override: 'b',
        file: 'b.yaml',
        line: 9,
        expect: 'no',
        class: 'no',
        ruleId: 'R2',
        pass: true,
      },
    ]);
  });

  it('the shipped German credit examples pass on both evaluators', async () => {
    const model = await openModel(GERMAN_CREDIT);
    expect(loadModelFiles(GERMAN_CREDIT).schema.classes).toEqual(model.schema.classes);
    for (const d of [model.compiled!, model.engine]) {
      const run = await runExamples(model.overrides, d);
      expect(run.failed).toBe(0);
      expect(run.results.map((r) => r.override)).toEqual([
        'minors-declined',
        'exposure-limit',
        'guarantor-education',
      ]);
    }
  });
});

/**
 * Fidelity bench: for each bundled data set and seeds 1..5, a stratified split (30% test,
 * 15% validation), the network with default options, distillation with default options
 * (at most 16 rules), and on the held-out test split: the network's accuracy, the rules'
 * accuracy and fidelity, rule count and mean conditions; beside them a CART learned on
 * the true labels with the same leaf budget, and the scikit-learn peer's figures.
 *
 *   npm run bench:fidelity [-- --seeds 1,2,3,4,5 --data german-credit,iris --max-rules 16 --teacher '{"l2":0.03}']
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { agreement } from '../src/audit/metrics';
import { readTable } from '../src/data/read-csv';
import { fitSchema } from '../src/data/fit-schema';
import { splitTable } from '../src/data/split-table';
import { distill } from '../src/distill/distill';
import type { Sampling } from '../src/distill/types';
import { growTree } from '../src/distill/grow-tree';
import { predictTree } from '../src/distill/predict-tree';
import { toColumns } from '../src/distill/tree-columns';
import { RuleEngine } from '../src/engine/rule-engine';
import { ruleSetSize } from '../src/audit/metrics';
import { compileTree } from '../src/rules/compile-tree';
import { selectBackend } from '../src/teacher/backend';
import { trainTeacher } from '../src/teacher/train-teacher';

/** The scikit-learn peer (shared/datasets/README.md): teacher accuracy, student fidelity, CART accuracy. */
const PEER: Record<string, { teacher: number; fidelity: number; cart: number }> = {
  'german-credit': { teacher: 0.739, fidelity: 0.766, cart: 0.739 },
  iris: { teacher: 0.969, fidelity: 0.978, cart: 0.964 },
  'breast-cancer-wisconsin': { teacher: 0.96, fidelity: 0.925, cart: 0.917 },
};
const TARGET_FIDELITY: Record<string, number> = {
  'german-credit': 0.9,
  iris: 0.98,
  'breast-cancer-wisconsin': 0.96,
};

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3,4,5' },
    data: { type: 'string', default: 'german-credit,iris,breast-cancer-wisconsin' },
    'max-rules': { type: 'string', default: '16' },
    sampling: { type: 'string', default: 'auto' },
    samples: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    teacher: { type: 'string', default: '{}' },
  },
});
const seeds = values.seeds!.split(',').map(Number);
const maxRules = Number(values['max-rules']);

interface Row {
  teacher: number;
  rules: number;
  fidelity: number;
  cart: number;
  ruleCount: number;
  meanConditions: number;
  sampling: string;
  seconds: number;
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

async function main(): Promise<void> {
  const backend = await selectBackend(values.backend as 'auto');
  const started = Date.now();
  const summary: string[] = [];
  for (const name of values.data!.split(',')) {
    const table = readTable(path.join(__dirname, '..', '..', 'data', `${name}.csv`));
    const rows: Row[] = [];
    for (const seed of seeds) {
      const t0 = Date.now();
      const parts = splitTable(table, { seed, testFraction: 0.3 });
      // As `build` does: numeric statistics from the training split only.
      const schema = fitSchema(table.schema, parts.train.records);
      const split = {
        train: { ...parts.train, schema },
        validation: { ...parts.validation, schema },
        test: { ...parts.test, schema },
      };
      const teacher = await trainTeacher(split.train, split.validation, {
        ...JSON.parse(values.teacher!),
        seed,
      });
      const oracle = (records: readonly import('../src/data/types').DataRecord[]) =>
        teacher.predictProbaFlat(records);
      const d = distill(schema, split.train.records, split.validation.records, oracle, {
        maxRules,
        seed,
        sampling: values.sampling as Sampling,
        ...(values.samples !== undefined && { samples: Number(values.samples) }),
      });
      const ruleSet = compileTree(d.tree, schema, name, d.leafStats);
      const engine = new RuleEngine(ruleSet);
      const classOf = new Map(schema.classes.map((c, i) => [c, i]));
      const ruleLabels: number[] = [];
      for (const r of split.test.records)
        ruleLabels.push(classOf.get((await engine.decide(r)).class)!);
      const teacherLabels = teacher.predict(split.test.records);
      // CART on the true labels, same leaf budget, same learner.
      const K = schema.classes.length;
      const trueTargets = new Float64Array(split.train.records.length * K);
      split.train.labels.forEach((y, i) => (trueTargets[i * K + y] = 1));
      const cart = growTree(
        {
          features: schema.features,
          columns: toColumns(schema.features, split.train.records),
          targets: trueTargets,
          classes: schema.classes,
        },
        { maxLeaves: maxRules },
      );
      const cartLabels = split.test.records.map((r) => predictTree(cart, r));
      const size = ruleSetSize(ruleSet);
      rows.push({
        teacher: agreement(teacherLabels, split.test.labels),
        rules: agreement(ruleLabels, split.test.labels),
        fidelity: agreement(ruleLabels, teacherLabels),
        cart: agreement(cartLabels, split.test.labels),
        ruleCount: size.ruleCount,
        meanConditions: size.meanConditions,
        sampling: `${d.report.sampling}`,
        seconds: (Date.now() - t0) / 1000,
      });
      teacher.dispose();
      const r = rows[rows.length - 1]!;
      process.stderr.write(
        `${name} seed ${seed}: teacher ${r.teacher.toFixed(3)} rules ${r.rules.toFixed(3)} fidelity ${r.fidelity.toFixed(3)} cart ${r.cart.toFixed(3)} rules ${r.ruleCount} cond ${r.meanConditions.toFixed(2)} sampling ${r.sampling} (${r.seconds.toFixed(1)} s)\n`,
      );
    }
    const peer = PEER[name];
    const f = mean(rows.map((r) => r.fidelity));
    summary.push(
      `| ${name} | ${mean(rows.map((r) => r.teacher)).toFixed(3)} (${peer?.teacher.toFixed(3) ?? '–'}) | ${f.toFixed(3)} (${peer?.fidelity.toFixed(3) ?? '–'}) | ${(TARGET_FIDELITY[name] ?? NaN).toFixed(2)} | ${mean(rows.map((r) => r.rules)).toFixed(3)} | ${mean(rows.map((r) => r.cart)).toFixed(3)} (${peer?.cart.toFixed(3) ?? '–'}) | ${mean(rows.map((r) => r.ruleCount)).toFixed(1)} | ${mean(rows.map((r) => r.meanConditions)).toFixed(2)} | ${rows.map((r) => r.fidelity.toFixed(3)).join(' ')} |`,
    );
  }
  process.stdout.write(
    [
      `fidelity bench: seeds ${seeds.join(',')}, at most ${maxRules} rules, backend ${backend.name}, ${((Date.now() - started) / 1000).toFixed(0)} s`,
      '',
      '| data set | network accuracy (peer) | fidelity (peer) | target | rules accuracy | CART on true labels (peer) | rules | conditions / rule | fidelity per seed |',
      '|---|---|---|---|---|---|---|---|---|',
      ...summary,
      '',
    ].join('\n'),
  );
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});

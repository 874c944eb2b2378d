/**
 * Predict engines bench: `neurules predict` end to end (a new process, start-up included) on
 * 20,000 German credit rows, with `--engine compiled` and with `--engine json-rules-engine`.
 *
 *   npm run bench:predict-engines [-- --rows 20000 --runs 5 --warmup 1 --baseline DIR]
 *
 * Makes the input from data/german-credit.csv (its rows repeated, the numeric features of
 * every copy after the first moved by up to ±10%), as CSV and as JSONL, then runs each
 * engine on each, `--runs` rounds interleaved (order rotated each round) after `--warmup`
 * untimed rounds, output to a file. Reports the median wall time, records/s end to end, the
 * time the command's own summary line gives (the prediction loop, after the model is open)
 * and the rest (start-up, opening the model, exit), peak memory, and the ratio
 * json-rules-engine / compiled. Outputs are compared: both engines must write the same lines.
 * With `--baseline DIR` (a checkout with its own `npm ci`) the same runs of
 * DIR/bin/neurules.js are interleaved with this checkout's and the old/new ratios printed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  cliTrees,
  type CliTree,
  count,
  describeTrees,
  germanCreditInputs,
  interleave,
  machineLine,
  markdownTable,
  median,
  predictSummary,
  runCliOk,
  runOptions,
  withTempDir,
} from './cli-runs';

const { values } = parseArgs({
  options: { ...runOptions(5, 1), rows: { type: 'string', default: '20000' } },
});

const ENGINES = ['compiled', 'json-rules-engine'] as const;
const FORMATS = ['csv', 'jsonl'] as const;

interface Case {
  tree: CliTree;
  format: (typeof FORMATS)[number];
  engine: (typeof ENGINES)[number];
  output: string;
  /** The seconds of the summary line and the peak memory, per timed or warm-up run. */
  inside: number[];
  peakMb: number[];
  records: number;
}

function main(): void {
  const rows = Number(values.rows);
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  const trees = cliTrees(values.baseline);
  withTempDir('neurules-engines-', (dir) => {
    const inputs = germanCreditInputs(dir, rows);
    const cases: Case[] = [];
    for (const tree of trees)
      for (const format of FORMATS)
        for (const engine of ENGINES) {
          const output = path.join(dir, `out-${tree.label}-${format}-${engine}.jsonl`);
          cases.push({ tree, format, engine, output, inside: [], peakMb: [], records: NaN });
        }
    const times = interleave(cases, runs, warmup, (c) => {
      const run = runCliOk(c.tree, [
        'predict',
        '--model',
        'german-credit',
        '--input',
        inputs[c.format],
        '--output',
        c.output,
        '--engine',
        c.engine,
      ]);
      const summary = predictSummary(run.stderr);
      c.inside.push(summary.seconds);
      c.peakMb.push(summary.peakMb);
      c.records = summary.records;
      return run.seconds;
    });
    // Timed runs only (the first `warmup` summaries are the warm-up's).
    for (const c of cases) {
      c.inside.splice(0, warmup);
      c.peakMb.splice(0, warmup);
    }

    const s = (x: number) => x.toFixed(2);
    const table = markdownTable(
      [
        'CLI',
        'input',
        'engine',
        'median wall (s)',
        'fastest (s)',
        'records/s end to end',
        'predict loop (s)',
        'start-up, open, exit (s)',
        'peak RSS (MB)',
      ],
      'lllrrrrrr',
      cases.map((c, i) => {
        const wall = median(times[i]!);
        const inside = median(c.inside);
        return [
          c.tree.label,
          c.format.toUpperCase(),
          c.engine,
          s(wall),
          s(Math.min(...times[i]!)),
          count(c.records / wall),
          inside.toFixed(1),
          s(wall - inside),
          median(c.peakMb).toFixed(0),
        ];
      }),
    );
    const at = (tree: CliTree, format: string, engine: string) =>
      cases.findIndex((c) => c.tree === tree && c.format === format && c.engine === engine);
    const notes: string[] = [];
    for (const tree of trees) {
      for (const format of FORMATS) {
        const [fast, slow] = ENGINES.map((e) => at(tree, format, e));
        const ratio = median(times[slow!]!) / median(times[fast!]!);
        const paired = median(times[slow!]!.map((x, r) => x / times[fast!]![r]!));
        const same =
          fs.readFileSync(cases[fast!]!.output, 'utf8') ===
          fs.readFileSync(cases[slow!]!.output, 'utf8');
        notes.push(
          `${tree.label}, ${format.toUpperCase()}: json-rules-engine / compiled end to end ${ratio.toFixed(1)}× (median of per-round ratios ${paired.toFixed(1)}×; target ≥ 10×); outputs ${same ? 'identical' : '**differ**'}`,
        );
      }
    }
    if (trees.length === 2) {
      for (const format of FORMATS) {
        for (const engine of ENGINES) {
          const [newer, older] = trees.map((t) => at(t, format, engine));
          const same =
            fs.readFileSync(cases[newer!]!.output, 'utf8') ===
            fs.readFileSync(cases[older!]!.output, 'utf8');
          notes.push(
            `old / new, ${format.toUpperCase()} ${engine}: ${(median(times[older!]!) / median(times[newer!]!)).toFixed(2)}× (outputs ${same ? 'identical' : '**differ**'})`,
          );
        }
      }
    }
    process.stdout.write(
      [
        `predict engines bench: ${count(rows)} German credit rows, ${runs} runs of each case interleaved (order rotated each round) after ${warmup} warm-up round(s); wall time from spawn to exit, output to a file`,
        machineLine(),
        describeTrees(trees),
        `command: neurules predict --model german-credit --input ${path.basename(inputs.csv)}|${path.basename(inputs.jsonl)} --output FILE --engine compiled|json-rules-engine`,
        '',
        table,
        '',
        ...notes,
        '',
      ].join('\n'),
    );
  });
}

main();

/**
 * Cold-start bench: how long a fresh `neurules` process takes for small commands, next to a
 * bare `node -e 0`, and which modules each loads.
 *
 *   npm run bench:cold-start [-- --runs 20 --warmup 2 --baseline DIR]
 *
 * Times `node -e 0`, `neurules --version`, `--help`, `predict` of a one-record CSV,
 * `rules lint` and `export` (German credit; `export` refuses a tree with categorical
 * features, so it times start-up and the refusal), each a new child process, wall clock from
 * spawn to exit, `--runs` rounds interleaved (the order rotated each round) after `--warmup`
 * untimed rounds. Reports median and p90 per command, and predict's median over `node -e 0`'s
 * (also as the median of the per-round ratios). One more run of each command, untimed, with
 * the preload record-modules.js, lists the modules it loaded: whether @tensorflow/tfjs was
 * among them is measured, not assumed. With `--baseline DIR` (a checkout with its own
 * `npm ci`, e.g. the commit before a change) the same commands of DIR/bin/neurules.js run
 * interleaved with this checkout's. Each CLI runs in its own root, on its own models/ and
 * rules/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  cliTrees,
  type CliTree,
  describeTrees,
  germanCreditInputs,
  interleave,
  machineLine,
  markdownTable,
  median,
  quantile,
  runOptions,
  runNode,
  withTempDir,
} from './cli-runs';

const { values } = parseArgs({ options: runOptions(20, 2) });

/** Packages whose loading matters for start-up, as named under node_modules/. */
const WATCHED = [
  '@tensorflow/tfjs',
  'fastify',
  'prom-client',
  'yaml',
  'json-rules-engine',
  'csv-parse',
  'commander',
  'ml-cart',
];

interface Case {
  /** The command as shown. */
  name: string;
  tree: CliTree | undefined;
  /** Arguments of `node`. */
  args: string[];
}

/** The packages (node_modules/NAME or @scope/NAME) of the loaded module files. */
function packagesOf(files: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    const at = file.lastIndexOf(`node_modules${path.sep}`);
    if (at < 0) continue;
    const parts = file.slice(at + 'node_modules/'.length).split(path.sep);
    names.add(parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
  }
  return names;
}

/** One untimed run with the module-recording preload: what the command loads, and its exit. */
function loadedModules(c: Case, dir: string): { files: string[]; status: number | null } {
  const list = path.join(dir, 'modules.txt');
  fs.rmSync(list, { force: true });
  const run = runNode(['-r', path.join(__dirname, 'record-modules.js'), ...c.args], {
    cwd: c.tree?.root,
    env: { ...process.env, NEURULES_BENCH_MODULES: list },
  });
  const files = fs.existsSync(list) ? fs.readFileSync(list, 'utf8').split('\n') : [];
  // The preload itself is not the command's.
  return { files: files.filter((f) => f && !f.endsWith('record-modules.js')), status: run.status };
}

function main(): void {
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  const trees = cliTrees(values.baseline);
  withTempDir('neurules-cold-', (dir) => {
    const one = germanCreditInputs(dir, 1).csv;
    const commands: string[][] = [
      ['--version'],
      ['--help'],
      ['predict', '--model', 'german-credit', '--input', one],
      ['rules', 'lint', '--model', 'german-credit'],
      ['export', '--model', 'german-credit'],
    ];
    const bare: Case = { name: 'node -e 0', tree: undefined, args: ['-e', '0'] };
    const cases: Case[] = [bare];
    for (const args of commands) {
      for (const tree of trees) {
        const shown = args.map((a) => (a === one ? path.basename(one) : a)).join(' ');
        cases.push({ name: `neurules ${shown}`, tree, args: [tree.bin, ...args] });
      }
    }
    const loads = cases.map((c) => loadedModules(c, dir));
    const times = interleave(
      cases,
      runs,
      warmup,
      (c) => runNode(c.args, { cwd: c.tree?.root }).seconds,
    );
    const bareMedian = median(times[0]!);
    const ms = (s: number) => (s * 1000).toFixed(0);

    const rows = cases.map((c, i) => {
      const packages = packagesOf(loads[i]!.files);
      const tf = [...packages].some((p) => p.startsWith('@tensorflow/tfjs'));
      const watched = WATCHED.filter((w) =>
        [...packages].some((p) => p === w || p.startsWith(`${w}-`)),
      );
      return [
        c.name,
        c.tree ? c.tree.label : '–',
        ms(median(times[i]!)),
        ms(quantile(times[i]!, 0.9)),
        (median(times[i]!) / bareMedian).toFixed(2),
        String(loads[i]!.files.length),
        tf ? '**yes**' : 'no',
        watched.join(', ') || '–',
        String(loads[i]!.status),
      ];
    });
    const lines = [
      `cold-start bench: ${runs} runs of each command, interleaved (order rotated each round) after ${warmup} warm-up round(s); wall time from spawn to exit`,
      machineLine(),
      describeTrees(trees),
      `one-record input: ${path.basename(one)} (header and the first row of data/german-credit.csv)`,
      '',
      markdownTable(
        [
          'command',
          'CLI',
          'median (ms)',
          'p90 (ms)',
          '× node -e 0',
          'modules loaded',
          '@tensorflow/tfjs loaded',
          'watched packages loaded',
          'exit',
        ],
        'llrrrrllr',
        rows,
      ),
      '',
    ];
    const predict = (tree: CliTree) =>
      cases.findIndex((c) => c.tree === tree && c.name.startsWith('neurules predict'));
    for (const tree of trees) {
      const t = times[predict(tree)]!;
      const paired = median(t.map((x, r) => x / times[0]![r]!));
      lines.push(
        `predict of one record (${tree.label}): median ${ms(median(t))} ms = ${(median(t) / bareMedian).toFixed(2)}× node -e 0's ${ms(bareMedian)} ms (median of per-round ratios ${paired.toFixed(2)}×; target ≤ 3.5×)`,
      );
    }
    if (trees.length === 2) {
      const speedups = commands.map((args, k) => {
        const [newer, older] = [times[1 + 2 * k]!, times[2 + 2 * k]!];
        return `${args[0] === 'rules' ? 'rules lint' : args[0]} ${(median(older) / median(newer)).toFixed(2)}×`;
      });
      lines.push(`old / new median time: ${speedups.join(', ')}`);
    }
    process.stdout.write(lines.join('\n') + '\n');
  });
}

main();

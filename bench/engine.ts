/**
 * Rule engine bench: the compiled evaluator vs json-rules-engine, same process, same facts.
 *
 *   npm run bench:engine              # the last line is `ratio N` (json-rules-engine / compiled, German credit)
 *   npm run bench:engine -- --quick   # German credit only
 *
 * 1. The German credit rule set (rules/german-credit/distilled.rules.json) on the 1000
 *    records of data/german-credit.csv, cycled.
 * 2. A synthetic 256-rule set: a 256-leaf tree over 20 mixed features (10 numeric, 10
 *    categorical, 2% missing) grown with growTree and compiled with compileTree, on the
 *    2000 records it was grown from.
 *
 * json-rules-engine is timed as `await engine.run(facts)` plus taking the first event (the
 * least a decision costs with it) and as RuleEngine.decide; the compiled evaluator as
 * `decide`, `run` (every event, as json-rules-engine returns them) and `trace` (the decision
 * with the deciding rule's condition results: the cost of an explanation). After a warm-up,
 * the five are timed in 10 interleaved rounds (German credit: 10 × 500 json-rules-engine
 * decisions, 10 × 200,000 compiled ones; synthetic: 10 × 100 and 10 × 20,000), so that a
 * shared machine's drift reaches them alike; rates are medians over rounds and `ratio` is
 * the median over rounds of json-rules-engine's time per decision / compiled `decide`'s
 * in the same round. Before timing, every record's decision and events
 * (and the first records' traces) are checked identical, and every decision json-rules-engine
 * makes while timed is checked against the compiled one.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine, type Event } from 'json-rules-engine';
import { loadModelFiles, loadRuleSet } from '../src/artifacts/model-store';
import { readRecords } from '../src/data/read-records';
import type { DataRecord, Feature, Schema } from '../src/data/types';
import { growTree } from '../src/distill/grow-tree';
import type { FeatureSpec, TrainingColumns } from '../src/distill/types';
import { compileRuleSet, type CompiledRules } from '../src/engine/compiled-rules';
import { RuleEngine } from '../src/engine/rule-engine';
import { createRandom } from '../src/random';
import { compileTree } from '../src/rules/compile-tree';
import type { RuleSet } from '../src/rules/types';

const ROOT = path.join(__dirname, '..', '..');

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function rate(decisions: number, time: number): string {
  return `${Math.round(decisions / time).toLocaleString('en')} decisions/s`;
}

function ruleIdOf(events: Event[]): unknown {
  return events[0]?.params?.ruleId;
}

/** A 256-leaf tree over 20 mixed features, as rules, and records drawn like its data. */
export function syntheticRuleSet(
  rows: number,
  seed: number,
): { ruleSet: RuleSet; records: DataRecord[] } {
  const rnd = createRandom(seed);
  const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const specs: FeatureSpec[] = [];
  const schemaFeatures: Feature[] = [];
  const columns: (Float64Array | Int32Array)[] = [];
  for (let j = 0; j < 10; j++) {
    const name = `x${j}`;
    specs.push({ name, type: 'numeric' });
    schemaFeatures.push({
      name,
      type: 'numeric',
      min: -4,
      max: 4,
      mean: 0,
      std: 1,
      integer: false,
      missing: 0,
    });
    const col = new Float64Array(rows);
    for (let i = 0; i < rows; i++)
      col[i] = rnd.next() < 0.02 ? NaN : Math.round(rnd.normal() * 100) / 100;
    columns.push(col);
  }
  for (let j = 0; j < 10; j++) {
    const name = `c${j}`;
    specs.push({ name, type: 'categorical', levels });
    schemaFeatures.push({ name, type: 'categorical', levels, missing: 0 });
    const col = new Int32Array(rows);
    for (let i = 0; i < rows; i++) col[i] = rnd.next() < 0.02 ? -1 : rnd.int(levels.length);
    columns.push(col);
  }
  const classes = ['p', 'q', 'r'];
  const targets = new Float64Array(rows * 3);
  for (let i = 0; i < rows; i++) {
    const x = (j: number): number => {
      const v = columns[j]![i]!;
      return Number.isNaN(v) ? 0 : v;
    };
    const logits = [
      x(0) * x(1) + (x(10) < 3 ? 1 : 0) + 0.5 * x(4),
      Math.sin(x(2) * 2) * 2 - (x(11) === 5 ? 1 : 0) + x(5) * x(6),
      0.4 * (x(12) % 3) + x(3) - x(7) + rnd.normal() * 0.3,
    ];
    const m = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - m));
    const s = e.reduce((a, b) => a + b, 0);
    for (let k = 0; k < 3; k++) targets[i * 3 + k] = e[k]! / s;
  }
  const data: TrainingColumns = { features: specs, columns, targets, classes };
  const tree = growTree(data, { maxLeaves: 256 });
  const schema: Schema = {
    format: 'neurules.schema',
    version: 1,
    target: 'y',
    features: schemaFeatures,
    classes,
    rows,
  };
  const ruleSet = compileTree(tree, schema, 'synthetic-256');
  const records: DataRecord[] = [];
  for (let i = 0; i < rows; i++) {
    const record: DataRecord = {};
    specs.forEach((f, j) => {
      const v = columns[j]![i]!;
      record[f.name] =
        f.type === 'numeric' ? (Number.isNaN(v) ? null : v) : v < 0 ? null : levels[v]!;
    });
    records.push(record);
  }
  return { ruleSet, records };
}

/** Every record's events and decision, compared; throws on the first difference. */
async function checkIdentical(
  engine: Engine,
  reference: RuleEngine,
  compiled: CompiledRules,
  records: DataRecord[],
  traced: number,
): Promise<void> {
  for (const [i, record] of records.entries()) {
    const { events } = await engine.run({ ...record });
    const mine = compiled.run(record).events;
    if (JSON.stringify(events) !== JSON.stringify(mine)) {
      throw new Error(`record ${i}: events differ`);
    }
    if (i < traced) {
      const trace = await reference.trace(record);
      if (JSON.stringify(trace) !== JSON.stringify(compiled.trace(record))) {
        throw new Error(`record ${i}: traces differ`);
      }
    }
    if (compiled.decide(record).ruleId !== ruleIdOf(events)) {
      throw new Error(`record ${i}: decisions differ`);
    }
  }
}

interface CaseResult {
  /** Median over rounds of json-rules-engine's time per decision / compiled `decide`'s. */
  ratio: number;
}

/** A timed task: `count` decisions per round. */
interface Task {
  name: string;
  count: number;
  run(count: number): void | Promise<void>;
  /** Seconds per decision in each round. */
  rounds: number[];
}

const ROUNDS = 10;

/**
 * Run the tasks in turn, ROUNDS times, so that the drift of a shared machine (CPU frequency,
 * neighbours) reaches every engine alike and rounds next to each other can be compared.
 */
async function interleave(tasks: Task[]): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    for (const task of tasks) {
      const start = process.hrtime.bigint();
      await task.run(task.count);
      task.rounds.push(seconds(start) / task.count);
    }
  }
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function benchCase(
  title: string,
  ruleSet: RuleSet,
  records: DataRecord[],
  jrePerRound: number,
  compiledPerRound: number,
): Promise<CaseResult> {
  process.stdout.write(
    `## ${title}: ${ruleSet.rules.length} rules, ${records.length} records cycled\n\n`,
  );
  const engine = new Engine(structuredClone(ruleSet.rules));
  const reference = new RuleEngine(structuredClone(ruleSet));
  const compiled = compileRuleSet(ruleSet);
  const traced = Math.min(records.length, 1000, jrePerRound * 2);
  await checkIdentical(engine, reference, compiled, records, traced);
  process.stdout.write(
    `decisions and events identical on all ${records.length} records, traces on the first ${traced}\n`,
  );

  const n = records.length;
  let sink = 0;
  const cursors = { ruleEngine: 0, decide: 0, run: 0, trace: 0 };
  const task = (name: string, count: number, run: Task['run']): Task => ({
    name,
    count,
    run,
    rounds: [],
  });
  const jreIds: unknown[] = [];
  const jre = task('json-rules-engine `engine.run`', jrePerRound, async (count) => {
    for (let i = 0; i < count; i++) {
      const { events } = await engine.run({ ...records[jreIds.length % n]! });
      jreIds.push(ruleIdOf(events));
    }
  });
  const ruleEngine = task(
    'json-rules-engine via RuleEngine.decide',
    jrePerRound / 2,
    async (count) => {
      for (let i = 0; i < count; i++)
        sink += (await reference.decide(records[cursors.ruleEngine++ % n]!)).support;
    },
  );
  const decide = task('compiled `decide`', compiledPerRound, (count) => {
    for (let i = 0; i < count; i++) sink += compiled.decide(records[cursors.decide++ % n]!).support;
  });
  const run = task('compiled `run` (every event)', compiledPerRound / 2, (count) => {
    for (let i = 0; i < count; i++) sink += compiled.run(records[cursors.run++ % n]!).events.length;
  });
  const trace = task('compiled `trace` (decision + explanation)', compiledPerRound / 4, (count) => {
    for (let i = 0; i < count; i++) {
      sink += compiled.trace(records[cursors.trace++ % n]!).conditions.length;
    }
  });
  const tasks = [jre, ruleEngine, decide, run, trace];
  // Warm-up (JIT), then the interleaved rounds.
  for (const t of tasks) await t.run(Math.min(t.count, 500));
  jreIds.length = 0;
  await interleave(tasks);
  // The decisions json-rules-engine made while timed are the compiled evaluator's too.
  jreIds.forEach((id, i) => {
    if (compiled.decide(records[i % n]!).ruleId !== id) throw new Error(`decision ${i} differs`);
  });
  if (sink === 0) process.stdout.write('\n');

  process.stdout.write(
    '\n| engine | decisions timed | decisions/s | µs/decision |\n|---|---:|---:|---:|\n',
  );
  for (const t of tasks) {
    const per = median(t.rounds);
    process.stdout.write(
      `| ${t.name} | ${(t.count * ROUNDS).toLocaleString('en')} | ${rate(1, per).replace(' decisions/s', '')} | ${(per * 1e6).toFixed(3)} |\n`,
    );
  }
  const byRound = (a: Task, b: Task): number[] => a.rounds.map((x, r) => x / b.rounds[r]!);
  const ratios = byRound(jre, decide);
  const explanation = median(byRound(trace, decide));
  const ratio = median(ratios);
  process.stdout.write(
    `\n(medians of ${ROUNDS} interleaved rounds) compiled decide is ${Math.round(ratio).toLocaleString('en')}× ` +
      `json-rules-engine (rounds: ${Math.round(Math.min(...ratios))}–${Math.round(Math.max(...ratios))}×); ` +
      `asking for the explanation (trace) costs ${explanation.toFixed(1)}× a bare decision ` +
      `(+${((median(trace.rounds) - median(decide.rounds)) * 1e9).toFixed(0)} ns per decision)\n\n`,
  );
  return { ratio };
}

async function main(): Promise<void> {
  process.stdout.write(
    `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, node ${process.version}\n\n`,
  );
  const loc = {
    modelsDir: path.join(ROOT, 'models'),
    rulesDir: path.join(ROOT, 'rules'),
    name: 'german-credit',
  };
  const ruleSet = loadRuleSet(loc);
  const { schema } = loadModelFiles(loc);
  const { records } = readRecords(path.join(ROOT, 'data/german-credit.csv'), schema);
  const german = await benchCase('German credit', ruleSet, records, 500, 200_000);

  if (process.argv.includes('--quick')) {
    process.stdout.write('synthetic 256-rule set: skipped (--quick)\n\n');
    process.stdout.write(`ratio ${Math.round(german.ratio)}\n`);
    return;
  }
  const synthetic = syntheticRuleSet(2000, 11);
  await benchCase(
    'Synthetic 256-leaf tree, 20 features',
    synthetic.ruleSet,
    synthetic.records,
    100,
    20_000,
  );

  process.stdout.write(`ratio ${Math.round(german.ratio)}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}

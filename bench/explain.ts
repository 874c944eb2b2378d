/**
 * Explanation bench: what principal reasons and counterfactuals cost on top of a decision,
 * and what they find, on the committed German credit model with its shipped overrides.
 *
 *   npm run bench:explain
 *
 * Every record of data/german-credit.csv is explained with the compiled evaluator as the
 * tracer, three ways, in 5 interleaved rounds (medians reported): a bare `decide`,
 * `explainDecision` without the schema (rule, conditions, override note) and with it
 * (+ principal reasons and up to 3 counterfactuals, each verified by running the rules).
 * The one-off cost of the rule regions (computed once per rule set, then cached) is timed
 * separately. Then, for all records: how many features the first counterfactual changes,
 * and how many records have none (with the schema's immutable marks).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModelFiles, loadRuleSet } from '../src/artifacts/model-store';
import { readRecords } from '../src/data/read-records';
import { compileRuleSet } from '../src/engine/compiled-rules';
import { explainDecision } from '../src/engine/explain-decision';
import { loadOverrides, mergeOverrides } from '../src/overrides/merge-overrides';
import { ruleRegions } from '../src/regions/rule-regions';

const ROOT = path.join(__dirname, '..', '..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
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
  const { schema } = loadModelFiles(loc);
  const overrides = loadOverrides(path.join(loc.rulesDir, 'german-credit', 'overrides'), schema);
  const ruleSet = mergeOverrides(loadRuleSet(loc), overrides, schema);
  const compiled = compileRuleSet(ruleSet);
  const { records } = readRecords(path.join(ROOT, 'data/german-credit.csv'), schema);

  let t = process.hrtime.bigint();
  const regions = ruleRegions(ruleSet, schema);
  const regionMs = Number(process.hrtime.bigint() - t) / 1e6;
  const boxes = regions.reduce((s, r) => s + r.decides.length, 0);

  const rounds = { decide: [] as number[], bare: [] as number[], full: [] as number[] };
  let sink = 0;
  for (let round = 0; round < 6; round++) {
    t = process.hrtime.bigint();
    for (const r of records) sink += compiled.decide(r).support;
    const decide = Number(process.hrtime.bigint() - t) / records.length;
    t = process.hrtime.bigint();
    for (const r of records) sink += (await explainDecision(compiled, r)).rule.conditions.length;
    const bare = Number(process.hrtime.bigint() - t) / records.length;
    t = process.hrtime.bigint();
    for (const r of records)
      sink += (await explainDecision(compiled, r, undefined, { schema })).counterfactuals!.length;
    const full = Number(process.hrtime.bigint() - t) / records.length;
    if (round === 0) continue; // warm-up
    rounds.decide.push(decide);
    rounds.bare.push(bare);
    rounds.full.push(full);
  }

  const features = new Map<number, number>();
  let changedOnlyMutable = 0;
  for (const r of records) {
    const e = await explainDecision(compiled, r, undefined, { schema });
    const k = e.counterfactuals![0]?.changes.length ?? 0;
    features.set(k, (features.get(k) ?? 0) + 1);
    if (
      e.counterfactuals!.every((c) =>
        c.changes.every((x) => !schema.features.find((f) => f.name === x.feature)!.immutable),
      )
    )
      changedOnlyMutable++;
  }

  const us = (ns: number) => (ns / 1000).toFixed(1);
  process.stdout.write(
    [
      `German credit: ${ruleSet.rules.length} rules (${overrides.length} overrides), ${records.length} records, compiled tracer`,
      `rule regions, once per rule set: ${regionMs.toFixed(1)} ms (${boxes} boxes)`,
      '',
      '| step | µs per record (median of 5 rounds) |',
      '| --- | ---: |',
      `| compiled \`decide\` | ${us(median(rounds.decide))} |`,
      `| \`explainDecision\` without schema (rule, conditions, override note) | ${us(median(rounds.bare))} |`,
      `| \`explainDecision\` with schema (+ principal reasons, ≤ 3 verified counterfactuals) | ${us(median(rounds.full))} |`,
      '',
      `first counterfactual changes: ${[...features.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([k, n]) => (k === 0 ? `none found ${n}` : `${k} feature${k > 1 ? 's' : ''} ${n}`))
        .join(', ')} (of ${records.length} records)`,
      `counterfactuals touching an immutable feature: ${records.length - changedOnlyMutable} records (must be 0)`,
      `(checksum ${sink})`,
      '',
    ].join('\n'),
  );
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}

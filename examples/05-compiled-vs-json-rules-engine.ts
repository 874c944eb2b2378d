/**
 * 05: the rule file is plain json-rules-engine data: a plain `new Engine(ruleSet.rules)`
 * makes the same decisions as neurules' compiled evaluator, which is much faster.
 *
 *   npm run example -- 05-compiled-vs-json-rules-engine
 *
 * Uses the committed German credit rules (rules/german-credit/distilled.rules.json), read
 * only, on the 1000 records of data/german-credit.csv.
 */
import { Engine } from 'json-rules-engine';
import {
  compileRuleSet,
  loadModelFiles,
  loadRuleSet,
  readRecords,
  type DecisionParams,
} from 'neurules';

export async function main(): Promise<{ records: number; same: number }> {
  const location = { modelsDir: 'models', rulesDir: 'rules', name: 'german-credit' };
  const { schema } = loadModelFiles(location);
  const ruleSet = loadRuleSet(location);
  const { records } = readRecords('data/german-credit.csv', schema);

  // json-rules-engine itself: exactly one distilled rule fires for any record.
  const engine = new Engine(ruleSet.rules);
  let started = performance.now();
  const plain: DecisionParams[] = [];
  for (const record of records) {
    const { events } = await engine.run({ ...record });
    plain.push(events[0]!.params as DecisionParams);
  }
  const plainMs = performance.now() - started;

  // The same JSON compiled once into a synchronous evaluator.
  const compiled = compileRuleSet(ruleSet);
  started = performance.now();
  const fast = records.map((record) => compiled.decide(record));
  const compiledMs = performance.now() - started;

  const same = fast.filter(
    (d, i) => d.class === plain[i]!.class && d.ruleId === plain[i]!.ruleId,
  ).length;
  console.log(`${same} of ${records.length} records: the same rule and class from both`);
  console.log(`json-rules-engine: ${plainMs.toFixed(0)} ms; compiled: ${compiledMs.toFixed(1)} ms`);
  const first = records[0]!;
  console.log(`first record: ${fast[0]!.class} by rule ${fast[0]!.ruleId}; its event:`);
  console.log(JSON.stringify(compiled.run(first).events[0]));
  return { records: records.length, same };
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}

/**
 * 01: build a model from a CSV file, read its rules, and decide with them.
 *
 *   npm run example -- 01-build-and-decide
 *
 * Trains a small network on data/iris.csv, distils it into json-rules-engine rules and
 * decides one flower with them. Everything is written into a temporary directory, which
 * is removed at the end.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildModel, describeRule, openModel, type Decision } from 'neurules';

export async function main(): Promise<{ rules: number; fidelity: number; decision: Decision }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-example-'));
  const location = {
    modelsDir: path.join(dir, 'models'),
    rulesDir: path.join(dir, 'rules'),
    name: 'iris',
  };
  try {
    const built = await buildModel({
      data: 'data/iris.csv',
      ...location,
      maxRules: 6,
      // The small network trains in a few seconds on TensorFlow.js's plain JavaScript backend.
      backend: 'cpu',
      training: { hidden: [16], epochs: 40, patience: 10, learningRate: 0.01 },
    });
    const { metrics } = built;
    console.log(
      `built '${built.name}' in ${built.seconds.toFixed(1)} s: ${metrics.ruleCount} rules; ` +
        `on the test split the network is right ${pct(metrics.teacherAccuracy)}, the rules ` +
        `${pct(metrics.rulesAccuracy)}, and the rules agree with the network ${pct(metrics.fidelity)}`,
    );
    for (const rule of built.ruleSet.rules) console.log(`  ${rule.name}  ${describeRule(rule)}`);

    // The rule file is plain json-rules-engine data; openModel runs it.
    const model = await openModel(location);
    const flower = { sepal_length: 6.9, sepal_width: 3.1, petal_length: 5.8, petal_width: 2.2 };
    const decision = await model.engine.decide(flower);
    console.log(
      `decision for ${JSON.stringify(flower)}: ${decision.class} (rule ${decision.ruleId})`,
    );
    return { rules: metrics.ruleCount, fidelity: metrics.fidelity, decision };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}

/**
 * 02: explain one decision: the rule that fired, the network's view, the principal
 * reasons and the counterfactuals, each of which the rules confirm.
 *
 *   npm run example -- 02-explain-a-decision
 *
 * Uses the committed German credit model (models/german-credit, rules/german-credit),
 * read only.
 */
import {
  explainDecision,
  formatExplanation,
  openModel,
  readRecords,
  type Explanation,
} from 'neurules';

export async function main(): Promise<Explanation> {
  const location = { modelsDir: 'models', rulesDir: 'rules', name: 'german-credit' };
  const model = await openModel(location, { teacher: true, backend: 'cpu' });
  const teacher = model.teacher!;
  try {
    // The second applicant of the data file, checked against the model's schema.
    const applicant = readRecords('data/german-credit.csv', model.schema).records[1]!;
    const explanation = await explainDecision(
      model.engine,
      applicant,
      teacher.predictProbaFlat([applicant]),
      { schema: model.schema }, // reasons and counterfactuals need the schema
    );
    console.log(formatExplanation(explanation));

    // A counterfactual is advice: apply its changes and the rules decide its class.
    for (const counterfactual of explanation.counterfactuals ?? []) {
      const changed = { ...applicant };
      for (const change of counterfactual.changes) changed[change.feature] = change.to;
      const decision = await model.engine.decide(changed);
      const what = counterfactual.changes.map((c) => `${c.feature} = ${c.to}`).join(', ');
      console.log(`with ${what}: the rules decide ${decision.class} (rule ${decision.ruleId})`);
    }
    return explanation;
  } finally {
    teacher.dispose();
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}

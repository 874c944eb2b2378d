/**
 * 03: expert overrides, as in docs/overrides.md step by step: write one in YAML, lint it
 * (validation, then conflicts, shadowed, dead and redundant overrides), run its examples,
 * see it decide, and measure what it changes on the held-out data.
 *
 *   npm run example -- 03-overrides
 *
 * Works on a copy of the committed German credit model in a temporary directory (the
 * override file is added there, never to rules/), removed at the end.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  formatImpactTable,
  formatLint,
  lintModelOverrides,
  loadModelData,
  measureImpact,
  openModel,
  testOverrides,
  type Decision,
  type ModelImpact,
  type OverridesLint,
} from 'neurules';

/** An override as a domain expert writes it, with a typo; `example` is a whole record. */
const policy = (example: object, feature = 'agee') => `# Term policy of the credit committee.
- id: young-long-loans
  description: Applicants under 25 asking for more than three years are declined.
  when:
    ${feature}: { '<': 25 }
    duration: { '>': 36 }
  then: { class: bad }
  priority: 90
  reason: Term limit for young applicants
  owner: credit-committee
  examples:
    - input: ${JSON.stringify(example)}
      expect: bad
`;

export async function main(): Promise<{
  problems: OverridesLint;
  lint: OverridesLint;
  passed: number;
  decision: Decision;
  impact: ModelImpact;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-example-'));
  try {
    for (const part of ['models', 'rules'])
      fs.cpSync(path.join(part, 'german-credit'), path.join(dir, part, 'german-credit'), {
        recursive: true,
      });
    const location = {
      modelsDir: path.join(dir, 'models'),
      rulesDir: path.join(dir, 'rules'),
      name: 'german-credit',
    };
    const file = path.join(dir, 'rules', 'german-credit', 'overrides', 'term-policy.yaml');
    // Places in the temporary copy, printed as they would be in the repository.
    const show = (lines: string[]) => {
      for (const line of lines) console.log(line.split(dir + path.sep).join(''));
    };
    // A young applicant asking for four years: a held-out record, changed.
    const applicant = { ...loadModelData(location).test.records[0]!, age: 22, duration: 48 };

    // 1. Lint: every validation problem with its place; a bad file is never partly applied.
    fs.writeFileSync(file, policy(applicant));
    const problems = await lintModelOverrides(location);
    show(formatLint(problems));

    // 2. Fixed, lint analyses the overrides together (warnings here: the shipped
    //    safeguards match no training record). Example records are left out of the print.
    fs.writeFileSync(file, policy(applicant, 'age'));
    const lint = await lintModelOverrides(location);
    show(formatLint(lint).filter((line) => !line.startsWith('  example: ')));

    // 3. Its example, and the others, decide as they expect.
    const examples = await testOverrides(location);
    console.log(`rules test: ${examples.passed} passed, ${examples.failed} failed`);

    // 4. It decides above the distilled rules.
    const model = await openModel(location);
    const decision = await model.engine.decide(applicant);
    console.log(`age 22, 48 months: ${decision.class} (${decision.source} ${decision.ruleId})`);

    // 5. What it changes on the build's held-out test split.
    const impact = await measureImpact(location, { backend: 'cpu' });
    console.log(formatImpactTable(impact));
    return { problems, lint, passed: examples.passed, decision, impact };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}

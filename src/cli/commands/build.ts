import { type Command, Option } from 'commander';
import type { BackendChoice } from '../../teacher/backend-choice';
import {
  backendOption,
  type CliIO,
  given,
  parseList,
  parseMonotone,
  parseTypes,
  repeatable,
  wholeNumber,
  withDirs,
} from '../options';
import { buildReporter } from '../progress';

/** `neurules build`: train, distil, measure and write a model and its rule set. */
export function registerBuild(program: Command, io: CliIO): void {
  withDirs(
    program
      .command('build')
      .description(
        'train a network on a CSV file, distil it into rules, and write the model and rule set',
      )
      .requiredOption('--data <file.csv>', 'training data with a header row')
      .option(
        '--test <file.csv>',
        'a labelled test file with the same columns to measure on, instead of holding out 30% of --data (every row of --data then trains)',
      )
      .option('--target <column>', 'class column (default: the last column)')
      .option('--name <name>', "model name (default: the data file's base name)")
      .option(
        '--max-rules <n>',
        'most rules in the distilled rule set',
        wholeNumber('--max-rules', 1),
        16,
      )
      .option(
        '--seed <n>',
        'seed of the split, the network and distillation',
        wholeNumber('--seed', 0),
        42,
      )
      .addOption(backendOption('TensorFlow.js backend'))
      .option('--type <column=type,...>', 'force column types (numeric or categorical)', parseTypes)
      .addOption(
        new Option(
          '--learner <name>',
          'tree learner: neurules (soft labels from the network) or ml-cart (hard labels, real records only; the reference)',
        )
          .choices(['neurules', 'ml-cart'])
          .default('neurules'),
      )
      .addOption(
        new Option(
          '--sampling <how>',
          'synthetic records labelled by the network: none, perturb, nodes, or auto (tries each, keeps the best on the validation split)',
        )
          .choices(['auto', 'none', 'perturb', 'nodes'])
          .default('auto'),
      )
      .option(
        '--samples <n>',
        'synthetic records to draw (default: 20 per training record, between 2,000 and 50,000)',
        wholeNumber('--samples', 1),
      )
      .option('--no-simplify', 'keep the pruned tree as it is: no merging, raising or rounding')
      .addOption(
        new Option(
          '--teacher-shaping <how>',
          'auto: train the network further toward the rules, distil again, and keep that only if validation accuracy holds (within 0.005) and balanced fidelity rises; off: never',
        )
          .choices(['auto', 'off'])
          .default('auto'),
      )
      .addOption(
        new Option(
          '--refit <how>',
          'on: once the validation split has chosen the epochs and teacher shaping, train the final network again on train and validation together; off: keep the network trained on the training split alone',
        )
          .choices(['on', 'off'])
          .default('on'),
      )
      .addOption(
        new Option(
          '--selection <how>',
          'how the epochs and teacher shaping are chosen: holdout (a 15% validation split), kfold (cross-validation on every training row, then the network trains on all of them), or auto (kfold when a validation split would hold fewer than 50 rows)',
        )
          .choices(['auto', 'holdout', 'kfold'])
          .default('auto'),
      )
      .option(
        '--epochs <n>',
        "the network's epoch limit (default 200; early stopping or cross-validation chooses how many of them to keep)",
        wholeNumber('--epochs', 1),
      )
      .option(
        '--folds <n>',
        'folds of k-fold cross-validation (default 5; fewer when a class has fewer rows)',
        wholeNumber('--folds', 2),
      )
      .addOption(
        new Option(
          '--class-weights <how>',
          "weighting of the classes in the network's loss: none, balanced (every class counts as much), or auto (balanced when the rarest class has under half an even share of the rows)",
        )
          .choices(['auto', 'none', 'balanced'])
          .default('auto'),
      )
      .option(
        '--immutable <feature,...>',
        'mark features immutable in the schema (counterfactuals never change them)',
        parseList,
      )
      .option(
        '--protected <feature,...>',
        'mark features protected in the schema (audit reports fairness by their groups)',
        parseList,
      )
      .option(
        '--monotone <feature=increasing|decreasing,...>',
        'mark numeric features monotone in the schema (counterfactuals only move them this way)',
        parseMonotone,
      )
      .option(
        '--concept <name=columns>',
        'a concept a perception network reads from raw inputs: NAME is the column of its labels, COLUMNS a glob over column names (px_*), a comma list, or one column of image file names; the rules see NAME and NAME_confidence, never the raw columns (repeatable)',
        repeatable,
      )
      .option(
        '--concept-shape <name=HxW>',
        "a concept's image shape: of its pixel columns (when their names do not imply it), or the size its image files are read at (repeatable)",
        repeatable,
      )
      .option(
        '--discard-edits',
        'build even when the distilled rule file holds a hand edit that was not accepted (refused otherwise); the edited file is kept beside the new one',
      ),
  ).action(async (o) => {
    const { buildModel } = await import('../../pipeline/build-model');
    const { formatConceptConfusion, formatMetricsTable } = await import('../../audit/metrics');
    const result = await buildModel({
      data: o.data,
      ...given('target', o.target as string | undefined),
      ...given('name', o.name as string | undefined),
      ...given('types', o.type as Record<string, 'numeric' | 'categorical'> | undefined),
      ...given('immutable', o.immutable as string[] | undefined),
      ...given('protected', o.protected as string[] | undefined),
      ...given('monotone', o.monotone as Record<string, 'increasing' | 'decreasing'> | undefined),
      maxRules: o.maxRules,
      seed: o.seed,
      distill: {
        learner: o.learner,
        sampling: o.sampling,
        simplify: o.simplify,
        ...given('samples', o.samples as number | undefined),
      },
      teacherShaping: o.teacherShaping as 'auto' | 'off',
      refit: o.refit as 'on' | 'off',
      selection: o.selection as 'auto' | 'holdout' | 'kfold',
      ...given('folds', o.folds as number | undefined),
      training: {
        classWeighting: o.classWeights as 'auto' | 'none' | 'balanced',
        ...given('epochs', o.epochs as number | undefined),
      },
      ...given('test', o.test as string | undefined),
      ...given('concepts', o.concept as string[] | undefined),
      ...given('conceptShapes', o.conceptShape as string[] | undefined),
      backend: o.backend as BackendChoice,
      discardEdits: o.discardEdits === true,
      modelsDir: o.modelsDir,
      rulesDir: o.rulesDir,
      onProgress: buildReporter(io.stderr, io.isTTY),
    });
    io.stdout.write(
      `\nmodel '${result.name}' (${result.seconds.toFixed(1)} s)\n${formatMetricsTable(result.metrics)}\n`,
    );
    const confusion = formatConceptConfusion(result.metrics);
    if (confusion) io.stdout.write(`\n${confusion}\n`);
    if (result.keptEditedRules) {
      io.stderr.write(
        `warning: ${result.rulesFile} held rules other than those committed with the model (a hand edit that was not accepted, or a file that could not be checked); the build replaced it and kept it as ${result.keptEditedRules}\n`,
      );
    }
  });
}

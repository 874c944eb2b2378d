/**
 * MONK's problems (Thrun et al., "The MONK's Problems: a performance comparison of different
 * learning algorithms", CMU-CS-91-197, 1991), generated from their published definitions
 * rather than read from the UCI files: six categorical attributes, 432 possible records,
 * a seeded training sample of the published size, and the whole space as the test.
 *
 * The attributes' levels are digits, as in the published files; `types` forces them
 * categorical, as a user would (`build --type a1=categorical,...`), since read alone they
 * would be numbers.
 */
import { createRandom } from '../../src/random';
import {
  flipLabels,
  type CategoricalColumn,
  type KnownTask,
  type LabelledRecords,
  type TaskRecord,
} from './known-task';

/** The six attributes and their levels. */
export const MONK_ATTRIBUTES: readonly CategoricalColumn[] = [
  { name: 'a1', type: 'categorical', levels: ['1', '2', '3'] },
  { name: 'a2', type: 'categorical', levels: ['1', '2', '3'] },
  { name: 'a3', type: 'categorical', levels: ['1', '2'] },
  { name: 'a4', type: 'categorical', levels: ['1', '2', '3'] },
  { name: 'a5', type: 'categorical', levels: ['1', '2', '3', '4'] },
  { name: 'a6', type: 'categorical', levels: ['1', '2'] },
];

/** A MONK problem: its concept, published training size and training label noise. */
interface MonkProblem {
  logic: string;
  concept(r: TaskRecord): boolean;
  trainRows: number;
  noise: number;
}

/** The three problems as published. */
export const MONK_PROBLEMS: Readonly<Record<'monk1' | 'monk2' | 'monk3', MonkProblem>> = {
  monk1: {
    logic: '(a1 = a2) or (a5 = 1)',
    concept: (r) => r.a1 === r.a2 || r.a5 === '1',
    trainRows: 124,
    noise: 0,
  },
  monk2: {
    logic: 'exactly two attributes take their first value',
    concept: (r) => MONK_ATTRIBUTES.filter((a) => r[a.name] === a.levels[0]).length === 2,
    trainRows: 169,
    noise: 0,
  },
  monk3: {
    logic: '(a5 = 3 and a4 = 1) or (a5 ≠ 4 and a2 ≠ 3), 5% training label noise',
    concept: (r) => (r.a5 === '3' && r.a4 === '1') || (r.a5 !== '4' && r.a2 !== '3'),
    trainRows: 122,
    noise: 0.05,
  },
};

/** The MONK problem names. */
export type MonkName = keyof typeof MONK_PROBLEMS;

/** All 432 records of the MONK attribute space, in the published files' order (a1 slowest). */
export function monkSpace(): TaskRecord[] {
  let records: TaskRecord[] = [{}];
  for (const a of MONK_ATTRIBUTES)
    records = records.flatMap((r) => a.levels.map((level) => ({ ...r, [a.name]: level })));
  return records;
}

/**
 * One MONK problem as a {@link KnownTask}: a training sample of the published size drawn
 * without replacement from the 432 records with `seed` (labels flipped at the problem's
 * noise rate), and all 432 noise-free as both the test and the uniform sample. Class '1'
 * is the concept, '0' its negation.
 */
export function monkTask(name: MonkName, seed: number): KnownTask {
  const problem = MONK_PROBLEMS[name];
  const classify = (r: TaskRecord): string => (problem.concept(r) ? '1' : '0');
  const classes = ['0', '1'];
  const space = monkSpace();
  const all: LabelledRecords = { records: space, labels: space.map(classify) };
  const rnd = createRandom(seed);
  const sample = rnd.shuffle([...space]).slice(0, problem.trainRows);
  const labels = flipLabels(sample.map(classify), classes, problem.noise, rnd);
  return {
    name,
    logic: problem.logic,
    columns: MONK_ATTRIBUTES.map((a) => ({ ...a, levels: [...a.levels] })),
    target: 'class',
    classes,
    classify,
    train: { records: sample, labels },
    test: all,
    uniform: all,
    noise: problem.noise,
    types: Object.fromEntries(MONK_ATTRIBUTES.map((a) => [a.name, 'categorical' as const])),
  };
}

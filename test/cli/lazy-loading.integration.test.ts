import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../helpers/run-cli';

// Which heavy packages a command loads: each factory notes its package, then loads it.
const loaded = new Set<string>();
jest.mock('@tensorflow/tfjs', () => {
  loaded.add('@tensorflow/tfjs');
  return jest.requireActual('@tensorflow/tfjs');
});
jest.mock('fastify', () => {
  loaded.add('fastify');
  return jest.requireActual('fastify');
});
jest.mock('json-rules-engine', () => {
  loaded.add('json-rules-engine');
  return jest.requireActual('json-rules-engine');
});
jest.mock('prom-client', () => {
  loaded.add('prom-client');
  return jest.requireActual('prom-client');
});

const root = path.join(__dirname, '..', '..');
const committed = [
  '--models-dir',
  path.join(root, 'models'),
  '--rules-dir',
  path.join(root, 'rules'),
];

// A package is loaded once per test file: the first test to load it is the one that sees it.
describe('commands load only what they run', () => {
  beforeEach(() => loaded.clear());

  it('a compiled predict does not load json-rules-engine either', async () => {
    const input = path.join(root, 'data', 'german-credit.csv');
    const out = path.join(os.tmpdir(), `neurules-lazy-${process.pid}.jsonl`);
    const r = await runCli([
      'predict',
      '--model',
      'german-credit',
      '--input',
      input,
      '--output',
      out,
      ...committed,
    ]);
    expect(r.code).toBe(0);
    expect([...loaded]).toEqual([]);
    const reference = await runCli([
      'predict',
      '--model',
      'german-credit',
      '--input',
      input,
      '--output',
      out,
      '--engine',
      'json-rules-engine',
      ...committed,
    ]);
    expect(reference.code).toBe(0);
    expect([...loaded]).toEqual(['json-rules-engine']);
  });

  it.each([
    ['--help', ['--help']],
    ['--version', ['--version']],
    [
      'predict',
      [
        'predict',
        '--model',
        'german-credit',
        '--input',
        path.join(root, 'data', 'german-credit.csv'),
        '--output',
        path.join(os.tmpdir(), `neurules-lazy-${process.pid}.jsonl`),
        ...committed,
      ],
    ],
    ['rules lint', ['rules', 'lint', '--model', 'german-credit', ...committed]],
    ['rules test', ['rules', 'test', '--model', 'german-credit', ...committed]],
  ])('%s loads neither TensorFlow.js nor the HTTP server', async (_name, args) => {
    const r = await runCli(args);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    expect([...loaded].filter((p) => p !== 'json-rules-engine')).toEqual([]);
  });

  it('export loads neither (German credit has categorical features: ml-cart refuses them)', async () => {
    const r = await runCli(['export', '--model', 'german-credit', ...committed]);
    expect(r.stderr).toMatch(/^error INVALID_ARGUMENT \[checking_status\]/m);
    expect([...loaded].filter((p) => p !== 'json-rules-engine')).toEqual([]);
  });

  it('explain loads TensorFlow.js, for the network (so the check above can fail)', async () => {
    const r = await runCli([
      'explain',
      '--model',
      'german-credit',
      '--input',
      path.join(root, 'data', 'german-credit.csv'),
      '--row',
      '2',
      '--backend',
      'cpu',
      ...committed,
    ]);
    expect(r.code).toBe(0);
    // (json-rules-engine, which explain loads too, was loaded by an earlier test of this file.)
    expect([...loaded]).toContain('@tensorflow/tfjs');
  });
});

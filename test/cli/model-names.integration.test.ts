import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/main';
import { runCli } from '../helpers/run-cli';

// `--model` takes the same names as `build --name`: a plain folder name, never a path, so
// no command reads (or a service reports) a model outside --models-dir.
describe('--model', () => {
  it.each([
    ['predict', ['predict', '--input', 'data/iris.csv']],
    ['explain', ['explain', '--input', 'data/iris.csv', '--row', '2']],
    ['audit', ['audit', '--out', 'never-written.md']],
    ['export', ['export']],
    ['rules lint', ['rules', 'lint']],
    ['rules test', ['rules', 'test']],
    ['rules impact', ['rules', 'impact']],
    ['rules accept', ['rules', 'accept']],
    ['serve', ['serve', '--port', '0']],
  ])('%s refuses a path as a model name (INVALID_ARGUMENT on field model)', async (_, args) => {
    for (const name of ['../../elsewhere/x', '/tmp/x', '..']) {
      const r = await runCli([...args, '--model', name]);
      expect(r.code).toBe(EXIT.usage);
      expect(r.stderr).toMatch(/^error INVALID_ARGUMENT \[model\] /m);
    }
    // Refused before anything is made: no folder appears where the path points.
    expect(fs.existsSync(path.resolve('models', '../../elsewhere'))).toBe(false);
    expect(fs.existsSync(path.resolve('models', 'tmp'))).toBe(false);
  });
});

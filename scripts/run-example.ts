/**
 * Run one of the numbered examples, compiled to build/ by `npm run example`:
 *
 *   npm run example -- 01-build-and-decide   # or just: npm run example -- 01
 *
 * The examples import the library by its package name, `neurules`, as a user's code
 * would. tsc maps that name to src/index.ts (tsconfig.examples.json `paths`); at run time
 * Node finds it in build/node_modules/neurules, a one-line package written here that
 * points at the compiled build/src/index.js. Run it from the repository root (npm does):
 * the examples read data/, models/ and rules/ from there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const BUILD = path.join(__dirname, '..');

/** The compiled examples, by file name without `.js`. */
function compiledExamples(): string[] {
  return fs
    .readdirSync(path.join(BUILD, 'examples'))
    .filter((f) => /^\d\d-.+\.js$/.test(f))
    .map((f) => f.replace(/\.js$/, ''))
    .sort();
}

async function run(wanted: string | undefined): Promise<number> {
  const names = compiledExamples();
  const name = names.find((n) => wanted !== undefined && (n === wanted || n.startsWith(wanted)));
  if (!name) {
    console.error(`usage: npm run example -- NAME, where NAME is one of:\n  ${names.join('\n  ')}`);
    return 2;
  }
  const link = path.join(BUILD, 'node_modules', 'neurules');
  fs.mkdirSync(link, { recursive: true });
  fs.writeFileSync(
    path.join(link, 'index.js'),
    "module.exports = require('../../src/index.js');\n",
  );
  const example = require(path.join(BUILD, 'examples', `${name}.js`)) as {
    main: () => Promise<unknown>;
  };
  await example.main();
  return 0;
}

run(process.argv[2]?.replace(/\.ts$/, '')).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);

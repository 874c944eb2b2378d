import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The unit tier (`npm run test:unit`) stays fast because its files reach none of what the
 * other tiers are for. This reads every unit test file's imports, and those of the test
 * files and helpers it imports in turn, and names any that reach one. A file that needs
 * one is an integration test: name it `*.integration.test.ts` (see jest.config.js).
 */
const TEST = path.join(__dirname);

/** What only the integration and browser tiers may import, and why. */
const SLOW: [RegExp, string][] = [
  [/^@tensorflow\//, 'TensorFlow.js'],
  [/\/src\/teacher(\/|$)/, 'the network (TensorFlow.js)'],
  [/\/src\/pipeline\/(build-model|train-and-distill|distill-network)$/, 'network training'],
  [/\/test\/helpers\/run-cli$/, 'running CLI commands'],
  [/^(node:)?child_process$/, 'child processes'],
  [/^@duckdb\//, 'DuckDB'],
  [/\/src\/predict\/(predict-duckdb|duckdb\/)/, 'DuckDB'],
  [/^pg$/, 'PostgreSQL'],
  [/^playwright-core$/, 'Chromium'],
  [/\/examples\//, 'the examples (they train)'],
];

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** The module specifiers a file imports (static, dynamic and `require`). */
function importsOf(file: string): string[] {
  const source = fs.readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:from|import\(|require\()\s*'([^']+)'/g)].map((m) => m[1]!);
}

/** What a unit file reaches (through test files and helpers too), as `chain: reason`. */
function slowReach(file: string, root = TEST, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const found: string[] = [];
  for (const spec of importsOf(file)) {
    const resolved = spec.startsWith('.') ? path.resolve(path.dirname(file), spec) : spec;
    const slow = SLOW.find(([pattern]) => pattern.test(resolved));
    if (slow) {
      found.push(`${path.relative(root, file)} imports ${spec} (${slow[1]})`);
      continue;
    }
    // Test files and helpers are followed; src/ is judged by its own path above.
    if (spec.startsWith('.') && resolved.startsWith(root + path.sep)) {
      const local = ['.ts', '/index.ts'].map((ext) => resolved + ext).find(fs.existsSync);
      if (local) found.push(...slowReach(local, root, seen));
    }
  }
  return found;
}

const unitFiles = testFiles(TEST).filter((f) => !/\.(integration|browser)\.test\.ts$/.test(f));

describe('test tiers', () => {
  it('finds the unit files', () => {
    expect(unitFiles.length).toBeGreaterThan(30);
    expect(unitFiles).toContain(__filename);
  });

  it.each(unitFiles.map((f) => [path.relative(TEST, f), f]))(
    '%s reaches no TensorFlow, CLI command, child process, DuckDB, PostgreSQL or browser',
    (_name, file) => {
      expect(slowReach(file)).toEqual([]);
    },
  );

  it('names what a file reaches, through the helpers it imports', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-tiers-'));
    // Quoted by a variable, so that this file's own text does not import it.
    const quote = "'";
    try {
      fs.writeFileSync(
        path.join(dir, 'helper.ts'),
        `import { spawn } from ${quote}node:child_process${quote};\n`,
      );
      const file = path.join(dir, 'x.test.ts');
      fs.writeFileSync(file, "import { helper } from './helper';\n");
      expect(slowReach(file, dir)).toEqual([
        `helper.ts imports node:child_process (child processes)`,
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

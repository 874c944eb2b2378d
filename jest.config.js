/**
 * Three tiers, each a jest project (`npm test` runs them all):
 *
 * - `unit`: pure stages, no network training, no child process, no DuckDB, PostgreSQL or
 *   browser, no CLI: `npm run test:unit`, under a minute here;
 * - `integration` (`*.integration.test.ts`): TensorFlow.js training, the CLI, child
 *   processes, FIFOs, DuckDB, PostgreSQL: `npm run test:integration`;
 * - `browser` (`*.browser.test.ts`): pages in Chromium: `npm run test:browser`.
 *
 * A file's name says its tier, and `test/tiers.test.ts` checks that no unit file reaches
 * what only the other tiers may use.
 */

/** What every tier shares. */
const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
    // cookie 2 (used by fastify's inject) ships ES modules only; Node 20's jest needs CommonJS.
    '^.+/node_modules/cookie/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true }, diagnostics: false },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
  // examples/ import the library as its users do, by its package name.
  moduleNameMapper: { '^neurules$': '<rootDir>/src/index.ts' },
  // Reproducible property tests (see the file).
  setupFiles: ['<rootDir>/test/setup/fast-check.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  // Per test, in every tier: a training or a browser run may take this long on 2 cores.
  testTimeout: 120000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '\\.integration\\.test\\.ts$',
        '\\.browser\\.test\\.ts$',
      ],
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.integration.test.ts'],
    },
    {
      ...base,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/**/*.browser.test.ts'],
    },
  ],
};

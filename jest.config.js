/** @type {import('jest').Config} */
module.exports = {
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
  testTimeout: 120000,
  // Reproducible property tests (see the file).
  setupFiles: ['<rootDir>/test/setup/fast-check.ts'],
};

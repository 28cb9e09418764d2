/**
 * Jest runs the TypeScript sources as ES modules because NestJS 12 ships ESM-only packages,
 * which Jest's CommonJS loader cannot load on Node 20. Start it with
 * `node --experimental-vm-modules` (see the test scripts in package.json).
 */
module.exports = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test', '<rootDir>/migrations'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // @fastify/static, which serves Swagger UI, requires this ESM-only package from CommonJS.
    '^content-disposition$': '<rootDir>/test/support/content-disposition.cjs',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  setupFilesAfterEnv: ['<rootDir>/test/support/nest-cjs-bridge.ts'],
  testTimeout: 60000,
  // Lists, at the end of the run, the suites skipped for a missing DATABASE_URL or REDIS_URL.
  reporters: ['default', '<rootDir>/test/support/skipped-suites-reporter.cjs'],
};

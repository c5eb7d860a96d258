// Two projects: `unit` (specs beside the code, no services) and `integration` (test/, real
// Kafka, ClickHouse and Redis started by `npm test`'s pretest step). `npm test` runs both.
const moduleNameMapper = {
  '^@app/(config|contracts|clickhouse|observability|freshness|export-core|time)$': '<rootDir>/libs/$1/src',
};
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] };

module.exports = {
  // Integration tests wait on real services (Kafka rebalances, ClickHouse restarts).
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      // deploy/: checks of the Dockerfile, compose and Kubernetes files (parsing only, no services).
      roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/deploy'],
      testMatch: ['**/*.spec.ts'],
      moduleNameMapper,
      transform,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
      moduleNameMapper,
      transform,
      globalSetup: '<rootDir>/test/global-setup.ts',
    },
  ],
};

import { defineConfig } from 'vitest/config'

// One runner for everything. Projects split by runtime, as the test/ folders do:
//  - unit: plain Node (engine, CLI, shared, native addon) and the app shell with `electron` mocked;
//  - e2e:  real Chromium through Playwright (test/renderer) and the virtual-camera VM (test/e2e).
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // the browser and VM suites run after this one, not beside it: their latency and
          // frame-rate figures must not be taken while the model tests load both cores
          sequence: { groupOrder: 0 },
          include: ['test/**/*.test.ts'],
          exclude: ['test/renderer/**', 'test/e2e/**'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 300_000,
          globalSetup: ['./test/support/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          sequence: { groupOrder: 1 },
          include: ['test/renderer/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 900_000,
          globalSetup: ['./test/support/global-setup.ts'],
        },
      },
    ],
  },
})

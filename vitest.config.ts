import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The cluster's own tests run in `npm run test:cluster` (vitest.cluster.config.ts), on a cluster they start.
    exclude: ['test/cluster/**', '**/node_modules/**'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Each file starts its own Temporal server; two at a time is what a 2-core machine carries comfortably.
    maxWorkers: 4,
  },
});

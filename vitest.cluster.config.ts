/**
 * `npm run test:cluster`: the Temporal-facing end-to-end files a second time, on the production-shaped cluster
 * (PostgreSQL, the Go-built Temporal server; `npm run cluster -- build` first), plus the cluster-only tests in
 * test/cluster/, which kill and restart parts of a cluster of their own. See docs/deployment.md.
 */
import { defineConfig } from 'vitest/config';

/**
 * End-to-end files that make sense on a shared server: each test schedules on a task queue of its own. Left out:
 * restart.e2e (it runs `npm start`'s embedded dev server on purpose), agent-executors.e2e (real runagent agents;
 * what it asks of Temporal, callbacks.e2e covers) and the files with no Temporal or the time-skipping one.
 */
export const E2E_ON_CLUSTER = [
  'test/api.e2e.test.ts',
  'test/callbacks.e2e.test.ts',
  'test/cli.e2e.test.ts',
  'test/client.e2e.test.ts',
  'test/external-workers.e2e.test.ts',
  'test/limits.e2e.test.ts',
  'test/mcp.e2e.test.ts',
  'test/observability.e2e.test.ts',
  'test/out-of-range-input.e2e.test.ts',
  'test/recurring.e2e.test.ts',
  'test/run-slots.e2e.test.ts',
  'test/ssrf.e2e.test.ts',
  'test/task-lifecycle.e2e.test.ts',
  'test/tool-catalog.test.ts',
  'test/tracing.e2e.test.ts',
  'test/visibility.e2e.test.ts',
];

export default defineConfig({
  test: {
    include: [...E2E_ON_CLUSTER, 'test/cluster/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/cluster/global-setup.ts'],
    env: { PULSE_TEST_TEMPORAL: 'cluster' },
    // Generous: a cluster-only file brings up a cluster of its own (PostgreSQL, server, workers) on a loaded
    // 2-core machine, and waits out heartbeat timeouts and a server restart.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});

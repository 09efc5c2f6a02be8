import { defineConfig } from 'vitest/config';
import LongestFirst from './test/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The cluster's own tests run in `npm run test:cluster` (vitest.cluster.config.ts), on a cluster they start.
    exclude: ['test/cluster/**', '**/node_modules/**'],
    setupFiles: ['test/setup.ts'],
    // One dev server for the run, a namespace per file (test/dev-server-setup.ts).
    globalSetup: ['test/dev-server-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // A worker process runs test files one after the other without reloading the modules they share (the Temporal
    // SDK, tsx-compiled sources): measured 227 s → 206 s for the suite, 49 s less CPU. Files keep no state in
    // modules of their own between them; test/setup.ts installs the SDK's runtime once per process.
    isolate: false,
    sequence: { sequencer: LongestFirst },
    // Eight files at a time: the longest files mostly wait on Temporal timers and real processes, and with six the
    // six longest (started first) left the cores partly idle for their first minute. Measured on the 2-core machine
    // (BENCHMARKS.md): session 12, 4 → 187 s, 6 → 147 s, 8 → 150 s; session 19, 6 → 100.8 s, 8 → 95.5 s with both
    // cores busy from start to end.
    maxWorkers: 8,
  },
});

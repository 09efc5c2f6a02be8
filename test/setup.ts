import { DefaultLogger, Runtime } from '@temporalio/worker';

// Task-level JSON logs are for operators; tests show warnings and errors only.
process.env.PULSE_LOG_LEVEL ??= 'warn';

// The SDK's INFO lines (bundle sizes, worker state changes) drown test output; warnings and errors still show.
// Once per process: a worker process runs several test files one after the other (vitest.config.ts).
const installed = Symbol.for('pulse.test.runtime-installed');
const scope = globalThis as { [installed]?: boolean };
if (!scope[installed]) {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  scope[installed] = true;
}

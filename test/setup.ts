import { DefaultLogger, Runtime } from '@temporalio/worker';

// Task-level JSON logs are for operators; tests show warnings and errors only.
process.env.PULSE_LOG_LEVEL ??= 'warn';

// The SDK's INFO lines (bundle sizes, worker state changes) drown test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

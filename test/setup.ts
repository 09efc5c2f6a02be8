import { DefaultLogger, Runtime } from '@temporalio/worker';

// The SDK's INFO lines (bundle sizes, worker state changes) drown test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

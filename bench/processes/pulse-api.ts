/** Pulse's HTTP API as `npm run api` builds it (rate limit off, 127.0.0.1 allowed), in a process of its own. */
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/api/app.js';
import { createExecutorFactory } from '../../src/executors/executor-factory.js';
import { runChild } from '../lib/child-process.js';
import { benchDestinationGuard } from '../lib/guard.js';
import { createInstantExecutor } from '../lib/instant-executor.js';

export interface PulseApiConfig {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
}

runChild<PulseApiConfig>(async (config) => {
  const connection = await Connection.connect({ address: config.address });
  const guard = benchDestinationGuard();
  const executors = createExecutorFactory({ guard }).register(createInstantExecutor());
  const app = createApp({
    client: new Client({ connection, namespace: config.namespace }),
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    executors,
    uiUrl: 'http://localhost:8233',
    apiKeys: [],
    bodyLimitBytes: 1024 * 1024,
    defaultTimezone: 'UTC',
    // The default PULSE_RATE_LIMIT (600 a minute per client) would cap a single load generator at 10 req/s.
    rateLimitPerMinute: 0,
    destinationGuard: guard,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
  });
  return {
    info: { port: (server.address() as AddressInfo).port },
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
    },
  };
});

/** Pulse's HTTP API as `npm run api` builds it (rate limit off, 127.0.0.1 allowed), in a process of its own. */
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import { createApiServices } from '../../src/main/services.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
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
  // As `npm run api` wires it, with the rate limit off: the default PULSE_RATE_LIMIT (600 a minute per client)
  // would cap a single load generator at 10 req/s.
  const app = createApp(
    createApiServices({
      config: {
        ...loadConfig({ PULSE_RATE_LIMIT: '0' }),
        namespace: config.namespace,
        taskQueue: config.taskQueue,
      },
      client: new Client({ connection, namespace: config.namespace }),
      executors,
      guard,
      metrics: createMetrics(),
      logger: createLogger({ logLevel: 'warn' }),
    }),
  );
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

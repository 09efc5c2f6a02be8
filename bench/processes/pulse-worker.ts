/**
 * Pulse's worker as `npm run worker` builds it (SSRF guard on every outbound call, the SDK's Prometheus
 * exporter, JSON logs at info), plus the instant executor, in a process of its own.
 */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createExecutorFactory } from '../../src/executors/executor-factory.js';
import { createPulseWorker } from '../../src/temporal/worker.js';
import { runChild } from '../lib/child-process.js';
import { benchDestinationGuard } from '../lib/guard.js';
import { createInstantExecutor } from '../lib/instant-executor.js';
import { freePort } from '../lib/temporal-server.js';
import { experimentWorkerOptions } from '../lib/worker-experiment.js';

export interface PulseWorkerConfig {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  /** Pre-built workflow bundle, so each worker does not run webpack again. */
  readonly bundlePath: string;
}

runChild<PulseWorkerConfig>(async (config) => {
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    shutdownSignals: [],
    telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${await freePort()}` } } },
  });
  const connection = await NativeConnection.connect({ address: config.address });
  const guard = benchDestinationGuard();
  const executors = createExecutorFactory({ guard }).register(createInstantExecutor());
  const worker = await createPulseWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    executors,
    activities: { dispatcherFor: () => guard.dispatcher },
    options: {
      workflowsPath: undefined,
      workflowBundle: { codePath: config.bundlePath },
      shutdownGraceTime: '1s',
      ...experimentWorkerOptions('pulse'),
    },
  });
  const running = worker.run();
  return {
    // Workflows the worker keeps in memory at most (the SDK's default, from the heap limit).
    info: { maxCachedWorkflows: worker.options.maxCachedWorkflows },
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
});

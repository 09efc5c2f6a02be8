/** The raw-Temporal baseline's worker, with the same worker settings as Pulse's. */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createBaselineActivities } from '../baseline/activities.js';
import { runChild } from '../lib/child-process.js';
import { experimentWorkerOptions } from '../lib/worker-experiment.js';

export interface BaselineWorkerConfig {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly bundlePath: string;
}

runChild<BaselineWorkerConfig>(async (config) => {
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const connection = await NativeConnection.connect({ address: config.address });
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    workflowBundle: { codePath: config.bundlePath },
    activities: createBaselineActivities(),
    // As in createPulseWorker, so that worker tuning is not what the comparison measures.
    maxConcurrentActivityTaskExecutions: 200,
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
    shutdownGraceTime: '1s',
    ...experimentWorkerOptions('baseline'),
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

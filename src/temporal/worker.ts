import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import path from 'node:path';
import { createActivities, type ActivityDeps } from '../../activities/index.js';
import type { ExecutorFactory } from '../executors/executor-factory.js';
import type { Logger } from '../observability/logger.js';
import type { PulseMetrics } from '../observability/metrics.js';
import type { WorkerTracing } from '../observability/tracing.js';
import { PROJECT_ROOT } from '../project-root.js';
import { createStickyRelease, noStickyRelease } from './sticky-release.js';
import { workflowBundlePath } from './workflow-bundle.js';

export const WORKFLOWS_PATH = path.join(PROJECT_ROOT, 'workflows', 'index.ts');

export interface PulseWorkerDeps {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly executors: ExecutorFactory;
  /** The process's logger and metrics registry, for the activities' log lines and run/callback metrics. */
  readonly logger?: Logger;
  readonly metrics?: PulseMetrics;
  /** Callback signing, the SSRF guard's dispatcher, the result size bound. */
  readonly activities?: Omit<ActivityDeps, 'executors' | 'logger' | 'metrics'>;
  /** OpenTelemetry interceptors and span sink, when `PULSE_TRACING` is on; absent, none are bundled. */
  readonly tracing?: WorkerTracing;
  /** Overrides for tests and tuning (concurrency, shutdown grace, ...). */
  readonly options?: Partial<WorkerOptions>;
}

/**
 * The workflow code a worker runs (the cached bundle), and the tracing set-up that goes with it: what a Pulse
 * worker and a replay of a recorded history both need.
 */
export async function workflowCode(tracing?: WorkerTracing) {
  // The workflow interceptors (tracing) go into the bundle; the worker gets the rest of the tracing set-up.
  const { workflowModules = [], ...interceptors } = tracing?.interceptors ?? {};
  const codePath = await workflowBundlePath({
    workflowsPath: WORKFLOWS_PATH,
    interceptorModules: workflowModules,
  });
  return {
    workflowBundle: { codePath },
    // The workflows call the `stickyRelease` sink; a worker that releases nothing (a replay) still registers it.
    sinks: { ...tracing?.sinks, ...noStickyRelease },
    ...(tracing ? { interceptors } : {}),
  } satisfies Partial<WorkerOptions>;
}

/** Creates the worker that runs `scheduledTask` workflows and their activities. */
export async function createPulseWorker(deps: PulseWorkerDeps): Promise<Worker> {
  const code = await workflowCode(deps.tracing);
  const stickyRelease = createStickyRelease({
    connection: deps.connection,
    namespace: deps.namespace,
    logger: deps.logger,
    // Without a workflow cache nothing is sticky (the SDK's default cache is on).
    enabled: deps.options?.maxCachedWorkflows !== 0,
  });
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    ...code,
    sinks: { ...code.sinks, ...stickyRelease },
    activities: createActivities({
      ...deps.activities,
      executors: deps.executors,
      logger: deps.logger,
      metrics: deps.metrics,
    }),
    // Runs are mostly waiting on the network, so many at once is cheap.
    maxConcurrentActivityTaskExecutions: 200,
    // A cancelled task must stop its run promptly; cancellation rides on heartbeat responses.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
    shutdownGraceTime: '10s',
    ...deps.options,
  });
}

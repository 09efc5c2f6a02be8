import { Context } from '@temporalio/activity';
import type { ExecutorFactory } from '../src/executors/executor-factory.js';
import { createLogger, type Logger } from '../src/observability/logger.js';
import { createRunSlots } from '../src/tenants/run-slots.js';
import { createMetrics, type PulseMetrics } from '../src/observability/metrics.js';
import { createCallbackAttempt, createDeliverCallback } from './deliver-callback.js';
import { createExecuteAgent } from './execute-agent.js';
import { createRunAndDeliver } from './run-and-deliver.js';
import { createCheckBudget } from './check-budget.js';
import { createReadRunHistory } from './run-history.js';

export interface ActivityDeps {
  readonly executors: ExecutorFactory;
  /**
   * The process's logger and metrics registry, made once by the composition root. Absent (tests and benchmarks
   * that read neither): a logger at warn and a registry of their own that nothing serves.
   */
  readonly logger?: Logger;
  readonly metrics?: PulseMetrics;
  /** `PULSE_WEBHOOK_SECRET`, for signed callbacks. */
  readonly webhookSecret?: string;
  /** The SSRF guard's dispatcher for a tenant's callback connections. */
  readonly dispatcherFor?: (tenant: string | undefined) => unknown;
  /** Largest run result kept (bytes of JSON); larger ones are cut and marked truncated. */
  readonly maxResultBytes?: number;
  /** With tenants: a tenant's own signing secret. */
  readonly secretFor?: (tenant: string | undefined) => string | undefined;
  /** With tenants: a tenant's `concurrent_runs`, across every worker. */
  readonly runLimitFor?: (tenant: string) => number | undefined;
}

/** Builds every activity of the `scheduledTask` workflow from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  const observability = {
    logger: deps.logger ?? createLogger({ logLevel: 'warn' }),
    metrics: deps.metrics ?? createMetrics(),
  };
  // A tenant's slots are handed out by its slots workflow, on the client and task queue of the worker a run is on.
  const slots = deps.runLimitFor
    ? createRunSlots(
        deps.runLimitFor,
        { client: () => Context.current().client, taskQueue: () => Context.current().info.taskQueue },
        observability.logger,
      )
    : undefined;
  const executeAgent = createExecuteAgent(deps.executors, deps.maxResultBytes, observability, slots);
  return {
    executeAgent,
    deliverCallback: createDeliverCallback({ ...deps, ...observability }),
    runAndDeliver: createRunAndDeliver(executeAgent, createCallbackAttempt({ ...deps, ...observability })),
    readRunHistory: createReadRunHistory(),
    checkBudget: createCheckBudget(),
  };
}

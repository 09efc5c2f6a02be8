import type { ExecutorFactory } from '../src/executors/executor-factory.js';
import { createDeliverCallback } from './deliver-callback.js';
import { createExecuteAgent } from './execute-agent.js';

export interface ActivityDeps {
  readonly executors: ExecutorFactory;
  /** `PULSE_WEBHOOK_SECRET`, for signed callbacks. */
  readonly webhookSecret?: string;
  /** The SSRF guard's dispatcher for callback connections. */
  readonly dispatcher?: unknown;
  /** Largest run result kept (bytes of JSON); larger ones are cut and marked truncated. */
  readonly maxResultBytes?: number;
}

/** Builds every activity of the `scheduledTask` workflow from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    executeAgent: createExecuteAgent(deps.executors, deps.maxResultBytes),
    deliverCallback: createDeliverCallback({
      webhookSecret: deps.webhookSecret,
      dispatcher: deps.dispatcher,
    }),
  };
}

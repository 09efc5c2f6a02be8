import type { ExecutorFactory } from '../src/executors/executor-factory.js';
import { createDeliverCallback } from './deliver-callback.js';
import { createExecuteAgent } from './execute-agent.js';

export interface ActivityDeps {
  readonly executors: ExecutorFactory;
}

/** Builds every activity of the `scheduledTask` workflow from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    executeAgent: createExecuteAgent(deps.executors),
    deliverCallback: createDeliverCallback(),
  };
}

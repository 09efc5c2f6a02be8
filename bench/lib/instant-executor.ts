/** An executor that does no work, so a benchmark times Pulse and Temporal rather than an agent. */
import type { Executor } from '../../src/executors/executor.js';

export const INSTANT_EXECUTOR = 'bench-instant';

/** Returns at once with a tiny result; tasks select it with `executor_type: "bench-instant"`. */
export function createInstantExecutor(): Executor {
  return {
    name: INSTANT_EXECUTOR,
    description: 'Benchmark executor: returns at once.',
    isAvailable: () => ({ available: true }),
    validateParams: () => [],
    execute: async (request) => ({ ok: true, task: request.taskId }),
  };
}

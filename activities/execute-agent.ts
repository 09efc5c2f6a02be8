import { Context } from '@temporalio/activity';
import { permanentFailure, unknownExecutorFailure } from '../src/errors.js';
import type { ExecutorFactory } from '../src/executors/executor-factory.js';
import { FailureType } from '../src/shared/failure-types.js';
import type { ExecutionOutput, ExecutionRequest } from '../src/shared/task-types.js';

/** Heartbeat often enough that a cancellation or a dead worker is noticed within seconds, not minutes. */
const HEARTBEAT_EVERY_MS = 1000;

export function createExecuteAgent(executors: ExecutorFactory) {
  /** Runs one task through the executor it names and returns the executor's JSON result. */
  return async function executeAgent(request: ExecutionRequest): Promise<ExecutionOutput> {
    const executor = executors.get(request.executor);
    if (!executor) throw unknownExecutorFailure(request.executor, executors.names());
    const problems = executor.validateParams(request);
    if (problems.length > 0) {
      throw permanentFailure(
        FailureType.InvalidParams,
        `executor '${executor.name}' refused the task: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
      );
    }
    const context = Context.current();
    const ticker = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
    const startedAt = performance.now();
    try {
      const result = await executor.execute(request, {
        signal: context.cancellationSignal,
        heartbeat: (details) => context.heartbeat(details),
      });
      return { result: result ?? null, executionTimeMs: Math.round(performance.now() - startedAt) };
    } finally {
      clearInterval(ticker);
    }
  };
}

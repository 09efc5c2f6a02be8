import { Context } from '@temporalio/activity';
import type { CallbackBody, ExecutionOutput, ExecutionRequest } from '../src/shared/task-types.js';
import { tryOnce, type AttemptOutcome, type createCallbackAttempt } from './deliver-callback.js';
import type { createExecuteAgent } from './execute-agent.js';

export interface RunAndDeliverInput {
  readonly request: ExecutionRequest;
  readonly callbackUrl: string;
}

/** The run's output, how the first delivery attempt went, and the body to send again if it is to be retried. */
export interface RunAndDeliverOutput extends ExecutionOutput {
  /** Absent when the agent had nothing to report: no attempt was made. */
  readonly callback?: {
    /**
     * What the first attempt sent, for the retries to send again to the letter; only when there will be retries.
     * A delivered (or finally refused) body is not returned: it would repeat the run's result in the history.
     */
    readonly body?: CallbackBody;
    readonly outcome: AttemptOutcome;
  };
}

/**
 * Runs a task and makes its callback's first attempt in the same activity: one activity task instead of two per
 * run, which is most of the server's work for a run. Only a first attempt that failed leaves the rest of the
 * delivery to the `deliverCallback` activity. A retried run delivers again with the same `webhook-id` (its
 * execution id), as a retried delivery does.
 */
export function createRunAndDeliver(
  executeAgent: ReturnType<typeof createExecuteAgent>,
  attemptCallback: ReturnType<typeof createCallbackAttempt>,
) {
  return async function runAndDeliver(input: RunAndDeliverInput): Promise<RunAndDeliverOutput> {
    const output = await executeAgent(input.request);
    if (output.nothingToReport) return output;
    const body: CallbackBody = {
      task_id: input.request.taskId,
      execution_id: input.request.executionId,
      status: 'success',
      result: output.result,
      execution_time_ms: output.executionTimeMs,
      timestamp: Math.floor(Date.now() / 1000),
    };
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? input.request.taskId;
    const outcome = await tryOnce(
      attemptCallback,
      {
        url: input.callbackUrl,
        body,
        webhookId: input.request.executionId,
        ...(input.request.tenant ? { tenant: input.request.tenant } : {}),
      },
      workflowId,
    );
    const retried = !outcome.delivered && !outcome.final;
    return { ...output, callback: { ...(retried ? { body } : {}), outcome } };
  };
}

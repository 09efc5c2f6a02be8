import type { FieldError } from '../errors.js';
import type { ExecutionRequest } from '../shared/task-types.js';
import type { Executor, ExecutionContext, TaskParams } from './executor.js';
import { assertSuccessful, httpCall } from './http-call.js';

/** Pushes a generic task to its `webhook_url` at due time (CONTRACT.md "Webhook push"). */
export function createWebhookPushExecutor(): Executor {
  return {
    name: 'webhook',
    description: 'Pushes a generic task to its webhook_url at due time.',
    isAvailable: () => ({ available: true }),
    validateParams(task: TaskParams): FieldError[] {
      return task.webhook ? [] : [{ field: 'webhook_url', message: 'required for a webhook push' }];
    },
    async execute(request: ExecutionRequest, context: ExecutionContext): Promise<unknown> {
      if (!request.webhook) throw new Error('webhook executor called without a webhook target');
      const { url, timeoutMs } = request.webhook;
      const response = await httpCall(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          task_id: request.taskId,
          schedule_type: request.scheduleType,
          scheduled_for: request.scheduledFor,
          execution_id: request.executionId,
          payload: request.payload,
          metadata: request.metadata,
        }),
        timeoutMs,
        signal: context.signal,
      });
      assertSuccessful(`webhook ${url}`, response);
      return { status_code: response.status, body: response.body };
    },
  };
}

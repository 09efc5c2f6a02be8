import type { FieldError } from '../errors.js';
import type { ExecutionRequest } from '../shared/task-types.js';
import type { Executor, ExecutionContext, TaskParams } from './executor.js';
import { signWebhook } from '../security/webhook-signature.js';
import { runContextHeaders } from './run-context-headers.js';
import { assertSuccessful, httpCall } from './http-call.js';

/** Pushes a generic task to its `webhook_url` at due time (CONTRACT.md "Webhook push"). */
export interface WebhookPushOptions {
  /** `PULSE_WEBHOOK_SECRET`: pushes are signed (Standard Webhooks) like callbacks. */
  readonly webhookSecret?: string;
  /** With tenants: a tenant's own signing secret, which signs its pushes instead. */
  readonly secretFor?: (tenant: string | undefined) => string | undefined;
  /** The SSRF guard's dispatcher for the task's tenant (it checks the address of every connection). */
  readonly dispatcherFor?: (tenant: string | undefined) => unknown;
}

export function createWebhookPushExecutor(options: WebhookPushOptions = {}): Executor {
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
      const body = JSON.stringify({
        task_id: request.taskId,
        schedule_type: request.scheduleType,
        scheduled_for: request.scheduledFor,
        execution_id: request.executionId,
        payload: request.payload,
        metadata: request.metadata,
      });
      // The execution id is the webhook id on every attempt, so the receiver can drop repeats.
      const secret = options.secretFor?.(request.tenant) ?? options.webhookSecret;
      const signature = secret
        ? signWebhook({ secret, id: request.executionId, timestamp: new Date(), body })
        : { 'webhook-id': request.executionId, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)) };
      const response = await httpCall(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'pulse-webhook/1',
          ...runContextHeaders(request.runContext),
          ...signature,
        },
        body,
        timeoutMs,
        signal: context.signal,
        dispatcher: options.dispatcherFor?.(request.tenant),
      });
      assertSuccessful(`webhook ${url}`, response);
      return { status_code: response.status, body: response.body };
    },
  };
}

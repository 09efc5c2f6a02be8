import { Context } from '@temporalio/activity';
import { assertSuccessful, httpCall } from '../src/executors/http-call.js';
import type { CallbackBody } from '../src/shared/task-types.js';

export interface DeliverCallbackInput {
  readonly url: string;
  readonly body: CallbackBody;
  readonly workflowId: string;
}

const CALLBACK_TIMEOUT_MS = 30_000;

export function createDeliverCallback() {
  /**
   * POSTs a run's result to its callback URL. Transient failures throw so Temporal retries with backoff; the
   * body, and so its `execution_id`, is identical on every attempt, which lets receivers de-duplicate.
   */
  return async function deliverCallback(input: DeliverCallbackInput): Promise<{ attempts: number }> {
    const { attempt } = Context.current().info;
    const response = await httpCall(input.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'pulse-callback/1' },
      body: JSON.stringify(input.body),
      timeoutMs: CALLBACK_TIMEOUT_MS,
      signal: Context.current().cancellationSignal,
    });
    assertSuccessful(`callback ${input.url}`, response);
    return { attempts: attempt };
  };
}

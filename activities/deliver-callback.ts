import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { assertSuccessful, httpCall } from '../src/executors/http-call.js';
import { signWebhook } from '../src/security/webhook-signature.js';
import { taskLogger, type Logger } from '../src/observability/logger.js';
import type { PulseMetrics } from '../src/observability/metrics.js';
import { FailureType } from '../src/shared/failure-types.js';
import type { CallbackBody, NoticeBody } from '../src/shared/task-types.js';

export interface DeliverCallbackInput {
  readonly url: string;
  readonly body: CallbackBody | NoticeBody;
  /** Stable across attempts (the run's execution id), so receivers can de-duplicate by `webhook-id`. */
  readonly webhookId: string;
  /** Attempts an earlier activity already made for this delivery; attempts are numbered on from there. */
  readonly attemptsBefore?: number;
  /** The task's tenant, whose own signing secret (if it has one) signs the delivery. */
  readonly tenant?: string;
}

/** What a failed attempt tells the workflow (the SDK does not hand `nextRetryDelay` to workflow code). */
export interface CallbackRetryDetails {
  readonly retryDelayMs: number;
}

export interface DeliverCallbackDeps {
  readonly logger: Logger;
  readonly metrics: PulseMetrics;
  /** `PULSE_WEBHOOK_SECRET`: when set, every delivery is signed per the Standard Webhooks spec. */
  readonly webhookSecret?: string;
  /** With tenants: a tenant's own signing secret, which signs its deliveries instead. */
  readonly secretFor?: (tenant: string | undefined) => string | undefined;
  /** The SSRF guard's dispatcher for the task's tenant, which checks the address of every connection. */
  readonly dispatcherFor?: (tenant: string | undefined) => unknown;
}

const CALLBACK_TIMEOUT_MS = 30_000;
const FIRST_RETRY_MS = 1000;
const LONGEST_RETRY_MS = 10 * 60_000;

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so receivers coming back from
 * an outage are not hit by every pending callback in the same second.
 */
export function callbackRetryDelayMs(attempt: number, random = Math.random): number {
  const ceiling = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** How one delivery attempt ended, for a caller that decides itself whether and when to try again. */
export type AttemptOutcome =
  | { readonly delivered: true }
  | {
      readonly delivered: false;
      readonly final: boolean;
      readonly error: string;
      readonly retryDelayMs: number;
    };

/**
 * One attempt at a run's callback: POSTs the body, signed when a secret is set, with the delivery's `webhook-id`.
 * Throws what the attempt threw, classified: non-retryable for a 4xx other than 408/429, else with the delay
 * before the next attempt (`Retry-After` when the receiver sent one, else jittered backoff).
 */
export function createCallbackAttempt(deps: DeliverCallbackDeps) {
  return async function attemptCallback(input: DeliverCallbackInput, attempt: number, workflowId: string) {
    const log = taskLogger(deps.logger, {
      taskId: input.body.task_id,
      workflowId,
      executionId: input.body.execution_id,
    });
    const body = JSON.stringify(input.body);
    const secret = deps.secretFor?.(input.tenant) ?? deps.webhookSecret;
    const signature = secret
      ? signWebhook({ secret, id: input.webhookId, timestamp: new Date(), body })
      : { 'webhook-id': input.webhookId, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)) };
    try {
      const response = await httpCall(input.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'pulse-callback/1', ...signature },
        body,
        timeoutMs: CALLBACK_TIMEOUT_MS,
        signal: Context.current().cancellationSignal,
        dispatcher: deps.dispatcherFor?.(input.tenant),
      });
      assertSuccessful(`callback ${input.url}`, response);
      deps.metrics.callbackAttempts.inc({ outcome: 'delivered' });
      log.info({ attempt, status: response.status }, 'callback delivered');
    } catch (err) {
      const final = err instanceof ApplicationFailure && err.nonRetryable;
      deps.metrics.callbackAttempts.inc({ outcome: final ? 'final_failure' : 'retry' });
      log.warn(
        { attempt, final, error: err instanceof Error ? err.message : String(err) },
        'callback attempt failed',
      );
      if (final) throw err;
      if (Context.current().cancellationSignal.aborted) throw err;
      const retryDelayMs =
        err instanceof ApplicationFailure && err.nextRetryDelay
          ? msToNumber(err.nextRetryDelay)
          : callbackRetryDelayMs(attempt);
      const details: CallbackRetryDetails = { retryDelayMs };
      throw ApplicationFailure.create({
        type: (err instanceof ApplicationFailure && err.type) || FailureType.TransientHttpError,
        message: err instanceof Error ? err.message : String(err),
        nextRetryDelay: retryDelayMs,
        details: [details],
      });
    }
  };
}

/** One attempt whose failure is an answer, not an exception (the run's own activity makes the first attempt). */
export async function tryOnce(
  attemptCallback: ReturnType<typeof createCallbackAttempt>,
  input: DeliverCallbackInput,
  workflowId: string,
): Promise<AttemptOutcome> {
  try {
    await attemptCallback(input, 1, workflowId);
    return { delivered: true };
  } catch (err) {
    if (Context.current().cancellationSignal.aborted) throw err;
    const failure = err instanceof ApplicationFailure ? err : undefined;
    const details = failure?.details?.[0] as Partial<CallbackRetryDetails> | undefined;
    return {
      delivered: false,
      final: failure?.nonRetryable ?? false,
      error: err instanceof Error ? err.message : String(err),
      retryDelayMs: details?.retryDelayMs ?? callbackRetryDelayMs(1),
    };
  }
}

export function createDeliverCallback(deps: DeliverCallbackDeps) {
  const attemptCallback = createCallbackAttempt(deps);
  /**
   * POSTs a run's result to its callback URL. Every attempt carries the same body and `webhook-id`; transient
   * failures are retried after `Retry-After` when the receiver sent one, else with jittered backoff, until the
   * workflow's delivery window closes. 4xx other than 408/429 is final.
   */
  return async function deliverCallback(input: DeliverCallbackInput): Promise<{ attempts: number }> {
    const { workflowExecution, attempt: retry } = Context.current().info;
    const attempt = retry + (input.attemptsBefore ?? 0);
    await attemptCallback(input, attempt, workflowExecution?.workflowId ?? input.body.task_id);
    return { attempts: attempt };
  };
}

/** Delivering a run's signed callback: one activity, retried by Temporal for the task's delivery window. */
import { ApplicationFailure, isCancellation, proxyActivities, sleep } from '@temporalio/workflow';
import type { AttemptOutcome, DeliverCallbackInput } from '../activities/deliver-callback.js';
import type { createActivities } from '../activities/index.js';
import type { CallbackBody, RunRecord, SettledCallback } from '../src/shared/task-types.js';

type Activities = ReturnType<typeof createActivities>;

/** Longer than the callback's own HTTP timeout (30 s), so a slow receiver fails the attempt, not the activity. */
export const CALLBACK_ATTEMPT_TIMEOUT = '40s';

/** Delivers one callback within `windowMs`; resolves to the number of attempts it took. */
export type Deliverer = (request: DeliverCallbackInput, windowMs: number) => Promise<number>;

/** The callback activity, retried until a 2xx or until `windowMs` has passed. */
export function retriedDelivery(windowMs: number, url?: string) {
  return proxyActivities<Activities>({
    ...(url ? { summary: `callback → ${url.length > 180 ? `${url.slice(0, 179)}…` : url}` } : {}),
    startToCloseTimeout: CALLBACK_ATTEMPT_TIMEOUT,
    scheduleToCloseTimeout: windowMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m' },
  });
}

const deliverRetried: Deliverer = async (request, windowMs) =>
  (await retriedDelivery(windowMs, request.url).deliverCallback(request)).attempts;

/**
 * After a first attempt that failed and may be retried: waits the delay it asked for, then retries for what is
 * left of the window, numbering attempts on from 2. Throws `giveUp()` when no window is left.
 */
export async function deliverRest(
  request: DeliverCallbackInput,
  windowMs: number,
  elapsedMs: number,
  delayMs: number,
  giveUp: () => unknown,
): Promise<number> {
  const leftMs = windowMs - elapsedMs - delayMs;
  if (leftMs <= 0) throw giveUp();
  await sleep(delayMs);
  return (await retriedDelivery(leftMs, request.url).deliverCallback({ ...request, attemptsBefore: 1 }))
    .attempts;
}

/** Delivery whose first attempt the run's own activity already made (`runAndDeliver`). */
export function afterFirstAttempt(first: AttemptOutcome): Deliverer {
  return async (request, windowMs) => {
    if (first.delivered) return 1;
    const failure = () => ApplicationFailure.nonRetryable(first.error);
    if (first.final) throw failure();
    return deliverRest(request, windowMs, 0, first.retryDelayMs, failure);
  };
}

/**
 * Delivers a run's callback and says how it went. A receiver that stays down is recorded as a failed delivery in
 * the run record instead of failing the task, because the run itself did happen; a cancel stops the retries.
 */
export async function sendCallback(
  taskId: string,
  url: string,
  run: RunRecord,
  windowMs: number,
  deliver: Deliverer = deliverRetried,
  sent?: CallbackBody,
  tenant?: string,
): Promise<SettledCallback> {
  // Every attempt carries the same body: the one a first attempt already sent, if any.
  const body: CallbackBody = sent ?? {
    task_id: taskId,
    execution_id: run.executionId,
    status: run.status === 'success' ? 'success' : 'failed',
    result: run.result,
    execution_time_ms: run.executionTimeMs,
    timestamp: Math.floor(run.finishedAtMs / 1000),
    ...(run.error !== undefined ? { error: run.error } : {}),
  };
  try {
    const attempts = await deliver(
      { url, body, webhookId: run.executionId, ...(tenant ? { tenant } : {}) },
      windowMs,
    );
    return { url, status: 'delivered', attempts };
  } catch (err) {
    // A DELETE while the receiver is still being retried stops the retries: the user asked for nothing more.
    if (isCancellation(err))
      return { url, status: 'failed', error: 'delivery stopped: the task was cancelled' };
    return {
      url,
      status: 'failed',
      error: `delivery failed for ${Math.round(windowMs / 1000)} s: ${describeFailure(err)}`,
    };
  }
}

/** The innermost message of an activity failure (a timeout's cause is the last attempt's error). */
function describeFailure(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (current instanceof Error) {
    if (current.message) message = current.message;
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}

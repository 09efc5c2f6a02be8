/**
 * The quiet start of input version 2, kept so that tasks made with it replay as their histories recorded. New tasks
 * (version 3) publish only at close (`progress.ts`), which keeps the same economy without a timer.
 *
 * A version-2 run held its progress back for its first `QUIET_START_MS`: `processing` was published once the run
 * had taken that long (a timer), or at once when it started that late; `completed` (callback pending) once the
 * callback's first attempt, an activity of its own, failed; everything else in the workflow task closing the run.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  sleep,
} from '@temporalio/workflow';
import type { CallbackRetryDetails } from '../../activities/deliver-callback.js';
import type { createActivities } from '../../activities/index.js';
import { PulseCallbackStatus } from '../../src/shared/search-attributes.js';
import { CALLBACK_ATTEMPT_TIMEOUT, deliverRest, type Deliverer } from '../callback.js';
import { publishRun, writeAttributes, type Progress } from '../publish.js';
import type { TaskEntity } from '../task-entity.js';

type Activities = ReturnType<typeof createActivities>;

export const QUIET_START_MS = 2000;

export function quietStart(task: TaskEntity): Progress {
  let held = false;
  let runEnded = false;
  const timer = new CancellationScope();
  const publishUnlessHeld = (): void => {
    if (!held) publishRun(task);
  };
  const release = (): void => {
    held = false;
    publishUnlessHeld();
  };
  return {
    runStarting() {
      // A run that starts this late would outlast its quiet start anyway: it publishes at once.
      if (Date.now() - task.dueAtMs < QUIET_START_MS) {
        held = true;
        let quietOver = false;
        timer
          .run(() => sleep(QUIET_START_MS))
          .then(
            () => (quietOver = true),
            () => undefined,
          );
        // Checked once every event of the workflow task is applied: a timer firing with the run's end publishes
        // nothing here.
        condition(() => quietOver).then(
          () => {
            if (!runEnded) release();
          },
          () => undefined,
        );
      }
      publishUnlessHeld();
    },
    runEnded() {
      runEnded = true;
      if (held) timer.cancel();
      held = true;
      publishUnlessHeld();
    },
    deliver: firstAttemptAlone(release),
    callbackSettled(delivery) {
      held = false;
      writeAttributes([...task.statusAttributes(), { key: PulseCallbackStatus, value: delivery }]);
    },
    closingWithoutCallback() {
      if (held) release();
    },
  };
}

/**
 * One attempt; if it fails and may be retried, `onRetrying`, then the activity's own delay (`Retry-After` or
 * backoff), then the rest of the attempts as one retried activity for what is left of the window.
 */
function firstAttemptAlone(onRetrying: () => void): Deliverer {
  return async (request, windowMs) => {
    const startedAtMs = Date.now();
    const { deliverCallback } = proxyActivities<Activities>({
      startToCloseTimeout: CALLBACK_ATTEMPT_TIMEOUT,
      scheduleToCloseTimeout: windowMs,
      retry: { maximumAttempts: 1 },
    });
    try {
      return (await deliverCallback(request)).attempts;
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      const cause = err.cause;
      if (cause instanceof ApplicationFailure && cause.nonRetryable) throw err;
      onRetrying();
      const details = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
      const delayMs = (details as Partial<CallbackRetryDetails> | undefined)?.retryDelayMs ?? 1000;
      return deliverRest(request, windowMs, Date.now() - startedAtMs, delayMs, () => err);
    }
  };
}

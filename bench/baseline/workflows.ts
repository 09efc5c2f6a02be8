/**
 * The raw-Temporal baseline: what a developer would write without Pulse. Sleep until due, run the task, POST the
 * result to the callback URL. The same timeouts and retry policies as `scheduledTask`, and nothing else: no
 * search attributes, memo, queries or updates.
 */
import { proxyActivities, sleep, type ActivityOptions } from '@temporalio/workflow';
import type { createBaselineActivities } from './activities.js';
import type { BaselineTaskInput } from './types.js';

type Activities = ReturnType<typeof createBaselineActivities>;

/** The run's activity options, as `scheduledTask` sets them by default. */
export const RUN_TASK_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10m',
  heartbeatTimeout: '10s',
  retry: { maximumAttempts: 3, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};

/** The callback's activity options, as `scheduledTask` sets them by default. */
export const CALLBACK_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '40s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m' },
};

const { runTask } = proxyActivities<Activities>(RUN_TASK_OPTIONS);
const { deliverCallback } = proxyActivities<Activities>(CALLBACK_OPTIONS);

/** Sleeps until `dueAtMs`, runs the task once, and delivers its result to the callback URL. */
export async function baselineTask(input: BaselineTaskInput): Promise<unknown> {
  const remainingMs = input.dueAtMs - Date.now();
  if (remainingMs > 0) await sleep(remainingMs);
  const result = await runTask(input);
  await deliverCallback({
    url: input.callbackUrl,
    body: { task_id: input.taskId, status: 'success', result },
  });
  return result;
}

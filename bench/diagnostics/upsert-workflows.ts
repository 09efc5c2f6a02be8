/**
 * The baseline workflow with Pulse's visibility writes added back one kind at a time: the three search-attribute
 * upserts `scheduledTask` makes per run (processing, completed, callback delivered) and its two memo upserts.
 */
import {
  CancellationScope,
  proxyActivities,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { PulseCallbackStatus, PulseDueAt, PulseStatus } from '../../src/shared/search-attributes.js';
import type { createBaselineActivities } from '../baseline/activities.js';
import { CALLBACK_OPTIONS, RUN_TASK_OPTIONS } from '../baseline/workflows.js';
import type { BaselineTaskInput } from '../baseline/types.js';

type Activities = ReturnType<typeof createBaselineActivities>;

// The same timeouts and retry policies as `baselineTask` (and `scheduledTask`): activity timeouts are timers on
// the server too.
const { runTask } = proxyActivities<Activities>(RUN_TASK_OPTIONS);
const { deliverCallback } = proxyActivities<Activities>(CALLBACK_OPTIONS);

export interface UpsertTaskInput extends BaselineTaskInput {
  readonly searchAttributes: boolean;
  readonly memo: boolean;
  /**
   * Where the upserts go: `pulse`, at Pulse's three points; `folded`, the processing one, then the rest only
   * after the callback (in the workflow task that closes the run, whose visibility writes the server skips);
   * `closing`, all of them in the closing workflow task; `deferred`, as `folded`, but the processing one only if
   * the task is still running after 2 s (a timer raced against the task).
   */
  readonly placement?: 'pulse' | 'folded' | 'closing' | 'deferred';
}

/** `baselineTask` plus, on request, Pulse's search-attribute and memo upserts at the same points. */
export async function baselineWithUpserts(input: UpsertTaskInput): Promise<unknown> {
  const remainingMs = input.dueAtMs - Date.now();
  if (remainingMs > 0) await sleep(remainingMs);
  const placement = input.placement ?? 'pulse';
  const processing = () =>
    upsertSearchAttributes([
      { key: PulseStatus, value: 'processing' },
      { key: PulseDueAt, value: null },
    ]);
  if (input.searchAttributes && (placement === 'pulse' || placement === 'folded')) processing();
  let result: unknown;
  if (placement === 'deferred') {
    const running = runTask(input);
    const slow = new CancellationScope();
    const stillRunning = slow
      .run(() => sleep(2000))
      .then(
        () => true,
        () => false,
      );
    if (await Promise.race([running.then(() => false), stillRunning])) processing();
    slow.cancel();
    result = await running;
  } else {
    result = await runTask(input);
  }
  if (placement === 'pulse') {
    if (input.searchAttributes) upsertSearchAttributes([{ key: PulseStatus, value: 'completed' }]);
    if (input.memo) upsertMemo({ run: { result, callback: null } });
  }
  await deliverCallback({
    url: input.callbackUrl,
    body: { task_id: input.taskId, status: 'success', result },
  });
  if (input.searchAttributes) {
    upsertSearchAttributes([
      ...(placement === 'pulse' ? [] : [{ key: PulseStatus, value: 'completed' }]),
      ...(placement === 'closing' || placement === 'deferred' ? [{ key: PulseDueAt, value: null }] : []),
      { key: PulseCallbackStatus, value: 'delivered' },
    ]);
  }
  if (input.memo) upsertMemo({ run: { result, callback: 'delivered' } });
  return result;
}

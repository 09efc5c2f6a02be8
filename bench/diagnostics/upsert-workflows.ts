/**
 * The baseline workflow with Pulse's visibility writes added back one kind at a time: the three search-attribute
 * upserts `scheduledTask` makes per run (processing, completed, callback delivered) and its two memo upserts.
 */
import { proxyActivities, sleep, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { PulseCallbackStatus, PulseDueAt, PulseStatus } from '../../src/shared/search-attributes.js';
import type { createBaselineActivities } from '../baseline/activities.js';
import type { BaselineTaskInput } from '../baseline/types.js';

type Activities = ReturnType<typeof createBaselineActivities>;

const { runTask, deliverCallback } = proxyActivities<Activities>({ startToCloseTimeout: '1m' });

export interface UpsertTaskInput extends BaselineTaskInput {
  readonly searchAttributes: boolean;
  readonly memo: boolean;
}

/** `baselineTask` plus, on request, Pulse's search-attribute and memo upserts at the same points. */
export async function baselineWithUpserts(input: UpsertTaskInput): Promise<unknown> {
  const remainingMs = input.dueAtMs - Date.now();
  if (remainingMs > 0) await sleep(remainingMs);
  if (input.searchAttributes) {
    upsertSearchAttributes([
      { key: PulseStatus, value: 'processing' },
      { key: PulseDueAt, value: null },
    ]);
  }
  const result = await runTask(input);
  if (input.searchAttributes) upsertSearchAttributes([{ key: PulseStatus, value: 'completed' }]);
  if (input.memo) upsertMemo({ run: { result, callback: null } });
  await deliverCallback({
    url: input.callbackUrl,
    body: { task_id: input.taskId, status: 'success', result },
  });
  if (input.searchAttributes) upsertSearchAttributes([{ key: PulseCallbackStatus, value: 'delivered' }]);
  if (input.memo) upsertMemo({ run: { result, callback: 'delivered' } });
  return result;
}

/** Writes of a task's status and latest run to visibility (what the Web UI and `temporal workflow list` show). */
import { upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { summarize } from './run-agent.js';
import type { TaskEntity } from './task-entity.js';

/** The task's status search attributes, as they read now. */
export const publish = (task: TaskEntity): void => upsertSearchAttributes(task.statusAttributes());

/** The status, and the latest run (if any) in the memo. */
export function publishRun(task: TaskEntity): void {
  publish(task);
  if (task.latest) upsertMemo({ run: summarize(task.latest) });
}

/**
 * Queries and updates of the `scheduledTask` workflow, defined once for the workflow and its callers.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ScheduledTaskInput, TaskState } from './task-types.js';

/** Current status, next due time and runs of a task. */
export const taskStateQuery = defineQuery<TaskState>('taskState');

/** Moves the due time of a task that has not started running yet. */
export const rescheduleUpdate = defineUpdate<TaskState, [{ dueAtMs: number }]>('reschedule');

/** Pauses (`true`) or resumes (`false`) a task that has not started running yet. */
export const setPausedUpdate = defineUpdate<TaskState, [{ paused: boolean }]>('setPaused');

/** Replaces what a not-yet-started task will do (payload, metadata, executor, callback) and its memo. */
export const amendUpdate = defineUpdate<TaskState, [AmendRequest]>('amend');

export interface AmendRequest {
  readonly input: Omit<ScheduledTaskInput, 'taskId' | 'dueAtMs'>;
  readonly memo: Record<string, unknown>;
}

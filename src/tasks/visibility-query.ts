/** Building blocks of Temporal visibility queries, shared by listing, polling and a schedule's runs. */
import { SCHEDULED_TASK_WORKFLOW } from '../shared/search-attributes.js';

/** Quotes a value for a visibility query. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The `scheduledTask` workflows of one task queue (one Pulse deployment). */
export function scheduledTasksOn(taskQueue: string): string[] {
  return [`WorkflowType = ${quote(SCHEDULED_TASK_WORKFLOW)}`, `TaskQueue = ${quote(taskQueue)}`];
}

/** The runs a recurring task's schedule started. */
export function runsOfSchedule(taskId: string): string {
  // Runs its Schedule started, and runs Pulse started for it (a trigger with input).
  return `(TemporalScheduledById = ${quote(taskId)} OR PulseTaskId = ${quote(taskId)}) AND WorkflowType = ${quote(SCHEDULED_TASK_WORKFLOW)}`;
}

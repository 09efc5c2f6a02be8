/**
 * Every rule that decides what status a task reads, in one place, each with its visibility-query form beside it
 * where one exists. Pure: no Temporal calls, so `test/task-status.test.ts` checks the rules as a table.
 *
 * The workflow keeps its own state (`workflows/task-entity.ts`) and publishes it as `PulseStatus` only when a run
 * closes (input version 3), so the API completes the picture from what Temporal itself knows: the execution's
 * status, the due time, a lease, a schedule's state.
 */
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { EXTERNAL_EXECUTOR } from '../shared/executor-names.js';
import type { RunStatus, TaskState, TaskStatus } from '../shared/task-types.js';
import { quote } from './visibility-query.js';

/** What a one-time task's workflow shows in a describe or a visibility list entry. */
export interface OnceFacts {
  readonly execution: WorkflowExecutionStatusName;
  /** `PulseStatus` as the workflow last wrote it. */
  readonly reported: TaskStatus | undefined;
  /** `PulseDueAt`. */
  readonly dueAtMs: number | undefined;
  /** `PulseExecutor` is the external-worker executor. */
  readonly external: boolean;
}

/**
 * A one-time task's status from its execution. A cancelled or terminated workflow is a cancelled task even if its
 * run had finished (the user stopped what was left, e.g. the callback). A running task that still reports `active`
 * past its due time has started its run: the workflow no longer writes `processing` when a run starts. Tasks left
 * to external workers are the exception: theirs stays `active` until a worker claims it.
 * `onceStatusQuery` is the same rule as a visibility query; keep the two in step.
 */
export function onceStatus(facts: OnceFacts, nowMs: number): TaskStatus {
  switch (facts.execution) {
    case 'RUNNING':
      if (
        facts.reported === 'active' &&
        !facts.external &&
        facts.dueAtMs !== undefined &&
        facts.dueAtMs <= nowMs
      ) {
        return 'processing';
      }
      return facts.reported ?? 'active';
    case 'COMPLETED':
      return 'completed';
    case 'CANCELLED':
    case 'TERMINATED':
      return 'cancelled';
    default:
      return 'failed';
  }
}

/** `onceStatus` as a visibility query: the one-time tasks that read `status` at `now`. */
export function onceStatusQuery(status: TaskStatus, now: Date): string {
  const due = quote(now.toISOString());
  const external = quote(EXTERNAL_EXECUTOR);
  const started = `(PulseStatus = 'active' AND PulseDueAt <= ${due} AND PulseExecutor != ${external})`;
  switch (status) {
    case 'active':
      return `(PulseStatus = 'active' AND ExecutionStatus = 'Running' AND (PulseDueAt > ${due} OR PulseDueAt IS NULL OR PulseExecutor = ${external}))`;
    case 'processing':
      return `((PulseStatus = 'processing' OR ${started}) AND ExecutionStatus = 'Running')`;
    case 'paused':
      return `(PulseStatus = 'paused' AND ExecutionStatus = 'Running')`;
    case 'completed':
      return `(ExecutionStatus = 'Completed' OR (PulseStatus = 'completed' AND ExecutionStatus = 'Running'))`;
    case 'failed':
      return `(ExecutionStatus IN ('Failed', 'TimedOut') OR (PulseStatus = 'failed' AND ExecutionStatus = 'Running'))`;
    case 'cancelled':
      return `ExecutionStatus IN ('Canceled', 'Terminated')`;
  }
}

/**
 * A running one-time task's status from its own `taskState` answer. A claim whose lease ran out leaves the task
 * waiting for a worker again: the workflow sets no timer for the lease, so its own status still says processing.
 * (The poll's query form of the lease is in `external-workers.ts`: `PulseLeaseExpiresAt <= now`.)
 */
export function liveOnceStatus(
  state: Pick<TaskState, 'status' | 'leaseExpiresAtMs'>,
  nowMs: number,
): TaskStatus {
  const leaseLapsed = state.leaseExpiresAtMs !== undefined && state.leaseExpiresAtMs <= nowMs;
  return leaseLapsed ? 'active' : state.status;
}

/** Note on a schedule cancelled through the API (the schedule is paused and kept, so its record stays). */
export const CANCELLED_NOTE = 'Cancelled through the Pulse API';

/** What a recurring task's schedule shows, from a describe or a list summary. */
export interface ScheduleFacts {
  /** `PulseStatus` on the schedule. */
  readonly reported: string | undefined;
  readonly paused: boolean;
  readonly note: string | undefined;
  /** A run the schedule tracks is in progress (a list summary does not tell, so it says false). */
  readonly running: boolean;
  /** No action is left: no next action time, or a limited schedule with none remaining. */
  readonly exhausted: boolean;
}

/**
 * Whether a schedule was cancelled through the API. The cancel writes both a search attribute and the pause note in
 * one update, but a describe reads them from two places (the search attribute from the scheduler workflow's record,
 * the state from a query), and right after the update only the state may show it. Either one is enough.
 */
export function wasCancelled(facts: Pick<ScheduleFacts, 'reported' | 'paused' | 'note'>): boolean {
  return facts.reported === 'cancelled' || (facts.paused && facts.note === CANCELLED_NOTE);
}

/**
 * A recurring task's status from its schedule. Paused wins over a run still in progress: what the user asked for
 * is what the task reads. Schedules have no query form: only `PulseStatus = 'cancelled'` is in visibility, and
 * listing reads every schedule's summary (a few per deployment) and applies this rule.
 */
export function recurringStatus(facts: ScheduleFacts): TaskStatus {
  if (wasCancelled(facts)) return 'cancelled';
  if (facts.paused) return 'paused';
  if (facts.running) return 'processing';
  if (facts.exhausted) return 'completed';
  return 'active';
}

/**
 * A recurring task whose schedule Temporal removed (some days after its last run): its runs still tell the story.
 */
export function orphanedRecurringStatus(anyRunRunning: boolean): TaskStatus {
  return anyRunRunning ? 'processing' : 'completed';
}

/** A task in one of these will never run again and cannot be changed. */
export function isFinished(status: TaskStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** Whether a task in this status shows a next execution (a paused or finished one has none). */
export function showsNextRun(status: TaskStatus): boolean {
  return status === 'active' || status === 'processing';
}

/** Whether a one-time task can be run now by hand: not yet started and not finished. */
export function canTriggerOnce(status: TaskStatus): boolean {
  return status === 'active' || status === 'paused';
}

/** `/result`'s status for a run's outcome (CONTRACT.md names the first two; a run stopped by a cancel is the third). */
export const RESULT_STATUS = {
  success: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  held: 'held',
} as const satisfies Record<RunStatus, string>;

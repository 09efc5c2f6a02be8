/** How a task and its runs read in the API: the wire types come from the API's schemas, the mapping is here. */
import type { z } from '@hono/zod-openapi';
import type {
  HistoryResponse,
  RunView as RunViewSchema,
  TaskKindEnum,
  TaskView as TaskViewSchema,
} from '../api/schemas.js';
import type { RunRecord, TaskStatus } from '../shared/task-types.js';

export type TaskView = z.infer<typeof TaskViewSchema>;
export type RunView = z.infer<typeof RunViewSchema>;
export type HistoryEntry = z.infer<typeof HistoryResponse>['history'][number];
/** `once` (a workflow) or `recurring` (a Temporal Schedule). */
export type TaskKindName = z.infer<typeof TaskKindEnum>;

/** What the memo of a task's workflow (or schedule) holds: the request as the user meant it. */
export interface TaskMemo {
  readonly schedule_type: string;
  readonly payload: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  readonly schedule_config: Record<string, unknown>;
  readonly callback_url?: string;
  /** Hash of the request that created the task under an `Idempotency-Key`. */
  readonly request_hash?: string;
  /** The tenant the task belongs to (docs/tenants.md); absent in single-tenant Pulse. */
  readonly tenant?: string;
  /** A schedule's own memo: the task queue of the Pulse that made it, so that only that Pulse lists it. */
  readonly task_queue?: string;
}

export const unixSeconds = (ms: number): number => Math.floor(ms / 1000);
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The Web UI page of a task: its workflow, or its schedule. */
export function uiUrl(base: string, namespace: string, taskId: string, kind: TaskKindName): string {
  const page = kind === 'recurring' ? 'schedules' : 'workflows';
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${page}/${encodeURIComponent(taskId)}`;
}

/** What a task view is made of, whichever kind the task is. */
export interface TaskFields {
  readonly taskId: string;
  readonly kind: TaskKindName;
  readonly memo: Partial<TaskMemo>;
  readonly createdMs: number;
  readonly status: TaskStatus;
  /** The next execution, already null where the status shows none. */
  readonly nextMs: number | null;
  readonly executor: string | null;
  readonly uiUrl: string;
}

export function taskView(fields: TaskFields): TaskView {
  const next = fields.nextMs;
  return {
    id: fields.taskId,
    schedule_type: fields.memo.schedule_type ?? 'unknown',
    created_at: unixSeconds(fields.createdMs),
    created_at_iso: isoSeconds(fields.createdMs),
    payload: fields.memo.payload ?? {},
    schedule_config: fields.memo.schedule_config ?? {},
    status: fields.status,
    metadata: fields.memo.metadata ?? {},
    next_execution: next === null ? null : unixSeconds(next),
    next_execution_iso: next === null ? null : new Date(next).toISOString(),
    executor: fields.executor,
    workflow_id: fields.taskId,
    ui_url: fields.uiUrl,
    kind: fields.kind,
    callback_url: fields.memo.callback_url ?? null,
  };
}

/** What went wrong, or why a held occurrence was not run (its budget); null for a run that went well. */
export function runError(run: RunRecord): string | null {
  return run.error ?? (run.status === 'held' ? run.heldReason : undefined) ?? null;
}

export function toRunView(run: RunRecord): RunView {
  return {
    execution_id: run.executionId,
    status: run.status,
    scheduled_for: run.scheduledFor,
    executed_at: unixSeconds(run.startedAtMs),
    executed_at_iso: isoSeconds(run.startedAtMs),
    execution_time_ms: run.executionTimeMs,
    result: run.result,
    error: runError(run),
    callback: run.callback ? { ...run.callback } : null,
    notice: run.notice ? { ...run.notice } : null,
    next_run: run.nextRun ? { ...run.nextRun } : null,
    trigger_input: run.triggerInput ? { ...run.triggerInput } : null,
  };
}

/** A task with its runs, oldest first, and the latest one. */
export function withRuns(view: TaskView, runs: readonly RunRecord[]): TaskView {
  const views = runs.map(toRunView);
  return { ...view, runs: views, last_run: views.length > 0 ? views[views.length - 1]! : null };
}

export function historyEntry(run: RunRecord): HistoryEntry {
  return {
    execution_id: run.executionId,
    executed_at: unixSeconds(run.startedAtMs),
    executed_at_iso: isoSeconds(run.startedAtMs),
    status: run.status,
    execution_time_ms: run.executionTimeMs,
    error: runError(run),
    // Pulse's own: whether this run's result reached its callback (null: no callback).
    callback_status: run.callback?.status ?? null,
  };
}

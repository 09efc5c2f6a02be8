/**
 * What the API answers on the task, worker and executor routes: a task with its runs, lists, results, previews,
 * acknowledgements, and the error body every route shares.
 */
import { z } from '@hono/zod-openapi';
import { JsonObject, RunStatusEnum, TaskKindEnum, TaskStatusEnum } from './fields.js';

export const ScheduleTaskResponse = z
  .object({
    task_id: z.string(),
    schedule_type: z.string(),
    next_execution: z.string().nullable().openapi({ example: '2026-11-24T09:00:00Z' }),
    status: z.string().openapi({ example: 'active' }),
    workflow_id: z.string(),
    ui_url: z.string(),
  })
  .openapi('ScheduleTaskResponse');

export const RunView = z
  .object({
    execution_id: z.string(),
    status: RunStatusEnum,
    scheduled_for: z.string(),
    executed_at: z.number(),
    executed_at_iso: z.string(),
    execution_time_ms: z.number(),
    result: z.unknown(),
    error: z.string().nullable(),
    callback: JsonObject.nullable().openapi({
      description:
        'How the callback went: delivered, failed, or skipped (with the reason: the delivery policy, or the agent had nothing to report); retrying while a failed first attempt is retried (with its error)',
    }),
    notice: JsonObject.nullable().openapi({
      description: 'The alert or recovery notice this run caused (delivery.alert_after); null: none',
    }),
    next_run: z.object({ at: z.string().nullable(), reason: z.string() }).nullable().openapi({
      description: 'Adaptive tasks: when this run set the next one (null: the task ended), and why',
    }),
    trigger_input: JsonObject.nullable().openapi({
      description: "The input a trigger gave this run instead of the task's payload (null: the task's own)",
    }),
  })
  .openapi('Run');

export const TaskView = z
  .object({
    id: z.string(),
    schedule_type: z.string(),
    created_at: z.number(),
    created_at_iso: z.string(),
    payload: JsonObject,
    schedule_config: JsonObject,
    status: TaskStatusEnum,
    metadata: JsonObject,
    next_execution: z.number().nullable(),
    next_execution_iso: z.string().nullable(),
    executor: z.string().nullable(),
    workflow_id: z.string(),
    ui_url: z.string(),
    kind: TaskKindEnum.openapi({
      description:
        '`once` (a workflow), `recurring` (a Temporal Schedule) or `adaptive` (a workflow whose runs set the next)',
    }),
    callback_url: z.string().nullable(),
    runs: z.array(RunView).optional(),
    last_run: RunView.nullable().optional(),
  })
  .openapi('Task');

export const ListTasksResponse = z
  .object({ tasks: z.array(TaskView), count: z.number(), next_cursor: z.string().nullable() })
  .openapi('TaskList');

export const HistoryResponse = z
  .object({
    history: z.array(
      z.object({
        execution_id: z.string(),
        executed_at: z.number(),
        executed_at_iso: z.string(),
        status: z.string(),
        execution_time_ms: z.number(),
        error: z.string().nullable(),
        callback_status: z.string().nullable(),
      }),
    ),
  })
  .openapi('TaskHistory');

export const ResultResponse = z
  .object({
    status: z.enum(['completed', 'failed', 'cancelled', 'held', 'pending', 'not_found']).openapi({
      description:
        "The run's real outcome; `cancelled`: the task was cancelled while this run was in progress; `held`: the occurrence was not run, its budget was spent (see error)",
    }),
    result: z.unknown(),
    execution_id: z.string().nullable(),
    error: z.string().optional(),
    stored_at: z.string().optional().openapi({
      example: '2026-11-24T09:00:03Z',
      description: 'When the run finished and its result was stored',
    }),
  })
  .openapi('TaskResult');

export const CancelResponse = z
  .object({ status: z.literal('cancelled'), task_id: z.string() })
  .openapi('Cancelled');

export const ErrorResponse = z
  .object({
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Error');

/** A due task handed to an external worker by `GET /tasks/poll`. */
export const PolledTask = z
  .object({
    task_id: z.string(),
    schedule_type: z.string(),
    payload: JsonObject,
    scheduled_for: z.string(),
    metadata: JsonObject,
  })
  .openapi('PolledTask');
export type PolledTask = z.infer<typeof PolledTask>;

export const ExecutorListResponse = z
  .object({
    executors: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        available: z.boolean(),
        reason: z.string().optional(),
      }),
    ),
    available: z.array(z.string()),
    default: z.string().nullable(),
  })
  .openapi('ExecutorList');

export const PreviewResponse = z
  .object({
    task_id: z.string().optional(),
    kind: TaskKindEnum,
    timezone: z.string().optional(),
    next: z.array(z.string()),
    budget: z
      .object({
        period: z.string(),
        period_ends_at: z.string(),
        limit: z.object({ tokens: z.number().nullable(), cost: z.number().nullable() }),
        spent: z.object({ tokens: z.number(), cost: z.number() }),
        estimate_per_run: z.object({ tokens: z.number().nullable(), cost: z.number().nullable() }),
        runs_due_in_period: z.number(),
        estimated_period_spend: z.object({ tokens: z.number(), cost: z.number() }),
        next_run_held: z.string().nullable(),
      })
      .optional()
      .openapi({
        description:
          "Tasks with a budget: this period's spend, the mean usage of recent runs, and the spend the runs still due in the period would bring",
      }),
  })
  .openapi('Preview');

export const TriggerResponse = z
  .object({ status: z.literal('triggered'), task_id: z.string() })
  .openapi('Triggered');

export const ResultsResponse = z
  .object({ task_id: z.string(), total_executions: z.number(), executions: z.array(RunView) })
  .openapi('TaskResults');

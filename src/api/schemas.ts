/**
 * Request and response schemas of the HTTP API. Each schema is the validator, the TypeScript type and the
 * OpenAPI document at once.
 */
import { z } from '@hono/zod-openapi';
import { MAX_AHEAD_MS, MAX_AHEAD_WORDS, parseDelay } from '../time/duration.js';

const JsonObject = z.record(z.string(), z.unknown());

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).max(2048);

export const RepeatSchema = z
  .object({
    interval: z.string().min(1).max(50).nullish().openapi({ example: '2m' }),
    cron: z
      .string()
      .min(1)
      .max(200)
      .nullish()
      .openapi({ example: '0 */4 * * *', description: 'Instead of interval: a 5-field cron expression' }),
    times: z
      .number()
      .int()
      .min(1)
      .nullish()
      .openapi({ description: 'Total runs including the first; null = forever' }),
  })
  .openapi('Repeat');

export const WhenObjectSchema = z
  .object({
    type: z.string().min(1).max(20).openapi({ example: 'once' }),
    time: z.string().max(200).nullish().openapi({ example: '2026-12-01T09:00:00Z' }),
    delay: z.string().max(50).nullish().openapi({ example: '5m' }),
    natural: z.string().max(200).nullish().openapi({ example: 'in 5 minutes' }),
    cron: z.string().max(200).nullish(),
    timezone: z.string().max(64).nullish(),
    repeat: RepeatSchema.nullish(),
  })
  .openapi('WhenObject');

const DAY_MS = 24 * 3_600_000;

/** The bounds of a duration field and how a refusal names them. */
interface DurationBounds {
  readonly minMs?: number;
  readonly maxMs: number;
  /** The allowed range in words, for the refusal and the OpenAPI description. */
  readonly range: string;
}

/**
 * A length of time written as a number and a unit (`500ms`, `30s`, `5m`, `1h`, `2d`), read by the same
 * `parseDelay` the task builder uses, with its bounds checked here so that `/openapi.json` states them.
 */
function duration(bounds: DurationBounds, meta: { example: string; description: string }) {
  return z
    .string()
    .max(20)
    .superRefine((value, ctx) => {
      const ms = parseDelay(value);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: `'${value}' is not a duration such as 500ms, 30s, 5m or 1h`,
        });
      } else if ((bounds.minMs !== undefined && ms < bounds.minMs) || !(ms <= bounds.maxMs)) {
        ctx.addIssue({ code: 'custom', message: `must be ${bounds.range}` });
      }
    })
    .openapi({
      example: meta.example,
      description: `${meta.description}. A duration such as 30s, 5m or 1h; ${bounds.range}.`,
    });
}

/** Milliseconds of a duration the schema has already accepted. */
export function durationMs(value: string | null | undefined): number | undefined {
  return value == null ? undefined : parseDelay(value);
}

const AT_MOST_A_DAY: DurationBounds = { maxMs: DAY_MS, range: 'at most 24h' };
const AT_MOST_MAX_AHEAD: DurationBounds = { maxMs: MAX_AHEAD_MS, range: `at most ${MAX_AHEAD_WORDS}` };

export const RetrySchema = z
  .object({
    max_attempts: z.number().int().min(1).max(100).nullish(),
    initial_interval: duration(AT_MOST_A_DAY, {
      example: '1s',
      description: 'Wait before the first retry (default 1s)',
    }).nullish(),
    backoff: z.number().min(1).max(10).nullish(),
    max_interval: duration(AT_MOST_A_DAY, {
      example: '1m',
      description: 'Longest wait between retries (default 1m); not shorter than initial_interval',
    }).nullish(),
    timeout: duration(AT_MOST_A_DAY, { example: '10m', description: 'Timeout of one attempt' }).nullish(),
  })
  .superRefine((retry, ctx) => {
    const initialMs = durationMs(retry.initial_interval);
    const maximumMs = durationMs(retry.max_interval);
    if (initialMs !== undefined && maximumMs !== undefined && maximumMs < initialMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_interval'],
        message: 'must not be shorter than retry.initial_interval',
      });
    }
  })
  .openapi('RetryPolicy');

export const OverlapPolicy = z.enum(['skip', 'buffer_one', 'allow_all', 'cancel_other', 'terminate_other']);

export const PolicySchema = z
  .object({
    overlap: OverlapPolicy.nullish().openapi({
      description: 'What to do when a run is due while the previous one is still running (default skip)',
    }),
    // Temporal refuses catch-up windows under 10 s.
    catchup_window: duration(
      { ...AT_MOST_MAX_AHEAD, minMs: 10_000, range: `at least 10s and at most ${MAX_AHEAD_WORDS}` },
      { example: '10m', description: 'How late a missed run may still start (e.g. after an outage)' },
    ).nullish(),
    jitter: duration(AT_MOST_MAX_AHEAD, {
      example: '30s',
      description: 'Each run starts up to this much later, at random, to spread load',
    }).nullish(),
    pause_on_failure: z.boolean().nullish(),
  })
  .strict()
  .openapi('RecurrencePolicy');

export const ScheduleTaskRequest = z
  .object({
    schedule_type: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits and _ . : -')
      .openapi({ example: 'http_request' }),
    when: z.union([z.string().min(1).max(200), WhenObjectSchema]).openapi({ example: 'in 5 minutes' }),
    payload: JsonObject.openapi({ example: { url: 'https://example.com/hook', method: 'POST' } }),
    repeat: RepeatSchema.nullish(),
    metadata: JsonObject.nullish(),
    webhook_url: HttpUrl.nullish(),
    webhook_timeout: z.number().positive().max(3600).nullish().openapi({
      example: 30,
      description: 'Seconds to wait for webhook_url to answer (default 30, at most 3600)',
    }),
    webhook_retries: z.number().int().min(0).max(100).nullish(),
    callback_url: HttpUrl.nullish(),
    callback_window: duration(
      { minMs: 1000, maxMs: 30 * DAY_MS, range: 'between 1s and 30d' },
      {
        example: '24h',
        description: 'How long a failing callback is retried before it is recorded as failed (default 24h)',
      },
    ).nullish(),
    timezone: z.string().max(64).nullish().openapi({ example: 'Europe/Berlin' }),
    policy: PolicySchema.nullish(),
    retry: RetrySchema.nullish(),
  })
  // An unknown key is refused (422, naming it and what it probably meant), as PATCH does: a misspelt
  // `callbak_url` silently dropped would lose every result. Clients put their own fields in `metadata`.
  .strict()
  .openapi('ScheduleTaskRequest');
export type ScheduleTaskRequest = z.infer<typeof ScheduleTaskRequest>;

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

export const RunStatusEnum = z.enum(['success', 'failed', 'cancelled']);

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
    callback: JsonObject.nullable(),
  })
  .openapi('Run');

export const TaskStatusEnum = z.enum(['active', 'processing', 'paused', 'completed', 'failed', 'cancelled']);
export const TaskKindEnum = z.enum(['once', 'recurring']);

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
    kind: TaskKindEnum.openapi({ description: '`once` (a workflow) or `recurring` (a Temporal Schedule)' }),
    callback_url: z.string().nullable(),
    runs: z.array(RunView).optional(),
    last_run: RunView.nullable().optional(),
  })
  .openapi('Task');

/** A time in a query string: whole unix seconds, from 1970 to the end of year 9999. */
const UnixSeconds = z.coerce
  .number({ error: 'must be a time in unix seconds (a whole number)' })
  .int({ error: 'must be a time in unix seconds (a whole number)' })
  .min(0)
  .max(253_402_300_799);

export const ListTasksQuery = z.object({
  status: TaskStatusEnum.optional(),
  schedule_type: z.string().max(100).optional(),
  agent_id: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
  cursor: z.string().max(4096).optional(),
  start_time: UnixSeconds.optional().openapi({
    description: 'Only tasks whose next execution is at or after this time (unix seconds)',
  }),
  end_time: UnixSeconds.optional().openapi({
    description: 'Only tasks whose next execution is at or before this time (unix seconds)',
  }),
});

export type ListTasksQuery = z.infer<typeof ListTasksQuery>;

export const ListTasksResponse = z
  .object({ tasks: z.array(TaskView), count: z.number(), next_cursor: z.string().nullable() })
  .openapi('TaskList');

export const TaskIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'is not a task id (letters, digits and _ . : - only)')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'task_3f2a9c1e6b7d4f0a8e5c2b1d9f6a3e7c' }),
});

export const HistoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

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

export const ResultQuery = z.object({ execution_id: z.string().max(300).optional() });

export const ResultResponse = z
  .object({
    status: z.enum(['completed', 'failed', 'cancelled', 'pending', 'not_found']).openapi({
      description:
        "The run's real outcome; `cancelled`: the task was cancelled while this run was in progress",
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

export const PatchTaskRequest = z
  .object({
    status: z.enum(['active', 'paused']).optional().openapi({ description: 'Pause or resume' }),
    when: z.union([z.string().min(1).max(200), WhenObjectSchema]).optional(),
    repeat: RepeatSchema.nullish(),
    timezone: z.string().max(64).optional(),
    metadata: JsonObject.optional(),
    payload: JsonObject.optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, {
    message: 'give at least one of status, when, repeat, timezone, metadata, payload',
  })
  .openapi('PatchTaskRequest');
export type PatchTaskRequest = z.infer<typeof PatchTaskRequest>;

export const PreviewQuery = z.object({ count: z.coerce.number().int().min(1).max(100).default(5) });

export const PreviewResponse = z
  .object({
    task_id: z.string().optional(),
    kind: z.enum(['once', 'recurring']),
    timezone: z.string().optional(),
    next: z.array(z.string()),
  })
  .openapi('Preview');

export const PreviewWhenQuery = z.object({
  when: z.string().min(1).max(200),
  timezone: z.string().max(64).optional(),
  count: z.coerce.number().int().min(1).max(100).default(5),
});

export const TriggerResponse = z
  .object({ status: z.literal('triggered'), task_id: z.string() })
  .openapi('Triggered');

export const ResultsResponse = z
  .object({ task_id: z.string(), total_executions: z.number(), executions: z.array(RunView) })
  .openapi('TaskResults');

// The body-depth limit is checked before any schema runs; its scanner has its own file.
export { MAX_JSON_DEPTH, pathBeyondDepth } from './json-depth.js';

/** `GET /occurrences`: the occurrence ledger (`src/ledger/`). */
export const OccurrenceStatusEnum = z.enum([
  'upcoming',
  'due',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'missed',
  'paused',
  'cancelled',
]);

export const OccurrencesQuery = z.object({
  from: z.string().max(64).optional().openapi({
    example: '2026-03-01T00:00:00Z',
    description:
      'Start of the window: an ISO-8601 instant, or a date (midnight in `timezone`). Default: a week ago.',
  }),
  to: z.string().max(64).optional().openapi({
    example: '2026-04-01T00:00:00Z',
    description: 'End of the window (at most 366 days after `from`). Default: a month from now.',
  }),
  task_id: z.string().max(300).optional(),
  agent_id: z.string().max(300).optional(),
  schedule_type: z.string().max(100).optional(),
  status: OccurrenceStatusEnum.optional(),
  timezone: z
    .string()
    .max(64)
    .optional()
    .openapi({ description: 'IANA zone of `local_at` (default: the server’s)' }),
});
export type OccurrencesQuery = z.infer<typeof OccurrencesQuery>;

const OccurrenceRun = z
  .object({
    execution_id: z.string().nullable(),
    workflow_id: z.string(),
    run_id: z.string(),
    status: OccurrenceStatusEnum,
    started_at: z.string(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().nullable(),
    result_summary: z.string().nullable(),
    error: z.string().nullable(),
    callback: z
      .object({
        url: z.string(),
        status: z.enum(['delivered', 'failed']),
        attempts: z.number().optional(),
        error: z.string().optional(),
      })
      .nullable(),
    ui_url: z.string(),
  })
  .openapi('OccurrenceRun');

export const OccurrenceView = z
  .object({
    task_id: z.string(),
    kind: TaskKindEnum,
    schedule_type: z.string(),
    agent_id: z.string().nullable(),
    name: z.string().nullable(),
    at: z.string().openapi({ description: 'When it was (or is) due, UTC' }),
    local_at: z.string().openapi({ example: '2026-03-29T03:00:00+02:00' }),
    status: OccurrenceStatusEnum,
    reason: z.string().openapi({ description: 'Why it has this status: what ran, or why nothing did' }),
    manual: z.boolean().openapi({ description: 'A run started outside the schedule (trigger)' }),
    run: OccurrenceRun.nullable(),
    blocked_by: OccurrenceRun.nullable().openapi({ description: 'Skipped: the run that was still going' }),
    task_ui_url: z.string(),
  })
  .openapi('Occurrence');

export const OccurrencesResponse = z
  .object({
    from: z.string(),
    to: z.string(),
    timezone: z.string(),
    count: z.number(),
    occurrences: z.array(OccurrenceView),
    truncated: z.boolean(),
  })
  .openapi('Occurrences');
